// The supervisor's reverse proxy to the real kube-apiserver on loopback (every path that is not
// a k3s endpoint), as k3s's supervisor hands such requests to its in-process apiserver.
//
// Authentication: a client certificate is verified by the supervisor's TLS server against the
// client CA (requestCert, rejectUnauthorized false, then socket.authorized here: a certificate the
// client CA did not sign gets 401 from us). Its CN and O go on as X-Remote-User / X-Remote-Group
// with kube-apiserver's request-header authentication, over connections presenting the
// front-proxy certificate (CN system:auth-proxy, request-header CA). A caller's own X-Remote-*
// headers are always removed. A request without a certificate goes on as it came (a bearer token
// is the apiserver's to check) over connections without the front-proxy certificate. A kubelet
// (system:node:<id>) is let through only while its node passes the stake gate. Upgrades (exec,
// attach, port-forward, websocket watches) are spliced after the 101; streams are piped as they come.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { Agent, request } from "node:https";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { stakeGateMessage } from "./node-lifecycle";

export type Identity = { user: string; groups: string[] };

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "upgrade", "host"];

/** The caller's verified certificate identity; null without a certificate; "invalid" for one the client CA did not sign. */
export function certIdentity(socket: TLSSocket): Identity | null | "invalid" {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return null;
  if (!socket.authorized) return "invalid";
  const cn = cert.subject?.CN;
  const o = cert.subject?.O;
  const user = Array.isArray(cn) ? cn[0] : cn;
  if (!user) return "invalid";
  return { user, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

/** A Kubernetes Status body, what kubectl expects from the API's address. */
function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });
}

/** The headers sent on to the apiserver: no hop-by-hop, never a caller's X-Remote-*, identity ours. */
function forwardHeaders(h: IncomingHttpHeaders, id: Identity | null, upgrade: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || k.startsWith("x-remote-") || HOP_BY_HOP.includes(k)) continue;
    // The certificate is the identity; a token sent alongside must not be a second one.
    if (id && k === "authorization") continue;
    out[k] = v;
  }
  if (upgrade) {
    out.connection = "Upgrade";
    if (h.upgrade) out.upgrade = h.upgrade;
  }
  if (id) {
    out["x-remote-user"] = id.user;
    if (id.groups.length) out["x-remote-group"] = id.groups;
  }
  return out;
}

export interface ApiProxy {
  handle(req: IncomingMessage, res: ServerResponse, id: Identity | null | "invalid"): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

export function createApiProxy(o: {
  apiserverPort: number;
  /** The server CA's PEM: the apiserver's certificate is verified against it. */
  serverCa: Buffer;
  frontProxy: { cert: Buffer; key: Buffer };
  /** Whether a node's kubelet may speak now (the stake gate). */
  admitted(node: string): boolean;
}): ApiProxy {
  const upstream = { ca: o.serverCa, host: "127.0.0.1", port: o.apiserverPort };
  const asProxy = new Agent({ ...upstream, ...o.frontProxy, keepAlive: true });
  const anonymous = new Agent({ ...upstream, keepAlive: true });

  /** The identity a proxied request goes on with, or the refusal for the caller. */
  function identity(id: Identity | null | "invalid"): { id: Identity | null } | { status: number; reason: string; message: string } {
    if (id === "invalid") return { status: 401, reason: "Unauthorized", message: "client certificate not signed by the cluster's client CA" };
    const node = id?.user.startsWith("system:node:") ? id.user.slice("system:node:".length) : null;
    if (id && node !== null && !o.admitted(node)) return { status: 403, reason: "Forbidden", message: `${id.user}: ${stakeGateMessage(node)}` };
    return { id };
  }

  function handle(req: IncomingMessage, res: ServerResponse, id: Identity | null | "invalid"): void {
    const who = identity(id);
    if ("status" in who) {
      const body = statusBody(who.status, who.reason, who.message);
      res.writeHead(who.status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const up = request({
      ...upstream,
      method: req.method,
      path: req.url,
      headers: forwardHeaders(req.headers, who.id, false),
      agent: who.id ? asProxy : anonymous,
    }, (ur) => {
      const headers: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(ur.headers)) {
        if (v !== undefined && k !== "transfer-encoding" && !HOP_BY_HOP.includes(k)) headers[k] = v;
      }
      res.writeHead(ur.statusCode ?? 502, headers);
      // Watches and logs: the headers at once, then every chunk as it arrives.
      res.flushHeaders();
      ur.pipe(res);
      ur.on("error", () => res.destroy());
    });
    up.on("error", (err) => {
      if (res.headersSent) return void res.destroy();
      const body = statusBody(502, "BadGateway", `apiserver unreachable: ${err.message}`);
      res.writeHead(502, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
    // The caller went away (a watch cancelled): drop the upstream request too.
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const refuse = (status: number, reason: string, message: string) => {
      const body = statusBody(status, reason, message);
      socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    };
    const who = identity(certIdentity(req.socket as TLSSocket));
    if ("status" in who) return refuse(who.status, who.reason, who.message);
    // Its own connection (agent: false): an upgraded socket leaves any pool.
    const up = request({
      ...upstream,
      ...(who.id ? o.frontProxy : {}),
      method: req.method,
      path: req.url,
      headers: forwardHeaders(req.headers, who.id, true),
      agent: false,
    });
    up.on("upgrade", (ur, upSocket, upHead) => {
      const lines = [`HTTP/1.1 ${ur.statusCode} ${ur.statusMessage}`];
      for (let i = 0; i < ur.rawHeaders.length; i += 2) lines.push(`${ur.rawHeaders[i]}: ${ur.rawHeaders[i + 1]}`);
      socket.write(lines.join("\r\n") + "\r\n\r\n");
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      upSocket.on("error", () => socket.destroy());
      socket.on("close", () => upSocket.destroy());
      upSocket.on("close", () => socket.destroy());
      upSocket.pipe(socket);
      socket.pipe(upSocket);
    });
    // Not upgraded (refused, or a bad request): hand the answer back and close.
    up.on("response", (ur) => {
      const chunks: Buffer[] = [];
      ur.on("data", (c: Buffer) => chunks.push(c));
      ur.on("end", () => {
        const body = Buffer.concat(chunks);
        const lines = [`HTTP/1.1 ${ur.statusCode} ${ur.statusMessage}`];
        for (let i = 0; i < ur.rawHeaders.length; i += 2) {
          const k = ur.rawHeaders[i]!.toLowerCase();
          if (k !== "transfer-encoding" && k !== "content-length" && k !== "connection") lines.push(`${ur.rawHeaders[i]}: ${ur.rawHeaders[i + 1]}`);
        }
        lines.push(`content-length: ${body.length}`, "connection: close");
        socket.write(lines.join("\r\n") + "\r\n\r\n");
        socket.end(body);
      });
    });
    up.on("error", () => socket.destroy());
    socket.on("close", () => up.destroy());
    up.end();
  }

  return {
    handle,
    upgrade,
    close() {
      asProxy.destroy();
      anonymous.destroy();
    },
  };
}
