// Authentication of the mutating endpoints: each POST is signed by an operator key whose public
// half is in the agent's config (api.operatorKeys), over method, request target, this node's id,
// a timestamp, a single-use nonce and the body's hash. Nothing reusable crosses the wire: a
// captured request is refused when replayed (nonce seen, or timestamp out of the window, or
// signed before this agent process started), and cannot be bent to another node or body.
import type { IncomingHttpHeaders } from "node:http";
import { H_NONCE, H_OPERATOR_KEY, H_SIGNATURE, H_TIMESTAMP, TIMESTAMP_WINDOW_MS, operatorSigningString, verifyString } from "../protocol";
import { HttpError } from "./http-error";

const NONCE_RE = /^[A-Za-z0-9_-]{16,128}$/;
/** Bound on remembered nonces; only verified requests are remembered, so only operators fill it. */
const MAX_NONCES = 100_000;

export interface OperatorAuthOptions {
  nodeId: string;
  /** base64 raw ed25519 public keys. */
  keys: readonly string[];
  now?: () => number;
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? undefined : v; // a repeated header is malformed, not a choice
}

const refuse = (why: string) => new HttpError(401, why, { "www-authenticate": "K3s-Daas-Operator" });

export class OperatorAuth {
  private readonly keys: ReadonlySet<string>;
  /** nonce -> when it may be forgotten (its timestamp has left the window by then). */
  private readonly nonces = new Map<string, number>();
  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(private readonly o: OperatorAuthOptions) {
    this.keys = new Set(o.keys);
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Throws a 401/403 HttpError naming what is wrong; returns the key that signed. */
  verify(method: string, target: string, headers: IncomingHttpHeaders, body: string): string {
    if (this.keys.size === 0) {
      throw new HttpError(403, "no operator key is configured on this node (api.operatorKeys): signed requests are refused");
    }
    const key = header(headers, H_OPERATOR_KEY);
    const ts = header(headers, H_TIMESTAMP);
    const nonce = header(headers, H_NONCE);
    const sig = header(headers, H_SIGNATURE);
    const missing = [[H_OPERATOR_KEY, key], [H_TIMESTAMP, ts], [H_NONCE, nonce], [H_SIGNATURE, sig]].filter(([, v]) => !v).map(([n]) => n);
    if (missing.length) throw refuse(`unsigned request: missing header${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
    if (!this.keys.has(key!)) throw refuse(`operator key ${key} is not authorised on this node`);
    if (!/^\d{1,16}$/.test(ts!)) throw refuse(`${H_TIMESTAMP} must be Unix milliseconds`);
    if (!NONCE_RE.test(nonce!)) throw refuse(`${H_NONCE} must be 16-128 characters of [A-Za-z0-9_-]`);
    const now = this.now();
    const at = Number(ts);
    if (Math.abs(now - at) > TIMESTAMP_WINDOW_MS) {
      throw refuse(`request timestamp is ${Math.round((now - at) / 1000)} s from this node's clock (window ±${TIMESTAMP_WINDOW_MS / 1000} s): sign a new request`);
    }
    // A nonce cache does not survive a restart; a request older than this process could be a
    // replay of one the previous process accepted.
    if (at < this.startedAt) throw refuse("request was signed before this agent started: sign a new request");
    if (!verifyString(key!, operatorSigningString(method, target, this.o.nodeId, ts!, nonce!, body), sig!)) {
      throw refuse(`signature does not verify for operator key ${key} over this request (method, path, node ${this.o.nodeId}, timestamp, nonce, body)`);
    }
    this.forgetExpired(now);
    if (this.nonces.has(nonce!)) throw refuse("replayed request: this nonce was already used");
    if (this.nonces.size >= MAX_NONCES) throw new HttpError(503, "too many signed requests in the last two minutes", { "retry-after": "60" });
    this.nonces.set(nonce!, at + 2 * TIMESTAMP_WINDOW_MS);
    return key!;
  }

  private forgetExpired(now: number): void {
    for (const [n, until] of this.nonces) {
      if (until > now) continue;
      this.nonces.delete(n);
    }
  }
}
