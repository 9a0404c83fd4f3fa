// A grpc-web RpcTransport for SuiGrpcClient that runs on an injected fetch-shaped function (the
// node:http one in node-http-fetch.ts) and never touches the global Headers class.
//
// Why not @protobuf-ts's GrpcWebFetchTransport with its `fetch` option: it builds every request's
// headers with `new globalThis.Headers()`, and that alone loads undici (the ~13 MB this exists to
// save). The wire work is still @protobuf-ts's (frame encoding, response header, body and trailer
// parsing); what is here is the call plumbing of its unary/serverStreaming, binary format only
// (the text format is for browsers), plus what @mysten/sui's subclass adds: percent-decoded
// grpc-message texts and an aborted call coded from its signal's reason (a timeout is
// DEADLINE_EXCEEDED, a plain abort CANCELLED). The x-sui-client-protocol-version header is added
// by SuiGrpcClient itself for any transport it is given.
import { GrpcStatusCode, RpcError } from "@mysten/sui/grpc";
import { createGrpcWebRequestBody, GrpcWebFrame, readGrpcWebResponseBody, readGrpcWebResponseHeader, readGrpcWebResponseTrailer } from "@protobuf-ts/grpcweb-transport";
import {
  Deferred, mergeRpcOptions, RpcOutputStreamController, ServerStreamingCall, UnaryCall,
  type ClientStreamingCall, type DuplexStreamingCall, type MethodInfo, type RpcMetadata, type RpcOptions, type RpcStatus, type RpcTransport,
} from "@protobuf-ts/runtime-rpc";
import type { HttpFetch } from "./node-http-fetch.js";

export interface GrpcWebHttpOptions extends RpcOptions {
  /** e.g. https://fullnode.mainnet.sui.io:443 (no trailing slash needed). */
  baseUrl: string;
  fetch: HttpFetch;
}

const codeName = (c: GrpcStatusCode): string => GrpcStatusCode[c];

/** grpc-message is percent-encoded on the wire (gRPC over HTTP/2); show the text. */
function decodeMessage(message: string): string {
  if (!message.includes("%")) return message;
  try {
    return decodeURIComponent(message);
  } catch {
    return message;
  }
}

/** The request headers: call metadata first, then the grpc-web ones (which win, as upstream). */
function requestHeaders(opt: GrpcWebHttpOptions): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(opt.meta ?? {})) for (const one of typeof v === "string" ? [v] : v) out.push([k.toLowerCase(), one]);
  const set = (k: string, v: string) => {
    for (let i = out.length - 1; i >= 0; i--) if (out[i]![0] === k) out.splice(i, 1);
    out.push([k, v]);
  };
  set("content-type", "application/grpc-web+proto");
  set("x-grpc-web", "1");
  const t = opt.timeout;
  if (t !== undefined) {
    const ms = typeof t === "number" ? t : t.getTime() - Date.now();
    // grpc-timeout must be a positive integer: an expired deadline fails here, as upstream.
    if (ms <= 0) throw new RpcError(typeof t === "number" ? `timeout ${t} ms exceeded` : `deadline ${t} exceeded`, codeName(GrpcStatusCode.DEADLINE_EXCEEDED));
    set("grpc-timeout", `${Math.ceil(ms)}m`);
  }
  return out;
}

interface Outcome {
  status: RpcStatus;
  trailers: RpcMetadata;
  messages: number;
}

export class GrpcWebHttpTransport implements RpcTransport {
  constructor(private readonly defaultOptions: GrpcWebHttpOptions) {}

  mergeOptions(options?: Partial<RpcOptions>): RpcOptions {
    return mergeRpcOptions(this.defaultOptions, options as Partial<GrpcWebHttpOptions> | undefined);
  }

  /** One call: POST the framed request, resolve `headers`, hand each message frame to `onMessage`. */
  private async exchange<I extends object, O extends object>(
    method: MethodInfo<I, O>, input: I, opt: GrpcWebHttpOptions, headers: Deferred<RpcMetadata>, onMessage: (data: Uint8Array) => void,
  ): Promise<Outcome> {
    const res = await opt.fetch(`${opt.baseUrl.replace(/\/+$/, "")}/${method.service.typeName}/${method.name}`, {
      method: "POST",
      headers: requestHeaders(opt),
      body: createGrpcWebRequestBody(method.I.toBinary(input, opt.binaryOptions), "binary"),
      signal: opt.abort ?? null,
    });
    const [code, detail, meta] = readGrpcWebResponseHeader(res.headers.toRecord(), res.status, res.statusText);
    headers.resolve(meta);
    // A trailers-only reply (status in the HTTP headers) or an HTTP error status.
    if (code !== undefined && code !== GrpcStatusCode.OK) throw new RpcError(detail ?? codeName(code), codeName(code), meta);
    let status: RpcStatus | undefined = code !== undefined ? { code: codeName(code), detail: detail ?? codeName(code) } : undefined;
    let trailers: RpcMetadata | undefined;
    let messages = 0;
    if (!res.body) throw new RpcError("missing response body", codeName(GrpcStatusCode.INTERNAL));
    await readGrpcWebResponseBody(res.body, res.headers.get("content-type"), (type, data) => {
      if (type === GrpcWebFrame.DATA) {
        messages += 1;
        onMessage(data);
      } else if (type === GrpcWebFrame.TRAILER) {
        const [c, d, t] = readGrpcWebResponseTrailer(data);
        trailers = t;
        status = { code: codeName(c), detail: d ?? codeName(c) };
      }
    });
    if (!trailers && messages > 0) throw new RpcError("missing trailers", codeName(GrpcStatusCode.DATA_LOSS));
    if (!status) throw new RpcError("missing status", codeName(GrpcStatusCode.INTERNAL));
    return { status, trailers: trailers ?? {}, messages };
  }

  /** Any failure as the RpcError callers see (see the file comment). */
  private failure(reason: unknown, method: MethodInfo, signal: AbortSignal | undefined): RpcError {
    const err = reason instanceof RpcError
      ? reason
      : new RpcError(reason instanceof Error ? reason.message : String(reason), codeName(reason instanceof Error && reason.name === "AbortError" ? GrpcStatusCode.CANCELLED : GrpcStatusCode.INTERNAL));
    const abortReason = signal?.aborted ? (signal.reason as { name?: unknown; message?: unknown; code?: unknown } | undefined) : undefined;
    if (signal?.aborted && (err.code === "INTERNAL" || err.code === "CANCELLED")) {
      const c = abortReason?.code;
      err.code = typeof c === "string" && typeof GrpcStatusCode[c as keyof typeof GrpcStatusCode] === "number"
        ? c
        : codeName(abortReason?.name === "TimeoutError" ? GrpcStatusCode.DEADLINE_EXCEEDED : GrpcStatusCode.CANCELLED);
    }
    if (!(signal?.aborted && err.message === (typeof signal.reason === "string" ? signal.reason : abortReason?.message))) err.message = decodeMessage(err.message);
    err.methodName = method.name;
    err.serviceName = method.service.typeName;
    return err;
  }

  unary<I extends object, O extends object>(method: MethodInfo<I, O>, input: I, options: RpcOptions): UnaryCall<I, O> {
    const opt = options as GrpcWebHttpOptions;
    const headers = new Deferred<RpcMetadata>(), response = new Deferred<O>(), status = new Deferred<RpcStatus>(), trailers = new Deferred<RpcMetadata>();
    let message: O | undefined;
    this.exchange(method, input, opt, headers, (data) => {
      if (message) throw new RpcError("unary call received 2nd message", codeName(GrpcStatusCode.DATA_LOSS));
      message = method.O.fromBinary(data, opt.binaryOptions);
    })
      .then((o) => {
        if (!message) throw new RpcError(o.status.code === "OK" ? "expected error status" : o.status.detail, o.status.code === "OK" ? codeName(GrpcStatusCode.DATA_LOSS) : o.status.code, o.trailers);
        response.resolve(message);
        if (o.status.code !== "OK") throw new RpcError(o.status.detail, o.status.code, o.trailers);
        status.resolve(o.status);
        trailers.resolve(o.trailers);
      })
      .catch((reason: unknown) => {
        const err = this.failure(reason, method, opt.abort);
        for (const d of [headers, response, status, trailers]) d.rejectPending(err);
      });
    return new UnaryCall(method, opt.meta ?? {}, input, headers.promise, response.promise, status.promise, trailers.promise);
  }

  serverStreaming<I extends object, O extends object>(method: MethodInfo<I, O>, input: I, options: RpcOptions): ServerStreamingCall<I, O> {
    const opt = options as GrpcWebHttpOptions;
    const headers = new Deferred<RpcMetadata>(), status = new Deferred<RpcStatus>(), trailers = new Deferred<RpcMetadata>();
    const responses = new RpcOutputStreamController<O>();
    this.exchange(method, input, opt, headers, (data) => responses.notifyMessage(method.O.fromBinary(data, opt.binaryOptions)))
      .then((o) => {
        if (o.status.code !== "OK") throw new RpcError(o.status.detail, o.status.code, o.trailers);
        responses.notifyComplete();
        status.resolve(o.status);
        trailers.resolve(o.trailers);
      })
      .catch((reason: unknown) => {
        const err = this.failure(reason, method, opt.abort);
        headers.rejectPending(err);
        responses.notifyError(err);
        status.rejectPending(err);
        trailers.rejectPending(err);
      });
    return new ServerStreamingCall(method, opt.meta ?? {}, input, headers.promise, responses, status.promise, trailers.promise);
  }

  clientStreaming<I extends object, O extends object>(method: MethodInfo<I, O>): ClientStreamingCall<I, O> {
    throw this.unsupported(method, "Client streaming");
  }

  duplex<I extends object, O extends object>(method: MethodInfo<I, O>): DuplexStreamingCall<I, O> {
    throw this.unsupported(method, "Duplex streaming");
  }

  private unsupported(method: MethodInfo, what: string): RpcError {
    const e = new RpcError(`${what} is not supported by grpc-web`, codeName(GrpcStatusCode.UNIMPLEMENTED));
    e.methodName = method.name;
    e.serviceName = method.service.typeName;
    return e;
  }
}
