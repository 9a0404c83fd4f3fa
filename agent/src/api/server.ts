// The agent's HTTP API on its own port (never a k3s port). Routing, auth, limits and error
// mapping live here; each endpoint is one handler file. Nothing a client sends can crash it.
import { createServer, type Server } from "node:http";
import { configRoute } from "./handlers/config";
import { healthRoute } from "./handlers/health";
import { livezRoute, readyzRoute } from "./handlers/probes";
import { metricsRoute } from "./handlers/metrics";
import { prometheusRoute } from "./handlers/prometheus";
import { registerRoute } from "./handlers/register";
import { stakingRoute } from "./handlers/staking";
import { unstakeRoute } from "./handlers/unstake";
import { HttpError, parseJsonObject, readBody, sendJson, type ApiContext, type Route } from "./http";

export const ROUTES: readonly Route[] = [
  healthRoute, livezRoute, readyzRoute, stakingRoute, metricsRoute, configRoute, registerRoute, unstakeRoute, prometheusRoute,
];

/**
 * Open connections the API serves at once (monitoring, probes and operators: a handful). Beyond
 * it Node closes a new connection at once; the ones held stay served, and a held connection that
 * sends nothing is dropped by the header/idle timeouts below, so a flood cannot keep the slots.
 */
export const MAX_API_CONNECTIONS = 128;
/** A request's headers must arrive within this, its whole body within requestTimeout. */
export const API_HEADERS_TIMEOUT_MS = 10_000;
export const API_REQUEST_TIMEOUT_MS = 30_000;
/** A connection with no traffic at all for this long is closed. */
export const API_IDLE_TIMEOUT_MS = 60_000;

export function createApiServer(ctx: ApiContext, limits: { maxConnections?: number } = {}): Server {
  const byPath = new Map<string, Route[]>();
  for (const r of ROUTES) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);

  const server = createServer(async (req, res) => {
    const started = Date.now();
    let path = "/";
    try {
      path = new URL(req.url ?? "/", "http://agent").pathname;
      const candidates = byPath.get(path);
      if (!candidates) throw new HttpError(404, "not found");
      const method = req.method === "HEAD" ? "GET" : req.method;
      const route = candidates.find((r) => r.method === method);
      if (!route) throw new HttpError(405, "method not allowed", { allow: candidates.map((r) => r.method).join(", ") });
      let body: Record<string, unknown> | undefined;
      if (route.method === "POST") {
        const raw = await readBody(req);
        // Verify before parsing: an unsigned body is not even looked at.
        if (route.signed) ctx.operatorAuth.verify(route.method, req.url ?? "/", req.headers, raw);
        body = parseJsonObject(raw);
      }
      await route.handle(ctx, req, res, body);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) ctx.log.error("API handler failed", { path, err });
      if (!res.headersSent) {
        // A 413 leaves unread bytes: answer, then drop the connection rather than read them.
        const extra: Record<string, string> = status === 413 ? { connection: "close" } : {};
        sendJson(res, status, { error: status === 500 ? "internal error" : (err as Error).message },
          { ...(err instanceof HttpError ? err.headers : {}), ...extra });
        if (status === 413) res.once("finish", () => req.socket.destroy());
      } else res.end();
    } finally {
      ctx.log.debug("api request", { method: req.method, path, status: res.statusCode, ms: Date.now() - started });
    }
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  server.maxConnections = limits.maxConnections ?? MAX_API_CONNECTIONS;
  server.requestTimeout = API_REQUEST_TIMEOUT_MS;
  server.headersTimeout = API_HEADERS_TIMEOUT_MS;
  server.keepAliveTimeout = 5_000;
  server.timeout = API_IDLE_TIMEOUT_MS;
  return server;
}
