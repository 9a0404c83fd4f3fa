// Plumbing for the control-plane stand-in: replies (signed only for authenticated requests) and
// bounded bodies.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { KeyObject } from "node:crypto";
import {
  H_REPLY_SIGNATURE, H_REPLY_TIMESTAMP, H_REPLY_VERSION, H_WANT_REPLY_VERSION, REPLY_VERSION,
  replySigningString, replySigningStringV2, signString,
} from "../../agent/src/protocol";

export const MAX_BODY_BYTES = 256 * 1024;

export class CpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The request a reply may be signed for: its signature verified and its nonce was fresh. */
export interface AuthenticatedRequest {
  nodeId: string;
  method: string;
  /** The path its signature covers (the route's). */
  path: string;
  nonce: string;
  signature: string;
}

const authenticated = new WeakMap<IncomingMessage, AuthenticatedRequest>();

/**
 * Mark a request as authenticated (verify.ts, once the worker's signature verified and the nonce
 * was used): from then on its reply, whatever its status, is signed and bound to it. Nothing
 * else is ever signed: not a refusal before that point (unsigned, stale, bad signature, replay,
 * unknown path), not GET /api/v1/workers. A replayed request gets no signed reply, so each
 * request signature gets at most one.
 */
export function markAuthenticated(req: IncomingMessage, a: AuthenticatedRequest): void {
  authenticated.set(req, a);
}

/**
 * The reply format a request asks for: v1 without X-K3s-Reply-Version (agents before v2), else
 * the highest this control plane speaks up to the one asked. Null for a malformed value.
 */
export function wantedReplyVersion(req: IncomingMessage): number | null {
  const v = req.headers[H_WANT_REPLY_VERSION];
  if (v === undefined) return 1;
  if (typeof v !== "string" || !/^[1-9]\d{0,3}$/.test(v)) return null;
  return Math.min(Number(v), REPLY_VERSION);
}

/**
 * A JSON reply. Signed with the control-plane key only when the request was authenticated
 * (markAuthenticated): v2 binds status, method, path, node id, the request's signature and nonce;
 * v1 (asked for by agents before v2) binds the nonce only. Anything else goes out unsigned, and
 * an agent never acts on an unsigned reply.
 */
export function sendReply(key: KeyObject, req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  const auth = authenticated.get(req);
  const version = wantedReplyVersion(req);
  if (auth && version !== null) {
    const ts = Date.now().toString();
    headers[H_REPLY_TIMESTAMP] = ts;
    if (version >= 2) {
      headers[H_REPLY_VERSION] = "2";
      headers[H_REPLY_SIGNATURE] = signString(key, replySigningStringV2({
        status, method: auth.method, path: auth.path, nodeId: auth.nodeId, nonce: auth.nonce, requestSignature: auth.signature,
      }, ts, body));
    } else {
      headers[H_REPLY_SIGNATURE] = signString(key, replySigningString(auth.nonce, ts, body));
    }
  }
  res.writeHead(status, headers);
  res.end(body);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new CpError(413, "too_large", "request body too large");
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
