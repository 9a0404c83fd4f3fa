// Stand-ins for what the agent's Node check talks to on a worker, on loopback: an HTTPS server in
// the API server's place (its own serving CA, and client certificates verified against a client
// CA, as kube-apiserver does: no valid certificate, 401), serving Node objects in the API's
// shape; the kubelet's healthz (plain HTTP); and the files k3s writes when it joins: the server
// CA, the kubelet's client certificate and key, and kubelet.kubeconfig in k3s's own template
// (pkg/daemons/control/deps). Certificates are made with openssl (throwaway, as
// devnet/chain/certificates.ts makes them).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";

/** What the stand-in answers for a Node; absent: 404 (the kubelet has not registered it). */
export interface NodeState {
  ready: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  kubeletVersion: string;
  unschedulable?: boolean;
}

export const READY: NodeState = { ready: "True", reason: "KubeletReady", message: "kubelet is posting ready status", kubeletVersion: "v1.31.4+k3s1" };
// What the kubelet posts with Debian's stock containerd config (k3s#3520; issue 22).
export const CNI_NOT_READY: NodeState = {
  ready: "False",
  reason: "KubeletNotReady",
  message: "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized",
  kubeletVersion: "v1.31.4+k3s1",
};

export interface SeenRequest {
  path: string;
  /** Subject of the client certificate presented, "" without one. */
  subject: string;
  authorized: boolean;
}

export interface ApiServerStandin {
  port: number;
  nodes: Map<string, NodeState>;
  requests: SeenRequest[];
  /** CA, client certificate and key of another CA than the one the server trusts. */
  untrusted: { cert: string; key: string };
  close(): Promise<void>;
  /** Listen again on the same port (after close). */
  reopen(): Promise<void>;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function makeCa(dir: string, name: string, cn: string): void {
  openssl(dir, "req", "-x509", ...EC, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2", "-subj", `/CN=${cn}`);
}

/** A certificate signed by `ca`, files `<name>.key`, `<name>.crt`. */
function issue(dir: string, ca: string, name: string, subj: string, ext: string): void {
  openssl(dir, "req", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subj);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, "x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`);
}

const status = (code: number, reason: string, message: string) =>
  JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });

function nodeObject(name: string, s: NodeState): string {
  const t = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const cond = (type: string, st: string, reason: string, message: string) =>
    ({ type, status: st, lastHeartbeatTime: t, lastTransitionTime: t, reason, message });
  return JSON.stringify({
    kind: "Node",
    apiVersion: "v1",
    metadata: { name, uid: "6f1c0a52-0000-4000-8000-000000000001", resourceVersion: "1234", labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" } },
    spec: { podCIDR: "10.42.1.0/24", podCIDRs: ["10.42.1.0/24"], providerID: `k3s://${name}`, ...(s.unschedulable ? { unschedulable: true } : {}) },
    status: {
      conditions: [
        cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        cond("Ready", s.ready, s.reason, s.message),
      ],
      nodeInfo: { kubeletVersion: s.kubeletVersion, kubeProxyVersion: s.kubeletVersion, containerRuntimeVersion: "containerd://1.6.20", operatingSystem: "linux", architecture: "amd64" },
      images: [{ names: ["docker.io/rancher/mirrored-pause:3.6"], sizeBytes: 301463 }],
    },
  });
}

/**
 * Certificates and the kubelet's files for `nodeName` under `dir`/agent (as k3s lays them out in
 * /var/lib/rancher/k3s/agent), and the API server stand-in on 127.0.0.1. Returns the stand-in and
 * the kubeconfig path.
 */
export async function startApiServerStandin(dir: string, nodeName: string): Promise<ApiServerStandin & { kubeconfig: string }> {
  const pki = join(dir, "pki");
  const agentDir = join(dir, "agent");
  mkdirSync(pki, { recursive: true });
  mkdirSync(agentDir, { recursive: true });
  makeCa(pki, "server-ca", "k3s-server-ca@test");
  makeCa(pki, "client-ca", "k3s-client-ca@test");
  makeCa(pki, "other-ca", "not-this-cluster-ca");
  issue(pki, "server-ca", "serving", "/CN=kube-apiserver", "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes\nextendedKeyUsage=serverAuth\n");
  issue(pki, "client-ca", "client-kubelet", `/O=system:nodes/CN=system:node:${nodeName}`, "extendedKeyUsage=clientAuth\n");
  issue(pki, "other-ca", "untrusted", `/O=system:nodes/CN=system:node:${nodeName}`, "extendedKeyUsage=clientAuth\n");
  const read = (f: string) => readFileSync(join(pki, f), "utf8");
  writeFileSync(join(agentDir, "server-ca.crt"), read("server-ca.crt"));
  writeFileSync(join(agentDir, "client-kubelet.crt"), read("client-kubelet.crt"));
  writeFileSync(join(agentDir, "client-kubelet.key"), read("client-kubelet.key"), { mode: 0o600 });

  const nodes = new Map<string, NodeState>();
  const requests: SeenRequest[] = [];
  const server: HttpsServer = createHttpsServer(
    { key: read("serving.key"), cert: read("serving.crt"), ca: read("client-ca.crt"), requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const subject = peer?.subject ? `O=${peer.subject.O ?? ""},CN=${peer.subject.CN ?? ""}` : "";
      const path = req.url ?? "/";
      requests.push({ path, subject, authorized: socket.authorized });
      res.setHeader("content-type", "application/json");
      if (!socket.authorized) {
        res.writeHead(401).end(status(401, "Unauthorized", "Unauthorized"));
        return;
      }
      const m = /^\/api\/v1\/nodes\/([^/?]+)$/.exec(path);
      if (!m || req.method !== "GET") {
        res.writeHead(404).end(status(404, "NotFound", "the server could not find the requested resource"));
        return;
      }
      const name = decodeURIComponent(m[1]!);
      const state = nodes.get(name);
      if (!state) {
        res.writeHead(404).end(status(404, "NotFound", `nodes "${name}" not found`));
        return;
      }
      res.writeHead(200).end(nodeObject(name, state));
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  // k3s's template, with the files' absolute paths.
  const kubeconfig = join(agentDir, "kubelet.kubeconfig");
  writeFileSync(kubeconfig, `apiVersion: v1
clusters:
- cluster:
    server: https://127.0.0.1:${port}
    certificate-authority: ${join(agentDir, "server-ca.crt")}
  name: local
contexts:
- context:
    cluster: local
    namespace: default
    user: user
  name: Default
current-context: Default
kind: Config
preferences: {}
users:
- name: user
  user:
    client-certificate: ${join(agentDir, "client-kubelet.crt")}
    client-key: ${join(agentDir, "client-kubelet.key")}
`);
  return {
    port, nodes, requests, kubeconfig,
    untrusted: { cert: read("untrusted.crt"), key: read("untrusted.key") },
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
    reopen: () => new Promise<void>((r, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => r());
    }),
  };
}

/** The kubelet's healthz: "ok" while `healthy`, else 500 with the kubelet's failing-check text. */
export interface HealthzStandin {
  url: string;
  healthy: boolean;
  close(): Promise<void>;
}

export async function startKubeletHealthz(): Promise<HealthzStandin> {
  const state = { healthy: true };
  const server: HttpServer = createHttpServer((req, res) => {
    if (req.url !== "/healthz") return void res.writeHead(404).end("404 page not found\n");
    if (state.healthy) return void res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("ok");
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("[+]ping ok\n[+]log ok\n[-]syncloop failed: reason withheld\nhealthz check failed\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
  return Object.assign(state, {
    url,
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
  }) as HealthzStandin;
}
