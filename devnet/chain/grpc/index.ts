// The devnet's gRPC front: routes `POST /<service>/<method>` to the service files, decoding
// requests and encoding replies with the MessageTypes that @mysten/sui ships, and turns thrown
// errors into gRPC statuses. A thin translation over the one Chain; no state of its own.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Chain } from "../state.js";
import { GrpcError, GrpcStatusCode, ReplyStream, readRequestMessage, wireFormatOf } from "./wire.js";
import type { ServiceImpl } from "./service.js";
import { ledgerService } from "./services/ledger.js";
import { stateService } from "./services/state.js";
import { movePackageService } from "./services/move-package.js";
import { executionService } from "./services/execution.js";
import { subscriptionService } from "./services/subscription.js";
import { signatureService } from "./services/signature.js";

const SERVICES: ServiceImpl[] = [ledgerService, stateService, movePackageService, executionService, subscriptionService, signatureService];

interface Route {
  impl: ServiceImpl;
  method: ServiceImpl["service"]["methods"][number];
}

const ROUTES = new Map<string, Route>();
for (const impl of SERVICES) {
  for (const method of impl.service.methods) ROUTES.set(`/${impl.service.typeName}/${method.name}`, { impl, method });
}

/** Whether this request is a grpc-web call (and so belongs to this front). */
export function isGrpcWebRequest(req: IncomingMessage): boolean {
  return req.method === "POST" && wireFormatOf(req.headers["content-type"]) !== null;
}

/** The method name of a grpc-web request path, for request accounting. */
export function grpcMethodOf(url: string | undefined): string {
  return (url ?? "").replace(/^\//, "");
}

export interface FrontOptions {
  latencyMs: number;
  noSubscriptionFilters: boolean;
  /** The request lacks the API key the devnet was started to require (StartDevnetOptions.requireHeaders). */
  unauthenticated?: boolean;
}

export async function handleGrpcWeb(chain: Chain, req: IncomingMessage, res: ServerResponse, opts: FrontOptions): Promise<void> {
  const latencyMs = opts.latencyMs;
  const format = wireFormatOf(req.headers["content-type"])!;
  const route = ROUTES.get((req.url ?? "").split("?")[0]!);
  let reply: ReplyStream | null = null;
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  try {
    if (opts.unauthenticated) throw new GrpcError(GrpcStatusCode.UNAUTHENTICATED, "missing or invalid API key");
    const bytes = await readRequestMessage(req, format);
    if (!route) throw new GrpcError(GrpcStatusCode.UNIMPLEMENTED, `unknown method ${req.url}`);
    const { impl, method } = route;
    let request: object;
    try {
      request = method.I.fromBinary(bytes);
    } catch (e) {
      throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `cannot decode ${method.I.typeName}: ${(e as Error).message}`);
    }
    if (latencyMs) await new Promise((r) => setTimeout(r, latencyMs));
    if (opts.noSubscriptionFilters && method.name === "SubscribeCheckpoints" && (request as { filter?: unknown }).filter) {
      throw new GrpcError(GrpcStatusCode.UNIMPLEMENTED, "subscription filters are not supported by this node");
    }
    if (method.serverStreaming) {
      const handler = impl.stream?.[method.name];
      if (!handler) throw new GrpcError(GrpcStatusCode.UNIMPLEMENTED, `${impl.service.typeName}/${method.name} is not served by the devnet`);
      reply = new ReplyStream(res, format);
      const open = reply;
      await handler(chain, request, (msg) => open.send(method.O.toBinary(method.O.create(msg as never))), abort.signal);
      open.close();
      return;
    }
    const handler = impl.unary?.[method.name];
    if (!handler) throw new GrpcError(GrpcStatusCode.UNIMPLEMENTED, `${impl.service.typeName}/${method.name} is not served by the devnet`);
    const out = await handler(chain, request);
    const encoded = method.O.toBinary(method.O.create(out as never));
    reply = new ReplyStream(res, format);
    reply.send(encoded);
    reply.close();
  } catch (e) {
    const err = e instanceof GrpcError ? e : new GrpcError(GrpcStatusCode.INTERNAL, (e as Error).message);
    (reply ?? new ReplyStream(res, format)).close(err.code, err.message);
  }
}
