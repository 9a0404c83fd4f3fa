// grpc-web on the wire, as @protobuf-ts/grpcweb-transport (SuiGrpcClient's transport) speaks it:
// POST /<package>.<Service>/<Method>, a body of length-prefixed frames (flag byte 0x00 for a
// message, 0x80 for trailers, then a 4-byte big-endian length), `application/grpc-web+proto`
// or base64 `application/grpc-web-text`. Replies are HTTP 200 with message frames, then one
// trailer frame carrying `grpc-status` and a percent-encoded `grpc-message`.
import type { IncomingMessage, ServerResponse } from "node:http";
import { GrpcStatusCode } from "@mysten/sui/grpc";

export { GrpcStatusCode };

/** A failed call: becomes the trailer's grpc-status and grpc-message. */
export class GrpcError extends Error {
  constructor(readonly code: GrpcStatusCode, message: string) {
    super(message);
  }
}

const DATA = 0x00;
const TRAILER = 0x80;
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export type WireFormat = "binary" | "text";

export function wireFormatOf(contentType: string | undefined): WireFormat | null {
  const ct = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (ct === "application/grpc-web" || ct === "application/grpc-web+proto") return "binary";
  if (ct === "application/grpc-web-text" || ct === "application/grpc-web-text+proto") return "text";
  return null;
}

/** The single request message of a unary or server-streaming call. */
export async function readRequestMessage(req: IncomingMessage, format: WireFormat): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new GrpcError(GrpcStatusCode.RESOURCE_EXHAUSTED, `request larger than ${MAX_REQUEST_BYTES} bytes`);
    chunks.push(c as Buffer);
  }
  let body: Buffer = Buffer.concat(chunks);
  if (format === "text") body = Buffer.from(body.toString("latin1").replace(/\s+/g, ""), "base64");
  if (body.length < 5 || body[0] !== DATA) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, "request body is not a grpc-web message frame");
  const len = body.readUInt32BE(1);
  if (body.length < 5 + len) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, "request message frame is truncated");
  return new Uint8Array(body.subarray(5, 5 + len));
}

function frame(flag: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = flag;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec): everything outside printable ASCII, and '%'. */
export function encodeGrpcMessage(message: string): string {
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** One reply: opened once, any number of messages, closed once with a status. */
export class ReplyStream {
  private closed = false;
  constructor(private readonly res: ServerResponse, private readonly format: WireFormat) {
    res.writeHead(200, {
      "content-type": format === "text" ? "application/grpc-web-text" : "application/grpc-web+proto",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    });
    res.flushHeaders();
  }

  get isClosed(): boolean {
    return this.closed || this.res.destroyed;
  }

  send(message: Uint8Array): void {
    if (this.isClosed) return;
    this.write(frame(DATA, message));
  }

  close(code: GrpcStatusCode = GrpcStatusCode.OK, message = ""): void {
    if (this.isClosed) return;
    this.closed = true;
    const trailer = `grpc-status:${code}\r\ngrpc-message:${encodeGrpcMessage(message)}\r\n`;
    this.write(frame(TRAILER, Buffer.from(trailer, "latin1")));
    this.res.end();
  }

  private write(bytes: Buffer): void {
    // Text format: each frame is its own padded base64 block, so any concatenation decodes.
    this.res.write(this.format === "text" ? Buffer.from(bytes.toString("base64"), "latin1") : bytes);
  }
}
