// The k3s supervisor stand-in: the https server a k3s agent joins through, serving the subset of
// k3s's pkg/server/handlers in the issue 22 contract (/cacerts, /ping, /v1-k3s/...) with the node
// password check and the stake gate on the kubelet certificates. Every other path goes to the
// apiserver through the authenticating proxy (proxy.ts). The TLS server asks for a client
// certificate and checks it against the client CA without refusing the handshake, so agents
// without one (the join, with the token) and bearer-token clients connect too.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { isIP, type AddressInfo, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { CLUSTER_CIDR, CLUSTER_DNS, CLUSTER_DOMAIN, SERVICE_CIDR } from "./components";
import type { KubeApi } from "./api";
import type { NodePasswords } from "./node-passwords";
import { issue, type Pki } from "./pki";
import { certIdentity, createApiProxy, type Identity } from "./proxy";
import { DNS1123 } from "../../../src/rules";

export interface SupervisorGate {
  /** Null when the node may have kubelet certificates, else the refusal (throws if the chain cannot be read). */
  stakeRefusal(node: string): Promise<string | null>;
  /** Whether system:node:<node> may speak through the proxy now. */
  admitted(node: string): boolean;
  /** The addresses the node's agent gave with its serving certificate request (k3s-Node-IP). */
  noteNodeIps(node: string, ips: readonly string[]): void;
}

export interface SupervisorOptions {
  host: string;
  port: number;
  pki: Pki;
  apiserverPort: number;
  /** The password of the token's `node` user (secret: compared, never logged). */
  nodeTokenPassword: string;
  passwords: NodePasswords;
  gate: SupervisorGate;
  api: KubeApi;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface Supervisor {
  port: number;
  /** The /cacerts bytes (the server CA's PEM), whose sha256 the token carries. */
  cacerts: Buffer;
  close(): Promise<void>;
}

const NODE_NAME = DNS1123;

export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function equalSecret(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest(), hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? "";
}

function text(res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export async function startSupervisor(o: SupervisorOptions): Promise<Supervisor> {
  const { pki } = o;
  const cacerts = readFileSync(pki.serverCa.cert);
  const serverCaPem = cacerts.toString("utf8");
  const clientCaPem = readFileSync(pki.clientCa.cert, "utf8");
  const proxy = createApiProxy({
    apiserverPort: o.apiserverPort,
    serverCa: cacerts,
    frontProxy: { cert: readFileSync(pki.clientAuthProxy.cert), key: readFileSync(pki.clientAuthProxy.key) },
    admitted: (node) => o.gate.admitted(node),
  });
  let supervisorPort = o.port;

  /** Basic node:<token password>, or a verified certificate of a node (k3s's group check). */
  function agentAuthorized(req: IncomingMessage, id: Identity | null | "invalid"): boolean {
    if (id && id !== "invalid" && id.groups.includes("system:nodes")) return true;
    const auth = header(req, "authorization");
    if (!auth.startsWith("Basic ")) return false;
    const decoded = Buffer.from(auth.slice(6), "base64").toString("utf8");
    const i = decoded.indexOf(":");
    return i > 0 && decoded.slice(0, i) === "node" && equalSecret(decoded.slice(i + 1), o.nodeTokenPassword);
  }

  async function nodeCert(req: IncomingMessage, res: ServerResponse, kind: "serving" | "client"): Promise<void> {
    const node = header(req, "k3s-node-name");
    const password = header(req, "k3s-node-password");
    if (!NODE_NAME.test(node) || node.length > 63) return text(res, 400, "invalid or missing k3s-Node-Name header");
    if (!password) return text(res, 400, "missing k3s-Node-Password header");
    const ips = header(req, "k3s-node-ip").split(",").map((s) => s.trim()).filter(Boolean);
    if (ips.some((ip) => !isIP(ip))) return text(res, 400, "invalid k3s-Node-IP header");
    let refusal: string | null;
    try {
      refusal = await o.gate.stakeRefusal(node);
    } catch (err) {
      return text(res, 503, `cannot check the stake of node ${node} on chain: ${(err as Error).message}`);
    }
    if (refusal) {
      o.log("kubelet certificate refused (stake gate)", { node, kind });
      return text(res, 403, refusal);
    }
    if (!(await o.passwords.verifyOrRecord(node, password))) {
      o.log("kubelet certificate refused (node password)", { node, kind });
      return text(res, 403, `Forbidden: unable to verify password for node ${node}`);
    }
    const leaf = kind === "serving"
      ? await issue(pki.serverCa, { cn: node, usage: "server", sans: [node, "localhost", "127.0.0.1", ...ips] })
      : await issue(pki.clientCa, { cn: `system:node:${node}`, orgs: ["system:nodes"], usage: "client" });
    if (kind === "serving" && ips.length > 0) o.gate.noteNodeIps(node, ips);
    const caPem = kind === "serving" ? serverCaPem : clientCaPem;
    o.log("kubelet certificate issued", { node, kind });
    text(res, 200, leaf.certPem + caPem + leaf.keyPem);
  }

  async function k3sEndpoint(req: IncomingMessage, res: ServerResponse, path: string, id: Identity | null | "invalid"): Promise<void> {
    if (!agentAuthorized(req, id)) {
      res.setHeader("www-authenticate", 'Basic realm="k3s"');
      return text(res, 401, "Unauthorized");
    }
    if (req.method !== "GET") return text(res, 405, "method not allowed");
    switch (path) {
      case "/v1-k3s/config":
        return text(res, 200, JSON.stringify({
          ClusterDomain: CLUSTER_DOMAIN, ClusterDNS: CLUSTER_DNS, ClusterIPRange: CLUSTER_CIDR, ServiceIPRange: SERVICE_CIDR,
          HTTPSPort: supervisorPort, SupervisorPort: supervisorPort, FlannelBackend: "vxlan", EgressSelectorMode: "disabled",
        }), "application/json");
      case "/v1-k3s/client-ca.crt":
        return text(res, 200, clientCaPem);
      case "/v1-k3s/server-ca.crt":
        return text(res, 200, serverCaPem);
      case "/v1-k3s/serving-kubelet.crt":
        return nodeCert(req, res, "serving");
      case "/v1-k3s/client-kubelet.crt":
        return nodeCert(req, res, "client");
      case "/v1-k3s/client-kube-proxy.crt":
        // As k3s: the one kube-proxy certificate and key, for every agent.
        return text(res, 200, readFileSync(pki.clientKubeProxy.cert, "utf8") + clientCaPem + readFileSync(pki.clientKubeProxy.key, "utf8"));
      case "/v1-k3s/apiservers":
        return text(res, 200, JSON.stringify([hostPort(o.host, supervisorPort)]), "application/json");
      case "/v1-k3s/readyz": {
        const r = await o.api.request("GET", "/readyz").catch(() => null);
        return r?.status === 200 ? text(res, 200, "ok") : text(res, 503, "apiserver not ready");
      }
      default:
        return text(res, 404, "not found");
    }
  }

  const server: Server = createServer({
    cert: readFileSync(pki.servingApiserver.cert),
    key: readFileSync(pki.servingApiserver.key),
    ca: clientCaPem,
    requestCert: true,
    rejectUnauthorized: false,
  }, (req, res) => {
    const path = new URL(req.url ?? "/", "https://supervisor").pathname;
    const id = certIdentity(req.socket as TLSSocket);
    const handle = async () => {
      if (path === "/cacerts") return text(res, 200, serverCaPem);
      if (path === "/ping") return text(res, 200, "pong");
      if (path.startsWith("/v1-k3s/")) return k3sEndpoint(req, res, path, id);
      return proxy.handle(req, res, id);
    };
    handle().catch((err: unknown) => {
      o.log("supervisor request failed", { path, err: (err as Error).message });
      if (!res.headersSent) text(res, 500, "internal error");
      else res.destroy();
    });
  });
  // Long watches and exec sessions: no request deadline (the default is 5 minutes).
  server.requestTimeout = 0;
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? "/", "https://supervisor").pathname.startsWith("/v1-k3s/")) {
      // (k3s's /v1-k3s/connect tunnel is not part of this stand-in.)
      socket.on("error", () => socket.destroy());
      return void socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    }
    proxy.upgrade(req, socket, head);
  });
  server.on("tlsClientError", () => { /* a client that gave up during the handshake */ });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  supervisorPort = (server.address() as AddressInfo).port;
  const sockets = new Set<Socket>();
  server.on("secureConnection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return {
    port: supervisorPort,
    cacerts,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Upgraded connections are no longer the server's: end them ourselves.
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      proxy.close();
    }),
  };
}
