// Signed requests to the control plane and verification of its signed replies. No bearer
// secret crosses the wire: each request is signed by the worker key over method, path,
// timestamp, a single-use nonce and the body hash; each reply must be signed by the key that
// the NautilusRegistry names on chain, in reply format v2: bound to its own status code and to
// this request (method, path, node id, the request's signature, nonce). Nothing in a reply that
// does not verify is acted on, its status least of all.
import { randomBytes } from "node:crypto";
import { httpFetch, type HttpFetchResponse } from "../../src/sui";
import type { WorkerIdentity } from "./identity";
import {
  H_NODE_ID, H_NONCE, H_REPLY_SIGNATURE, H_REPLY_TIMESTAMP, H_REPLY_VERSION, H_SIGNATURE, H_TIMESTAMP,
  H_WANT_REPLY_VERSION, REPLY_VERSION, replySigningStringV2, requestSigningString, verifyString,
} from "./protocol";

export interface ControlPlaneTarget {
  endpoint: string;
  /** base64 ed25519 key from the registry. */
  enclavePubkey: string;
}

export class ControlPlaneError extends Error {
  override name = "ControlPlaneError";
  /** status and code are the verified reply's; for a reply that did not verify, status is undefined. */
  constructor(message: string, readonly status?: number, readonly code?: string) {
    super(message);
  }
}

export interface SignedReply {
  status: number;
  body: Record<string, unknown>;
}

/**
 * How one request ended, for the round-trip histogram: a verified 2xx (`ok`), a verified refusal
 * (`refused`), a reply that did not verify (`bad_reply`), or no reply at all (`unreachable`:
 * connection error, timeout).
 */
export type RoundTripOutcome = "ok" | "refused" | "bad_reply" | "unreachable";
export type RoundTripObserver = (path: string, outcome: RoundTripOutcome, seconds: number) => void;

export class ControlPlaneClient {
  constructor(
    private readonly nodeId: string,
    private readonly identity: WorkerIdentity,
    private readonly timeoutMs: number,
    /** Told the duration of every request, from sending to the whole reply read and checked. */
    private readonly observe?: RoundTripObserver,
  ) {}

  /** POST a signed JSON body; resolves only with a verified 2xx reply. */
  async post(target: ControlPlaneTarget, path: string, payload: unknown): Promise<SignedReply> {
    const started = performance.now();
    let outcome: RoundTripOutcome = "unreachable";
    try {
      const reply = await this.send(target, path, payload);
      outcome = "ok";
      return reply;
    } catch (err) {
      if (err instanceof ControlPlaneError) outcome = err.code === "bad_reply_signature" || err.code === "old_reply_version" ? "bad_reply" : err.status !== undefined ? "refused" : "unreachable";
      throw err;
    } finally {
      this.observe?.(path, outcome, (performance.now() - started) / 1000);
    }
  }

  private async send(target: ControlPlaneTarget, path: string, payload: unknown): Promise<SignedReply> {
    const body = JSON.stringify(payload);
    const timestamp = Date.now().toString();
    const nonce = randomBytes(16).toString("hex");
    const signature = this.identity.sign(requestSigningString("POST", path, timestamp, nonce, body));
    const url = new URL(path, target.endpoint.endsWith("/") ? target.endpoint : target.endpoint + "/");
    let res: HttpFetchResponse;
    try {
      // node:http, not the global fetch, which would load undici (~13 MB): issue 15.
      res = await httpFetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [H_NODE_ID]: this.nodeId,
          [H_TIMESTAMP]: timestamp,
          [H_NONCE]: nonce,
          [H_SIGNATURE]: signature,
          [H_WANT_REPLY_VERSION]: String(REPLY_VERSION),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new ControlPlaneError(`control plane unreachable at ${url.origin} (${cause})`);
    }
    const text = await res.text();
    const replyTs = res.headers.get(H_REPLY_TIMESTAMP) ?? "";
    const replySig = res.headers.get(H_REPLY_SIGNATURE) ?? "";
    let parsed: Record<string, unknown> = {};
    try {
      const j: unknown = JSON.parse(text);
      if (j && typeof j === "object" && !Array.isArray(j)) parsed = j as Record<string, unknown>;
    } catch { /* leave empty */ }
    // An unsigned or mis-signed reply, or one signed for another request, node or status, is not
    // the control plane's answer to this request, whatever it says: a failure (an impostor's
    // "ok" must not count as a heartbeat, nor someone else's "superseded" stop this node).
    const binding = { status: res.status, method: "POST", path, nodeId: this.nodeId, nonce, requestSignature: signature };
    if (!verifyString(target.enclavePubkey, replySigningStringV2(binding, replyTs, text), replySig)) {
      if (replySig && res.headers.get(H_REPLY_VERSION) === null) {
        throw new ControlPlaneError(`the control plane at ${url.origin} answered in reply format v1, which is not bound to the request; ` +
          `this agent needs reply v${REPLY_VERSION} (docs/contracts.md): upgrade the control plane before the agents (HTTP ${res.status} not trusted)`,
        undefined, "old_reply_version");
      }
      throw new ControlPlaneError(`reply from ${url.origin} is not signed by the registered control-plane key for this request ` +
        `(HTTP ${res.status}${untrustedClaim(parsed)}, not trusted)`, undefined, "bad_reply_signature");
    }
    if (res.status < 200 || res.status >= 300) {
      const code = typeof parsed.code === "string" ? parsed.code : undefined;
      const msg = typeof parsed.error === "string" ? parsed.error : `HTTP ${res.status}`;
      throw new ControlPlaneError(`control plane refused ${path}: ${msg}`, res.status, code);
    }
    return { status: res.status, body: parsed };
  }
}

/**
 * What an unverified reply says went wrong, for the operator only (the control plane does not
 * sign a refusal of a request it could not authenticate: a skewed clock's `stale_timestamp`
 * arrives unsigned). Quoted, cut short and stripped of control characters; never acted on.
 */
function untrustedClaim(body: Record<string, unknown>): string {
  const said = [body.code, body.error].filter((x): x is string => typeof x === "string").join(": ");
  if (!said) return "";
  return `, it says ${JSON.stringify(said.replace(/[\u0000-\u001f\u007f]/g, " ").slice(0, 200))}`;
}
