// Agent configuration: one JSON file (STAKER_CONFIG_PATH), validated into one typed object.
// readConfig is pure (env + file text in, config or error out) so it is testable without a host.
import { z } from "zod";
import { originOf, rpcHeaderProblems, rpcUrlCredentialProblem } from "../../src/sui/headers";
import { caCertificatesSchema } from "../../src/sui/ca";
import { dnsNameSchema as dnsName, ED25519_PUBLIC_KEY_B64, objectIdSchema as objectId, RESERVED_PORTS } from "../../src/rules";

// Ports the agent must never take (src/rules.ts): the kubelet's, the API server's, k3s's.
export { RESERVED_PORTS } from "../../src/rules";

const absPath = z.string().regex(/^\//, "must be an absolute path");
const port = z
  .number()
  .int()
  .min(0)
  .max(65535)
  .refine((p) => !RESERVED_PORTS.has(p), (p) => ({ message: `port ${p} is reserved for k3s/kubelet` }));
const durationMs = (def: number, min = 10) => z.number().int().min(min).default(def);
const ed25519PublicKey = z
  .string()
  .regex(ED25519_PUBLIC_KEY_B64, "must be a base64 raw 32-byte ed25519 public key (as `node agent.js operator-keygen` prints)");

// No credentials in an RPC URL (user:password@, a query string): the URL is served by GET
// /api/v1/config and sits in a world-readable file. A key goes in a headers file.
const rpcUrlWithoutCredentials = z
  .string()
  .url()
  .superRefine((v, ctx) => {
    const p = rpcUrlCredentialProblem(v, "agentRpcHeaders");
    if (p) ctx.addIssue({ code: "custom", message: `${p} (on the host: a headersFile)` });
  });

export const agentConfigSchema = z
  .object({
    nodeId: dnsName,
    sui: z
      .object({
        rpcUrl: rpcUrlWithoutCredentials,
        // gRPC pushes changes (checkpoint stream); JSON-RPC (private nodes only) is polled.
        transport: z.enum(["grpc", "jsonrpc"]).default("grpc"),
        // A chain read that takes longer is a failed read (never a slash), and is retried.
        requestTimeoutMs: durationMs(10_000),
        packageId: objectId,
        poolId: objectId,
        registryId: objectId,
        // A root-only JSON file of extra request headers (an RPC provider's API key), kept out of
        // this file so the config holds no secret; see readRpcHeaders.
        headersFile: absPath.optional(),
        // PEM CA certificates the node's certificate is checked against besides the public CAs.
        caCertificates: caCertificatesSchema.optional(),
        // Independent RPC endpoints (other providers) that must agree before a stake that reads
        // as not active stops k3s: one lying or hijacked node cannot stop the worker alone.
        // They are also read every stakeRereadIntervalMs, so a node that hides a slash is found.
        confirmSources: z
          .array(
            z
              .object({
                rpcUrl: rpcUrlWithoutCredentials,
                // Its own API key, if it takes one (a file like headersFile).
                headersFile: absPath.optional(),
              })
              .strict(),
          )
          .max(8)
          .default([]),
        // How many sources (rpcUrl counted once, plus confirmSources) must read the stake as not
        // active before k3s stops. Default: a majority of them (rpcUrl's own second read when
        // there are no confirmSources).
        confirmQuorum: z.number().int().min(1).optional(),
      })
      .strict()
      .superRefine((s, ctx) => {
        const sources = 1 + s.confirmSources.length;
        if (s.confirmQuorum !== undefined && s.confirmQuorum > sources) {
          ctx.addIssue({ code: "custom", path: ["confirmQuorum"], message: `is ${s.confirmQuorum}, more than the ${sources} source(s) there are (rpcUrl and ${s.confirmSources.length} confirmSources)` });
        }
        const seen = new Set<string>();
        [s.rpcUrl, ...s.confirmSources.map((c) => c.rpcUrl)].forEach((u, i) => {
          const origin = originOf(u);
          if (seen.has(origin)) ctx.addIssue({ code: "custom", path: ["confirmSources", i - 1, "rpcUrl"], message: `names the same node as another source (${origin}): a confirmation must come from an independent one` });
          seen.add(origin);
        });
      }),
    stakeId: objectId,
    sealTokenId: objectId,
    controlPlane: z
      .object({
        // Pinned endpoint; otherwise it comes from the NautilusRegistry on chain.
        endpoint: z.string().url().optional(),
        // Pinned reply-signing key (from the stack): only replies signed by it are acted on,
        // whatever the registry says, so an RPC node that lies about the registry cannot put a
        // control plane of its own in front of the agent. Unset: the registry's key.
        publicKey: ed25519PublicKey.optional(),
        requestTimeoutMs: durationMs(5_000),
      })
      .strict()
      .default({}),
    k3s: z
      .object({
        // auto: systemd when /run/systemd/system exists, else run `command` as our child.
        manager: z.enum(["auto", "systemd", "process"]).default("auto"),
        unit: z.string().min(1).default("k3s-agent.service"),
        command: absPath.default("/usr/local/bin/k3s"),
        args: z.array(z.string()).default(["agent"]),
        // Holds K3S_TOKEN / K3S_URL (0600); read into the child's environment, never argv.
        envFile: absPath.default("/etc/systemd/system/k3s-agent.service.env"),
        // The Kubernetes Node's Ready condition (node-ready.ts), read with the kubelet's own
        // credentials: /readyz is not ready while the Node is not. Off for a host with no kubelet.
        nodeReadyCheck: z.boolean().default(true),
        // The Node this worker's kubelet registers (k3s --node-name); default: nodeId.
        nodeName: dnsName.optional(),
        // Written by k3s when it joins: server https://127.0.0.1:6444 (its client-side load
        // balancer), the server CA, the kubelet's client certificate and key (file paths).
        kubeconfig: absPath.default("/var/lib/rancher/k3s/agent/kubelet.kubeconfig"),
        // k3s runs the kubelet with --healthz-bind-address=127.0.0.1 (port 10248 by default).
        kubeletHealthzUrl: z.string().url().regex(/^http:\/\//, "must be an http:// URL (the kubelet's healthz is plain HTTP)").default("http://127.0.0.1:10248/healthz"),
        // Bound on each of the two requests of a check; a check never overlaps the next.
        nodeCheckTimeoutMs: durationMs(5_000),
        // A Node missing from the API server this long while its kubelet runs (deleted under it)
        // gets k3s restarted once, so the kubelet registers it again (node-ready check only).
        nodeMissingRestartMs: durationMs(60_000),
      })
      .strict()
      .default({}),
    containerRuntime: z
      .object({
        type: z.enum(["containerd", "docker"]).default("containerd"),
        socket: absPath.optional(),
        // Path of ctr / docker; defaults per type. Lets tests and odd hosts point elsewhere.
        binary: z.string().min(1).optional(),
        commandTimeoutMs: durationMs(10_000),
      })
      .strict()
      .default({}),
    heartbeat: z
      .object({
        intervalMs: durationMs(30_000),
        jitter: z.number().min(0).max(0.5).default(0.1),
        maxBackoffMs: durationMs(300_000),
        restartAfterFailures: z.number().int().min(1).default(3),
        // The slash-stop bound (3 s) is tighter than a heartbeat, so the stake is watched apart:
        // pushed by the checkpoint stream, re-read every stakeRereadIntervalMs as a safety net,
        // and polled every stakeWatchIntervalMs while the stream is down.
        stakeWatchIntervalMs: durationMs(1_000),
        stakeRereadIntervalMs: durationMs(60_000),
      })
      .strict()
      .default({}),
    api: z
      .object({
        host: z.string().min(1).default("0.0.0.0"),
        port: port.default(9443),
        // Operator keys (base64 raw ed25519 public keys) whose signed POSTs the agent obeys
        // (docs/contracts.md, "Operator requests"). None: the POST endpoints refuse everything.
        operatorKeys: z.array(ed25519PublicKey).max(16).default([]),
      })
      .strict()
      .default({}),
    telemetry: z
      .object({
        // Runtime figures (ctr, /proc, statfs, k3s state) are sampled this often; GETs and
        // heartbeats answer from the last sample.
        sampleIntervalMs: durationMs(10_000, 100),
        jitter: z.number().min(0).max(0.5).default(0.1),
      })
      .strict()
      .default({}),
    paths: z
      .object({
        workerKey: absPath.default("/var/lib/k3s-daas/worker.key"),
        diskPath: absPath.default("/"),
      })
      .strict()
      .default({}),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
    shutdownTimeoutMs: durationMs(10_000),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

// Env overrides an operator expects to set in a unit drop-in without editing the JSON.
const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: string[]; parse: (v: string) => unknown }> = [
  { env: "K3S_DAAS_LOG_LEVEL", path: ["logLevel"], parse: (v) => v },
  { env: "K3S_DAAS_API_HOST", path: ["api", "host"], parse: (v) => v },
  { env: "K3S_DAAS_API_PORT", path: ["api", "port"], parse: (v) => (/^\d+$/.test(v) ? Number(v) : v) },
  { env: "K3S_DAAS_SUI_RPC_URL", path: ["sui", "rpcUrl"], parse: (v) => v },
  { env: "K3S_DAAS_CONTROL_PLANE_URL", path: ["controlPlane", "endpoint"], parse: (v) => v },
];

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (next === undefined) cur[key] = {};
    else if (typeof next !== "object" || next === null || Array.isArray(next)) return; // zod reports it
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

function describeIssue(issue: z.ZodIssue): string {
  const where = issue.path.join(".");
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => (where ? `${where}.${k}` : k));
    return `unknown config key${keys.length > 1 ? "s" : ""} ${keys.map((k) => `"${k}"`).join(", ")}`;
  }
  if (issue.code === "invalid_type" && issue.received === "undefined") {
    return `missing config key "${where}"`;
  }
  // Never echo the offending value: a misplaced secret must not reach the journal.
  return `config key "${where}": ${issue.message}`;
}

/** Pure: parse the file text, apply env overrides, validate. Throws ConfigError naming the key. */
export function readConfig(env: Record<string, string | undefined>, fileText: string): AgentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fileText);
  } catch (err) {
    throw new ConfigError(`config file is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError("config file must hold a JSON object");
  }
  const obj = structuredClone(raw) as Record<string, unknown>;
  for (const o of ENV_OVERRIDES) {
    const v = env[o.env];
    if (v !== undefined && v !== "") setPath(obj, o.path, o.parse(v));
  }
  const parsed = agentConfigSchema.safeParse(obj);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map(describeIssue).join("; "));
  }
  return parsed.data;
}

/**
 * Pure: the headers file's text (`{ "x-api-key": "..." }`) as a header set. Throws ConfigError
 * naming the file and the headers at fault, never a value.
 */
export function readRpcHeaders(path: string, fileText: string): Record<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(fileText);
  } catch {
    throw new ConfigError(`rpc headers file ${path} is not valid JSON`); // the parser's message may quote the text
  }
  const problems = rpcHeaderProblems(raw, "headers");
  if (problems.length) throw new ConfigError(`rpc headers file ${path}: ${problems.join("; ")}`);
  return raw as Record<string, string>;
}

/** Default config path: STAKER_CONFIG_PATH, else agent.json beside the bundle. */
export function configPath(env: Record<string, string | undefined>, bundleDir: string): string {
  return env.STAKER_CONFIG_PATH || `${bundleDir}/agent.json`;
}

/** The config as the API may show it: ids that grant nothing stay, secrets and paths to them go. */
export function redactConfig(cfg: AgentConfig): Record<string, unknown> {
  const { sealTokenId: _omit, paths, ...rest } = cfg;
  return {
    ...rest,
    sui: {
      ...cfg.sui,
      ...(cfg.sui.headersFile ? { headersFile: "[redacted]" } : {}),
      confirmSources: cfg.sui.confirmSources.map((c) => ({ ...c, ...(c.headersFile ? { headersFile: "[redacted]" } : {}) })),
    },
    sealTokenId: "[redacted]",
    paths: { workerKey: "[redacted]", diskPath: paths.diskPath },
  };
}
