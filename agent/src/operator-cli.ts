// The operator's side of signed agent requests (api/operator-auth.ts):
//   node agent.js operator-keygen [--key PATH]                 create the key, print its public half
//   node agent.js operator-request --node NODE_ID [--key PATH] [--body JSON] URL
// The public half goes into each agent's config (api.operatorKeys); the private key never leaves
// the operator's machine and is never printed. From a checkout: `npm run agent -- operator-request ...`.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { loadOrCreateIdentity } from "./identity";
import { H_NONCE, H_OPERATOR_KEY, H_SIGNATURE, H_TIMESTAMP, operatorSigningString } from "./protocol";

export const DEFAULT_OPERATOR_KEY = join(homedir(), ".config", "k3s-daas", "operator.key");

export class UsageError extends Error {
  override name = "UsageError";
}

/** The request could not be made (agent unreachable): exit 1, like a refused request. */
export class RequestError extends Error {
  override name = "RequestError";
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) throw new UsageError(`--${name} needs a value`);
  args.splice(i, 2);
  return v;
}

export function operatorKeygen(argv: string[]): string {
  const args = [...argv];
  const key = flag(args, "key") ?? DEFAULT_OPERATOR_KEY;
  if (args.length) throw new UsageError(`unexpected argument ${JSON.stringify(args[0])}`);
  return loadOrCreateIdentity(key).publicKey;
}

export interface SignedRequest {
  url: URL;
  init: RequestInit & { headers: Record<string, string> };
}

/** Build a signed POST: headers and body as the agent verifies them. */
export function signRequest(keyPath: string, nodeId: string, url: URL, body: string, now = Date.now()): SignedRequest {
  if (!existsSync(keyPath)) throw new UsageError(`no operator key at ${keyPath}: run operator-keygen first and put its public half in api.operatorKeys`);
  const id = loadOrCreateIdentity(keyPath);
  const ts = String(now);
  const nonce = randomBytes(16).toString("hex");
  const target = url.pathname + url.search;
  return {
    url,
    init: {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [H_OPERATOR_KEY]: id.publicKey,
        [H_TIMESTAMP]: ts,
        [H_NONCE]: nonce,
        [H_SIGNATURE]: id.sign(operatorSigningString("POST", target, nodeId, ts, nonce, body)),
      },
      body,
    },
  };
}

/** `operator-request`: send one signed POST, print the status and the agent's answer. */
export async function operatorRequest(argv: string[], out: (s: string) => void): Promise<number> {
  const args = [...argv];
  const key = flag(args, "key") ?? DEFAULT_OPERATOR_KEY;
  const nodeId = flag(args, "node");
  const body = flag(args, "body") ?? "{}";
  if (!nodeId) throw new UsageError("--node NODE_ID is required: the signature binds the request to that node");
  if (args.length !== 1) throw new UsageError("give exactly one URL, e.g. http://10.0.0.5:9443/api/v1/unstake");
  let url: URL;
  try {
    url = new URL(args[0]!);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(args[0])}`);
  }
  try {
    JSON.parse(body);
  } catch {
    throw new UsageError("--body must be JSON");
  }
  const req = signRequest(key, nodeId, url, body);
  let res: Response;
  try {
    res = await fetch(req.url, { ...req.init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const c = (err as { cause?: { code?: string; message?: string } }).cause;
    const cause = c?.code ?? c?.message ?? (err as Error).name;
    throw new RequestError(`cannot reach the agent at ${url.origin} (${cause})`);
  }
  out(`HTTP ${res.status}\n${await res.text()}\n`);
  return res.ok ? 0 : 1;
}
