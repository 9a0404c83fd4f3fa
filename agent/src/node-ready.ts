// The Kubernetes Node's Ready condition for this worker, asked the way the kubelet itself talks
// to the cluster: with the kubelet's kubeconfig (k3s writes it when it joins: the server is k3s's
// client-side load balancer https://127.0.0.1:6444, the CA and the kubelet's client certificate
// and key are files), so the agent needs no credential of its own and the Node authorizer lets
// it read exactly its own Node. Plus the kubelet's local healthz, which says at once when the
// kubelet process is gone (the Node's condition only turns Unknown ~40 s later).
//
// node:https and node:http only: Node's global fetch would load undici (~13 MB of RSS, see
// src/sui/node-http-fetch.ts); node:https is loaded by the chain client already. A check is two
// requests bounded by a timeout; it runs on the telemetry loop, so checks never overlap.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { dirname, resolve } from "node:path";
import { AGENT_VERSION } from "./version";

/** What one check saw. `ready` is null when it could not be told (and `error` says why). */
export interface NodeReadiness {
  /** Unix ms of the end of the check. */
  at: number;
  ready: boolean | null;
  /** The Ready condition's status as the API has it ("True", "False", "Unknown"). */
  status: string | null;
  reason: string | null;
  message: string | null;
  kubeletVersion: string | null;
  unschedulable: boolean | null;
  /** The Node could not be read (no kubeconfig yet, API server unreachable, not registered...). */
  error: string | null;
  /** The API server says there is no such Node (404): not registered yet, or deleted. */
  missing?: boolean;
  /** The kubelet's /healthz answered 200 "ok"; null only when it was not asked. */
  kubeletHealthy: boolean | null;
  kubeletHealthzError: string | null;
}

export interface NodeCheckOptions {
  nodeName: string;
  kubeconfig: string;
  kubeletHealthzUrl: string;
  timeoutMs: number;
}

/** What the kubeconfig holds that the check uses: TLS material as PEM text, never logged. */
export interface KubeAccess {
  server: URL;
  ca: string;
  cert: string;
  key: string;
}

// The response bodies are bounded: a Node object is a few KB to a few hundred (its image list).
const MAX_BODY = 4 * 1024 * 1024;

class CheckError extends Error {}

/**
 * The first cluster's server and CA and the first user's client certificate and key of a
 * kubeconfig, in the shape k3s writes (pkg/daemons/control/deps: `server:`,
 * `certificate-authority:`, `client-certificate:`, `client-key:` holding file paths); the
 * `-data` (base64) forms are read too. Not a YAML parser: one `key: value` per line, which is
 * what k3s, kubeadm and client-go write. File paths are relative to the kubeconfig's directory,
 * as client-go resolves them.
 */
export async function readKubeAccess(path: string): Promise<KubeAccess> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckError(code === "ENOENT" ? `no kubelet kubeconfig at ${path} (the k3s agent has not joined yet)` : `cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  const field = (name: string): string | undefined => {
    const m = new RegExp(`^[\\s-]*${name}:[ \\t]*(.*?)[ \\t]*$`, "m").exec(text);
    const v = m?.[1]?.replace(/^(["'])(.*)\1$/, "$2");
    return v ? v : undefined;
  };
  const material = async (name: string, what: string): Promise<string> => {
    const data = field(`${name}-data`);
    if (data) return Buffer.from(data, "base64").toString("utf8");
    const file = field(name);
    if (!file) throw new CheckError(`${path} names no ${name} (${what})`);
    const full = resolve(dirname(path), file);
    try {
      return await readFile(full, "utf8");
    } catch (err) {
      throw new CheckError(`cannot read the ${what} ${full}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const server = field("server");
  if (!server) throw new CheckError(`${path} names no server`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CheckError(`${path}: server ${server} is not a URL`);
  }
  if (url.protocol !== "https:") throw new CheckError(`${path}: server ${server} is not https`);
  const [ca, cert, key] = await Promise.all([
    material("certificate-authority", "API server CA"),
    material("client-certificate", "kubelet client certificate"),
    material("client-key", "kubelet client key"),
  ]);
  return { server: url, ca, cert, key };
}

interface Reply {
  status: number;
  body: string;
}

/** Reads a reply up to MAX_BODY; the caller's timer bounds the whole request. */
function collect(res: IncomingMessage): Promise<Reply> {
  return new Promise((resolveReply, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) res.destroy(new CheckError(`answer larger than ${MAX_BODY} bytes`));
      else chunks.push(c);
    });
    res.once("end", () => resolveReply({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    res.once("error", reject);
  });
}

type Send = (onResponse: (res: IncomingMessage) => void) => import("node:http").ClientRequest;

/** One GET, with a deadline on the whole exchange (connect, TLS, headers, body). */
function get(send: Send, timeoutMs: number): Promise<Reply> {
  return new Promise((resolveReply, reject) => {
    const req = send((res) => collect(res).then(resolveReply, reject));
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })), timeoutMs);
    req.once("error", reject);
    req.once("close", () => clearTimeout(timer));
    req.end();
  });
}

const why = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return e instanceof CheckError ? e.message : e?.code === "ETIMEDOUT" ? e.message! : (e?.code ?? e?.message ?? String(err));
};

/** The kubelet's answer to a Node GET, as a readiness. */
function readNode(nodeName: string, status: number, body: string): Omit<NodeReadiness, "at" | "kubeletHealthy" | "kubeletHealthzError"> {
  const none = { ready: null, status: null, reason: null, message: null, kubeletVersion: null, unschedulable: null };
  if (status === 404) return { ...none, missing: true, error: `node ${nodeName} is not registered with the API server (yet): 404` };
  if (status !== 200) {
    let msg = body.slice(0, 300);
    try {
      msg = (JSON.parse(body) as { message?: string }).message ?? msg; // a metav1.Status
    } catch { /* not JSON */ }
    return { ...none, error: `the API server answered ${status}: ${msg}` };
  }
  let node: { spec?: { unschedulable?: boolean }; status?: { conditions?: Array<Record<string, unknown>>; nodeInfo?: { kubeletVersion?: string } } };
  try {
    node = JSON.parse(body) as typeof node;
  } catch {
    return { ...none, error: "the API server's answer is not JSON" };
  }
  const kubeletVersion = node.status?.nodeInfo?.kubeletVersion || null;
  const unschedulable = node.spec?.unschedulable === true;
  const cond = node.status?.conditions?.find((c) => c.type === "Ready");
  if (!cond) return { ...none, kubeletVersion, unschedulable, error: `node ${nodeName} has no Ready condition yet` };
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  return {
    // "Unknown" (the kubelet stopped posting status) is not Ready, and its reason says so.
    ready: cond.status === "True",
    status: str(cond.status),
    reason: str(cond.reason),
    message: str(cond.message),
    kubeletVersion,
    unschedulable,
    error: null,
  };
}

export class NodeChecker {
  private agent: HttpsAgent | undefined;
  /** The TLS material the agent was made with: a renewed certificate gets a new agent. */
  private agentFor = "";

  constructor(private readonly o: NodeCheckOptions) {}

  /** One check; never rejects: what went wrong is in `error` / `kubeletHealthzError`. */
  async check(): Promise<NodeReadiness> {
    const [node, healthz] = await Promise.all([this.apiNode(), this.healthz()]);
    return { at: Date.now(), ...node, ...healthz };
  }

  private async apiNode(): Promise<Omit<NodeReadiness, "at" | "kubeletHealthy" | "kubeletHealthzError">> {
    const failed = (error: string) => ({ ready: null, status: null, reason: null, message: null, kubeletVersion: null, unschedulable: null, error });
    let access: KubeAccess;
    try {
      access = await readKubeAccess(this.o.kubeconfig);
    } catch (err) {
      return failed(why(err));
    }
    const { server } = access;
    const path = `${server.pathname.replace(/\/+$/, "")}/api/v1/nodes/${encodeURIComponent(this.o.nodeName)}`;
    try {
      const agent = this.agentOf(access); // throws on a key that does not match its certificate
      const r = await get((cb) => httpsRequest({
        host: server.hostname.replace(/^\[(.*)\]$/, "$1"), port: server.port || 443, path, method: "GET", agent,
        headers: { accept: "application/json", "user-agent": `k3s-daas-agent/${AGENT_VERSION}` },
      }, cb), this.o.timeoutMs);
      return readNode(this.o.nodeName, r.status, r.body);
    } catch (err) {
      // ECONNREFUSED, ETIMEDOUT...: nothing answers (k3s's load balancer down, the control plane
      // gone); anything else is TLS (a certificate the agent does not trust, a key that does not
      // match its certificate while k3s rewrites them).
      const code = (err as { code?: string }).code ?? "";
      return failed(/^E[A-Z]+$/.test(code)
        ? `the API server ${server.origin} is unreachable: ${why(err)}`
        : `the request to the API server ${server.origin} failed: ${why(err)}`);
    }
  }

  private agentOf(a: KubeAccess): HttpsAgent {
    // A digest, so the key's PEM is not kept on the heap once the context holds it.
    const key = createHash("sha256").update(a.ca).update("\0").update(a.cert).update("\0").update(a.key).digest("hex");
    if (!this.agent || key !== this.agentFor) {
      this.agent?.destroy();
      // One secure context for every check (the PEMs parsed once, not per connection). No
      // keep-alive: one request every sample period; the agent's TLS session cache makes the
      // next handshake a resumption all the same.
      const secureContext = createSecureContext({ ca: a.ca, cert: a.cert, key: a.key });
      this.agent = new HttpsAgent({ keepAlive: false, maxSockets: 1, secureContext });
      this.agentFor = key;
    }
    return this.agent;
  }

  private async healthz(): Promise<Pick<NodeReadiness, "kubeletHealthy" | "kubeletHealthzError">> {
    try {
      const r = await get((cb) => httpRequest(this.o.kubeletHealthzUrl, { method: "GET", agent: false }, cb), this.o.timeoutMs);
      if (r.status === 200 && r.body.trim() === "ok") return { kubeletHealthy: true, kubeletHealthzError: null };
      return { kubeletHealthy: false, kubeletHealthzError: `${this.o.kubeletHealthzUrl} answered ${r.status}: ${r.body.trim().slice(0, 300)}` };
    } catch (err) {
      return { kubeletHealthy: false, kubeletHealthzError: `${this.o.kubeletHealthzUrl}: ${why(err)}` };
    }
  }

  /** Drop pooled TLS state (agent shutdown). */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}

/** The `node` object of /health and /readyz (docs/contracts.md). */
export function nodeReport(nodeName: string, enabled: boolean, r: NodeReadiness | null | undefined): Record<string, unknown> {
  return {
    name: nodeName,
    check_enabled: enabled,
    ready: r?.ready ?? null,
    status: r?.status ?? null,
    reason: r?.reason ?? null,
    message: r?.message ?? null,
    kubelet_version: r?.kubeletVersion ?? null,
    unschedulable: r?.unschedulable ?? null,
    kubelet_healthy: r?.kubeletHealthy ?? null,
    kubelet_healthz_error: r?.kubeletHealthzError ?? null,
    checked_at: r ? new Date(r.at).toISOString() : null,
    error: r?.error ?? null,
  };
}
