// Plumbing for the control-plane stand-in: signed JSON replies and bounded bodies.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { KeyObject } from "node:crypto";
import { H_NONCE, H_REPLY_SIGNATURE, H_REPLY_TIMESTAMP, replySigningString, signString } from "../../agent/src/protocol";

export const MAX_BODY_BYTES = 256 * 1024;

export class CpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Every reply is signed and bound to the request's nonce, so an agent can trust it. */
export function sendSigned(key: KeyObject, req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  const nonce = typeof req.headers[H_NONCE] === "string" ? req.headers[H_NONCE] : "";
  const ts = Date.now().toString();
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    [H_REPLY_TIMESTAMP]: ts,
    [H_REPLY_SIGNATURE]: signString(key, replySigningString(nonce, ts, body)),
  });
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
