// The stack's configuration, validated with zod before anything is created: a bad key fails
// `pulumi preview` with a message naming it. Pure: takes the raw config bag, returns FleetConfig.
import { z } from "zod";
import { NODE_VERSION, RESERVED_PORTS } from "./components/staked-worker";
import { SSH_USER } from "./components/remote-scripts";
import { hostKeySchema } from "./components/runtime/ssh";
import { rpcHeadersSchema, rpcUrlCredentialProblem } from "./sui/headers";
import { caCertificatesSchema } from "./sui/ca";
import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { DEFAULT_PAUSE_IMAGE, imageRefSchema, registriesSchema } from "./components/containerd-config";
import { dnsNameSchema, ed25519PublicKeySchema, k3sVersionSchema, MIN_HEALTH_TIMEOUT_SECONDS, objectIdSchema as objectId, sha256Schema } from "./rules";

export const PROJECT = "k3s-daas-fleet";

const url = z.string().regex(/^https?:\/\/\S+$/, "must be an http(s) URL");

/** "1.5" SUI -> 1500000000n MIST, exactly (no floating point). */
export function suiToMist(sui: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(sui.trim());
  if (!m) throw new Error(`"${sui}" is not an amount of SUI with at most 9 decimals`);
  return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

const hostSchema = z
  .object({
    name: dnsNameSchema,
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    // root, or a user with passwordless sudo (ubuntu, admin, debian on cloud images).
    user: z.string().regex(SSH_USER, "must be a login name (lower-case letters, digits, _ and -)").default("root"),
    // The host's SSH key as ssh-keyscan prints it; without it the first `up` records it.
    hostKey: hostKeySchema.optional(),
  })
  .strict();

/** Local image tarballs: existing .tar files, resolved against the project directory. */
const imagesSchema = z
  .array(
    z
      .string()
      .min(1)
      .transform((p) => resolve(p))
      .refine((p) => existsSync(p) && statSync(p).isFile(), "must be an image tarball on this machine (the file does not exist)")
      .refine((p) => /^[A-Za-z0-9][A-Za-z0-9._-]*\.tar$/.test(basename(p)), "must be a .tar file (docker save or an OCI archive) named with letters, digits, . _ -"),
  )
  .superRefine((paths, ctx) => {
    const seen = new Map<string, number>();
    paths.forEach((p, i) => {
      const prev = seen.get(basename(p));
      if (prev !== undefined) ctx.addIssue({ code: "custom", path: [i], message: `has the same file name as k3s.images[${prev}] (both would land in the same place on the host)` });
      seen.set(basename(p), i);
    });
  });

export const fleetConfigSchema = z
  .object({
    network: z
      .object({
        rpcUrl: url,
        agentRpcUrl: url.optional(),
        // Independent nodes (no API key) that must agree before an agent stops for a slash.
        confirmRpcUrls: z.array(url).max(8).default([]),
        confirmQuorum: z.number().int().min(1).optional(),
        transport: z.enum(["grpc", "jsonrpc"]).default("grpc"),
        packageId: objectId,
        poolId: objectId,
        registryId: objectId,
      })
      .strict()
      .superRefine((n, ctx) => {
        // An API key in an RPC URL would be in plain text everywhere the URL goes: refused, with
        // the header to use instead.
        for (const [k, headers] of [["rpcUrl", "rpcHeaders"], ["agentRpcUrl", "agentRpcHeaders"]] as const) {
          const v = n[k];
          const problem = v === undefined ? undefined : rpcUrlCredentialProblem(v, headers);
          if (problem) ctx.addIssue({ code: "custom", path: [k], message: problem });
        }
        n.confirmRpcUrls.forEach((u, i) => {
          if (rpcUrlCredentialProblem(u)) ctx.addIssue({ code: "custom", path: ["confirmRpcUrls", i], message: "must not carry credentials: a confirm source must be a node that needs no API key" });
        });
        if (n.confirmQuorum !== undefined && n.confirmQuorum > 1 + n.confirmRpcUrls.length) {
          ctx.addIssue({ code: "custom", path: ["confirmQuorum"], message: `must be at most ${1 + n.confirmRpcUrls.length} (agentRpcUrl plus the confirmRpcUrls)` });
        }
      }),
    walletKey: z.string().startsWith("suiprivkey1", "must be a 'suiprivkey1...' key (set it with --secret)"),
    // Headers for rpcUrl (the controller), and for agentRpcUrl (default: rpcHeaders when the
    // agents use the same endpoint). Secrets: `pulumi config set --secret --path 'rpcHeaders.x-api-key'`.
    rpcHeaders: rpcHeadersSchema.optional(),
    agentRpcHeaders: rpcHeadersSchema.optional(),
    // PEM CA certificates for nodes with a private CA (controller and agents), besides the public ones.
    rpcCaCertificates: caCertificatesSchema.optional(),
    sshPrivateKey: z.string().includes("PRIVATE KEY", { message: "must be a PEM/OpenSSH private key (set it with --secret)" }),
    stakePerNodeSui: z.string().refine((s) => /^\d+(\.\d{1,9})?$/.test(s.trim()) && suiToMist(s) > 0n, "must be a positive amount of SUI, e.g. \"1.5\""),
    k3s: z
      .object({
        serverUrl: z.string().regex(/^https:\/\/[^\s/]+:\d+\/?$/, "must be https://host:port"),
        version: k3sVersionSchema.default("v1.31.4+k3s1"),
        // A local mirror for air-gapped hosts; default: the official release of `version`.
        binUrl: z.string().regex(/^(https?|file):\/\/\S+$/, "must be an http(s) or file URL").optional(),
        binSha256: sha256Schema.optional(),
        extraArgs: z.array(z.string()).default([]),
        // The sandbox image containerd runs every pod with (k3s's default for these releases).
        pauseImage: imageRefSchema.default(DEFAULT_PAUSE_IMAGE),
        // Image tarballs on this machine (docker save / OCI archives): uploaded to k3s's airgap
        // dir and imported into the runtime, for hosts that reach no registry.
        images: imagesSchema.default([]),
        // k3s's registries.yaml (mirrors, configs.<host>.tls), applied as containerd hosts.toml.
        registries: registriesSchema.optional(),
        // false: containerd's config.toml is the operator's (their own config management); it
        // must then give k3s's CNI dirs, the sandbox image and cgroupfs, or nodes stay NotReady.
        manageContainerdConfig: z.boolean().default(true),
      })
      .strict(),
    k3sToken: z.string().min(1, "must be the cluster's join token (set it with --secret)"),
    // The Node release the agents run on; default the one this project pins.
    nodeVersion: z.string().regex(NODE_VERSION, "must be a Node release of 22 or later, like 22.23.3 (no \"v\")").optional(),
    containerRuntime: z.enum(["containerd", "docker"]).default("containerd"),
    aptSource: z.string().regex(/^deb (\[[^\]]*\] )?\S+ \S+/, "must be an apt source line: deb [options] URI suite").optional(),
    agentPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .refine((p) => !RESERVED_PORTS.has(p), "must not be a k3s/kubelet port (10250, 6443, ...)")
      .default(9443),
    controlPlaneEndpoint: url.optional(),
    // The control plane's reply-signing key, pinned in the agents (base64 ed25519).
    controlPlanePublicKey: ed25519PublicKeySchema.optional(),
    heartbeatIntervalMs: z.number().int().min(1000).default(30_000),
    // Public halves of the operator keys whose signed POSTs the agents obey (agent/README.md).
    operatorKeys: z.array(ed25519PublicKeySchema).max(16).default([]),
    parallelism: z.number().int().min(1).default(4),
    // Workers out of service at once while an up changes what runs on them (k3s, agent, Node).
    maxUnavailable: z.number().int().min(1).default(1),
    // How long a worker waits for a rollout slot; default healthTimeoutSeconds + 300.
    rolloutTimeoutSeconds: z.number().int().min(10).optional(),
    // Epochs before expiry at which up renews a seal token (tokens live 30 epochs).
    sealTokenRenewEpochs: z.number().int().min(0).max(29).default(5),
    // A new walletKey means new stakes for every worker: refused unless this is true.
    allowWalletMigration: z.boolean().default(false),
    allowUnreachableHost: z.boolean().default(false),
    removeContainerRuntime: z.boolean().default(false),
    healthTimeoutSeconds: z.number().int().min(MIN_HEALTH_TIMEOUT_SECONDS).default(180),
    hosts: z.array(hostSchema).min(1, "must list at least one host"),
  })
  .strict()
  .superRefine((c, ctx) => {
    // k3s's --docker runs cri-dockerd on docker's own image store: containerd hosts.toml
    // files would not be read (docker's own registry-mirrors setting is the place).
    if (c.containerRuntime === "docker" && c.k3s.registries) {
      ctx.addIssue({ code: "custom", path: ["k3s", "registries"], message: "applies to containerd only; with containerRuntime docker set docker's registry mirrors on the hosts instead" });
    }
    // Over plain http anyone on the path can swap the binary every host runs as root.
    if (c.k3s.binUrl?.startsWith("http://") && !c.k3s.binSha256) {
      ctx.addIssue({ code: "custom", path: ["k3s", "binSha256"], message: "is required when k3s.binUrl is plain http (the binary's sha256, `sha256sum k3s`): without it anyone on the path could replace the k3s every host runs as root" });
    }
  });

export type FleetConfig = z.infer<typeof fleetConfigSchema>;

/** zod's message for an issue, rebuilt so that it never contains the value it received. */
function safeMessage(i: z.ZodIssue): string {
  switch (i.code) {
    case "invalid_enum_value":
      return `must be one of ${i.options.map((o) => JSON.stringify(o)).join(", ")}`;
    case "invalid_literal":
      return `must be ${JSON.stringify(i.expected)}`;
    case "invalid_type":
      return `must be ${i.expected === "array" ? "a list" : `${/^[aeiou]/.test(i.expected) ? "an" : "a"} ${i.expected}`}`;
    default:
      // Every other zod message (string, number, custom refinements) names limits, not values.
      return i.message;
  }
}

/**
 * Parses the project's config bag (as `pulumi.runtime.allConfig()` returns it: "project:key" ->
 * string, objects as JSON). Throws one error naming every bad key; never quotes a value.
 */
export function readFleetConfig(raw: Record<string, string>): FleetConfig {
  const bag: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    const [ns, key] = fullKey.split(":", 2) as [string, string];
    if (ns !== PROJECT) continue;
    try {
      bag[key] = JSON.parse(value);
    } catch {
      bag[key] = value;
    }
    if (typeof bag[key] === "number" && ["walletKey", "k3sToken", "stakePerNodeSui"].includes(key)) bag[key] = value;
  }
  const parsed = fleetConfigSchema.safeParse(bag);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const where = `${PROJECT}:${i.path.join(".")}`;
      if (i.code === "unrecognized_keys") return `unknown config key${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `${PROJECT}:${[...i.path, k].join(".")}`).join(", ")}`;
      if (i.code === "invalid_type" && i.received === "undefined") return `missing config key ${where}`;
      return `config key ${where}: ${safeMessage(i)}`;
    });
    throw new Error(`invalid stack configuration:\n  ${lines.join("\n  ")}`);
  }
  return parsed.data;
}

/** The k3s binary URL: the configured mirror, else the official release for the version. */
export function k3sBinUrl(c: FleetConfig): string {
  return c.k3s.binUrl ?? `https://github.com/k3s-io/k3s/releases/download/${encodeURIComponent(c.k3s.version)}/k3s`;
}
