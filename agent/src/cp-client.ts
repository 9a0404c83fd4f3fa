// Signed requests to the control plane and verification of its signed replies. No bearer
// secret crosses the wire: each request is signed by the worker key over method, path,
// timestamp, a single-use nonce and the body hash; each reply must be signed by the key that
// the NautilusRegistry names on chain, bound to our nonce.
import { randomBytes } from "node:crypto";
import { httpFetch, type HttpFetchResponse } from "../../src/sui";
import type { WorkerIdentity } from "./identity";
import {
  H_NODE_ID, H_NONCE, H_REPLY_SIGNATURE, H_REPLY_TIMESTAMP, H_SIGNATURE, H_TIMESTAMP,
  replySigningString, requestSigningString, verifyString,
} from "./protocol";

export interface ControlPlaneTarget {
  endpoint: string;
  /** base64 ed25519 key from the registry. */
  enclavePubkey: string;
}

export class ControlPlaneError extends Error {
  override name = "ControlPlaneError";
  constructor(message: string, readonly status?: number, readonly code?: string) {
    super(message);
  }
}

export interface SignedReply {
  status: number;
  body: Record<string, unknown>;
}

export class ControlPlaneClient {
  constructor(
    private readonly nodeId: string,
    private readonly identity: WorkerIdentity,
    private readonly timeoutMs: number,
  ) {}

  /** POST a signed JSON body; resolves only with a verified 2xx reply. */
  async post(target: ControlPlaneTarget, path: string, payload: unknown): Promise<SignedReply> {
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
    // An unsigned or mis-signed reply is not from the control plane the chain names, whatever
    // it says; treat it as a failure (an impostor's "ok" must not count as a heartbeat).
    if (!verifyString(target.enclavePubkey, replySigningString(nonce, replyTs, text), replySig)) {
      throw new ControlPlaneError(`reply from ${url.origin} is not signed by the registered control-plane key (HTTP ${res.status})`, res.status, "bad_reply_signature");
    }
    let parsed: Record<string, unknown> = {};
    try {
      const j: unknown = JSON.parse(text);
      if (j && typeof j === "object" && !Array.isArray(j)) parsed = j as Record<string, unknown>;
    } catch { /* leave empty */ }
    if (res.status < 200 || res.status >= 300) {
      const code = typeof parsed.code === "string" ? parsed.code : undefined;
      const msg = typeof parsed.error === "string" ? parsed.error : `HTTP ${res.status}`;
      throw new ControlPlaneError(`control plane refused ${path}: ${msg}`, res.status, code);
    }
    return { status: res.status, body: parsed };
  }
}
