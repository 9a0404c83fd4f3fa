// The chain the fleet stakes on: where the controller and the agents read it, and its ids.
import { z } from "zod";
import { caCertificatesSchema } from "../sui/ca";
import { originOf, rpcHeadersSchema, rpcUrlCredentialProblem } from "../sui/headers";
import { objectIdSchema } from "../rules";
import { httpUrlSchema } from "./fields";

/** The most confirm sources an agent asks. */
export const MAX_CONFIRM_SOURCES = 8;

export const networkSchema = z
  .object({
    /** RPC endpoint the controller (Pulumi) uses. An API key goes in `rpcHeaders`, never in the URL. */
    rpcUrl: httpUrlSchema,
    /** RPC endpoint the agents on the hosts use. @default rpcUrl */
    agentRpcUrl: httpUrlSchema.optional(),
    /**
     * Independent RPC endpoints (other providers, no API key) that must agree with `agentRpcUrl`
     * before an agent stops k3s for a stake that reads as not active, and that cross-check it:
     * one lying or hijacked RPC node can then neither stop a worker nor hide a slash.
     * @default [] (the agents trust agentRpcUrl alone, reading it twice)
     */
    confirmRpcUrls: z.array(httpUrlSchema).max(MAX_CONFIRM_SOURCES).default([]),
    /** Sources (agentRpcUrl plus confirmRpcUrls) that must read a stake as not active. @default a majority */
    confirmQuorum: z.number().int().min(1).optional(),
    /** "grpc", or "jsonrpc" for a private node that still serves it. @default "grpc" */
    transport: z.enum(["grpc", "jsonrpc"]).default("grpc"),
    /** The k3s_daas Move package. */
    packageId: objectIdSchema,
    /** Its StakingPool. */
    poolId: objectIdSchema,
    /** Its NautilusRegistry. */
    registryId: objectIdSchema,
  })
  .strict()
  .superRefine((n, ctx) => {
    // An API key in an RPC URL would be in plain text everywhere the URL goes: refused, with the
    // header to use instead.
    for (const [k, headers] of [["rpcUrl", "rpcHeaders"], ["agentRpcUrl", "agentRpcHeaders"]] as const) {
      const v = n[k];
      const problem = v === undefined ? undefined : rpcUrlCredentialProblem(v, headers);
      if (problem) ctx.addIssue({ code: "custom", path: [k], message: problem });
    }
    const seen = new Set([originOf(n.agentRpcUrl ?? n.rpcUrl)]);
    n.confirmRpcUrls.forEach((u, i) => {
      if (rpcUrlCredentialProblem(u)) ctx.addIssue({ code: "custom", path: ["confirmRpcUrls", i], message: "must not carry credentials: a confirm source must be a node that needs no API key" });
      else if (seen.has(originOf(u))) ctx.addIssue({ code: "custom", path: ["confirmRpcUrls", i], message: "names the same node as agentRpcUrl or another confirm source: a confirmation must come from an independent one" });
      seen.add(originOf(u));
    });
    if (n.confirmQuorum !== undefined && n.confirmQuorum > 1 + n.confirmRpcUrls.length) {
      ctx.addIssue({ code: "custom", path: ["confirmQuorum"], message: `must be at most ${1 + n.confirmRpcUrls.length} (agentRpcUrl plus the confirmRpcUrls)` });
    }
  });

export const networkShape = {
  network: networkSchema,
  /**
   * Extra headers on every request to `network.rpcUrl`, for a provider that takes its API key in
   * a header (`{ "x-api-key": "..." }`). Secrets: encrypted in the state, never in an argument,
   * log or output (`pulumi config set --secret --path 'rpcHeaders.x-api-key'`). @default none
   */
  rpcHeaders: rpcHeadersSchema.optional(),
  /**
   * The headers the agents send to `network.agentRpcUrl`. On the host in a root-only 0600 file.
   * @default rpcHeaders when the agents use the same endpoint (no agentRpcUrl, or one of the same origin), else none
   */
  agentRpcHeaders: rpcHeadersSchema.optional(),
  /**
   * PEM CA certificates the RPC nodes' certificates are checked against besides Node's public
   * CAs (a node with a private CA), by the controller and the agents. Public data. @default none
   */
  rpcCaCertificates: caCertificatesSchema.optional(),
};
