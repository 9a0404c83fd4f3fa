// A TEST STAND-IN for a misbehaving RPC provider: an HTTP proxy in front of the devnet that
// passes calls through, or cuts and refuses the checkpoint stream, or answers every call with
// garbage, or never answers. Served over TLS when given a certificate (real full nodes are
// https://). Loopback only.
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";

export type ProxyMode = "pass" | "no-stream" | "garbage" | "hang";
const SUBSCRIBE = "/sui.rpc.v2.SubscriptionService/SubscribeCheckpoints";

export interface RpcProxy {
  url: string;
  mode: ProxyMode;
  /** Calls seen, by path. */
  calls: Map<string, number>;
  setMode(m: ProxyMode): void;
  close(): Promise<void>;
}

export async function startRpcProxy(upstream: string, opts: { tls?: { key: string; cert: string } } = {}): Promise<RpcProxy> {
  const target = new URL(upstream);
  const streams = new Set<ServerResponse>();
  const hung = new Set<ServerResponse>();
  const proxy: RpcProxy = {
    url: "", mode: "pass", calls: new Map(),
    setMode(m) {
      proxy.mode = m;
      if (m !== "pass") for (const s of streams) s.destroy();
      if (m !== "hang") for (const h of hung) h.destroy();
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "/";
    proxy.calls.set(path, (proxy.calls.get(path) ?? 0) + 1);
    if (proxy.mode === "hang") { hung.add(res); res.on("close", () => hung.delete(res)); req.resume(); return; }
    if (proxy.mode === "garbage") {
      req.resume();
      // A well-framed grpc-web reply whose message is not the protobuf the client expects.
      const junk = Buffer.from([0x00, 0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x42]);
      const trailer = Buffer.from("grpc-status:0\r\n");
      const t = Buffer.concat([Buffer.from([0x80, 0, 0, 0, trailer.length]), trailer]);
      res.writeHead(200, { "content-type": "application/grpc-web+proto" });
      res.end(Buffer.concat([junk, t]));
      return;
    }
    if (proxy.mode === "no-stream" && path === SUBSCRIBE) { req.resume(); res.writeHead(503); res.end(); return; }
    const up = request({ host: target.hostname, port: target.port, method: req.method, path, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on("error", () => res.destroy());
    res.on("close", () => up.destroy());
    if (path === SUBSCRIBE) { streams.add(res); res.on("close", () => streams.delete(res)); }
    req.pipe(up);
  };
  const server = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, handle) : createServer(handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  proxy.url = `${opts.tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
