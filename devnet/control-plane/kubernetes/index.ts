// Real Kubernetes behind the control-plane stand-in, as the Nautilus TEE runs a K3s server: etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler from the multi-call k3s stand-in
// binary, the k3s supervisor a k3s agent joins through (gated by stake), and the node lifecycle
// that fences and removes the Nodes of workers whose stake is lost or who leave.
import { randomBytes, createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import type { CpContext } from "../state";
import { KubeApi } from "./api";
import {
  SERVICE_IP, allocatePorts, apiserverArgs, controllerManagerArgs, etcdArgs, fileKubeconfig, logTail, schedulerArgs,
  startComponent, type Component,
} from "./components";
import { NodeLifecycle } from "./node-lifecycle";
import { NodePasswords } from "./node-passwords";
import { ensurePki, servingSans } from "./pki";
import { hostPort, startSupervisor, type Supervisor } from "./supervisor";

export interface KubernetesOptions {
  /** The multi-call k3s stand-in (`<binary> etcd|kube-apiserver|kube-controller-manager|kube-scheduler`). */
  binary: string;
  /** IP address the supervisor binds and the apiserver advertises (the dev stack's bridge IP; 127.0.0.1 in tests). */
  supervisorHost: string;
  /** The supervisor's port, k3s's 6443 by default; 0 picks a free one (tests). */
  supervisorPort?: number;
  /** PKI, etcd data, node-password hashes, logs, admin kubeconfig (created 0700; keys 0600). Reused across restarts. */
  dataDir: string;
  /** More names for the serving certificate (supervisor and apiserver), e.g. a DNS name of the bridge IP. */
  extraSans?: string[];
  /** How often the registered workers' stakes are read. Default 1000 ms. */
  stakePollMs?: number;
  /** How long to wait for the apiserver's /readyz and the other components. Default 240 s (2 shared cores). */
  readyTimeoutMs?: number;
}

export interface KubernetesControlPlane {
  /** https://<supervisorHost>:<port>: the K3S_URL of the agents. */
  supervisorUrl: string;
  supervisorPort: number;
  /** `K10<sha256 of /cacerts>::node:<password>`: the agents' K3S_TOKEN. A secret: never log it. */
  k3sToken: string;
  /** Admin kubeconfig (0600), server = the supervisor, client certificate system:admin / system:masters. */
  adminKubeconfig: string;
  /** The server CA's PEM file (what /cacerts serves). */
  serverCaFile: string;
  /** The apiserver itself, on loopback (the supervisor is the way in from elsewhere). */
  apiserverUrl: string;
  /** PIDs of the running components, by name (etcd, kube-apiserver, ...). */
  pids(): Record<string, number>;
  /** Whether a node id currently passes the stake gate (registered, no lost stake seen). */
  admitted(nodeId: string): boolean;
  close(): Promise<void>;
}

function adminKubeconfigYaml(server: string, caPem: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: ${server}
    certificate-authority-data: ${b64(caPem)}
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
preferences: {}
users:
- name: default
  user:
    client-certificate-data: ${b64(certPem)}
    client-key-data: ${b64(keyPem)}
`;
}

/** The token's password: generated once, kept 0600 in the data dir (k3s's server/token). */
function tokenPassword(dataDir: string): string {
  const file = join(dataDir, "cred", "node-token-password");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const pw = randomBytes(16).toString("hex");
  writeFileSync(file, pw + "\n", { mode: 0o600, flag: "wx" });
  return pw;
}

async function waitReady(what: string, c: Component[], timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const dead = c.find((x) => !x.running());
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}; its log ends:\n${logTail(dead)}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${last})` : ""}; ${c.at(-1)?.name} log ends:\n${c.at(-1) ? logTail(c.at(-1)!) : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The `kubernetes` Service's endpoints: the supervisor, where in-cluster clients must go. */
async function publishKubernetesEndpoints(api: KubeApi, host: string, port: number, timeoutMs: number): Promise<void> {
  const body = {
    apiVersion: "v1", kind: "Endpoints",
    metadata: { name: "kubernetes", namespace: "default" },
    subsets: [{ addresses: [{ ip: host }], ports: [{ name: "https", port, protocol: "TCP" }] }],
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api.request("POST", "/api/v1/namespaces/default/endpoints", body);
    if (r.status === 201) return;
    if (r.status === 409) {
      const cur = await api.expect("GET", "/api/v1/namespaces/default/endpoints/kubernetes", [200]);
      await api.expect("PUT", "/api/v1/namespaces/default/endpoints/kubernetes", [200], { ...body, metadata: { ...body.metadata, resourceVersion: cur.body.metadata.resourceVersion } });
      return;
    }
    // The default namespace appears a moment after /readyz.
    if (Date.now() > deadline) throw new Error(`cannot write the kubernetes endpoints: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

export async function startKubernetes(ctx: CpContext, opts: KubernetesOptions): Promise<KubernetesControlPlane> {
  if (!isIP(opts.supervisorHost) || /^(0\.0\.0\.0|::)$/.test(opts.supervisorHost)) {
    throw new Error(`kubernetes.supervisorHost must be a concrete IP address (the apiserver advertises it), got ${JSON.stringify(opts.supervisorHost)}`);
  }
  const dataDir = resolve(opts.dataDir);
  for (const d of ["", "tls", "cred", "db", "logs"]) mkdirSync(join(dataDir, d), { recursive: true, mode: 0o700 });
  const timeoutMs = opts.readyTimeoutMs ?? 240_000;
  const pki = await ensurePki(join(dataDir, "tls"), { sans: servingSans(SERVICE_IP, [opts.supervisorHost, ...(opts.extraSans ?? [])]) });
  const ports = await allocatePorts();
  const apiserverUrl = `https://127.0.0.1:${ports.apiserver}`;
  const controllerKubeconfig = join(dataDir, "cred", "controller.kubeconfig");
  const schedulerKubeconfig = join(dataDir, "cred", "scheduler.kubeconfig");
  writeFileSync(controllerKubeconfig, fileKubeconfig(apiserverUrl, pki.serverCa.cert, pki.clientController), { mode: 0o600 });
  writeFileSync(schedulerKubeconfig, fileKubeconfig(apiserverUrl, pki.serverCa.cert, pki.clientScheduler), { mode: 0o600 });
  const logs = join(dataDir, "logs");
  const components: Component[] = [];
  const api = new KubeApi(apiserverUrl, pki.serverCa.cert, pki.clientAdmin);
  const passwords = new NodePasswords(join(dataDir, "cred", "node-passwd"));
  const lifecycle = new NodeLifecycle({ ctx, api, passwords, pollMs: opts.stakePollMs ?? 1_000 });
  let supervisor: Supervisor | undefined;
  const stopAll = async () => {
    await lifecycle.stop();
    await supervisor?.close();
    api.close();
    // Reverse order: the scheduler and controller manager before the apiserver, etcd last.
    for (const c of [...components].reverse()) await c.stop();
  };
  try {
    components.push(startComponent(opts.binary, "etcd", etcdArgs(dataDir, pki, ports), logs));
    components.push(startComponent(opts.binary, "kube-apiserver", apiserverArgs(dataDir, pki, ports, opts.supervisorHost), logs));
    await waitReady("kube-apiserver /readyz", components, timeoutMs, async () => (await api.request("GET", "/readyz", undefined, undefined, 5_000)).status === 200);
    components.push(startComponent(opts.binary, "kube-controller-manager", controllerManagerArgs(dataDir, pki, ports, controllerKubeconfig), logs));
    components.push(startComponent(opts.binary, "kube-scheduler", schedulerArgs(pki, ports, schedulerKubeconfig), logs));
    const healthz = (port: number) => async () => {
      const probe = new KubeApi(`https://127.0.0.1:${port}`, pki.serverCa.cert, pki.clientAdmin);
      try {
        return (await probe.request("GET", "/healthz", undefined, undefined, 5_000)).status === 200;
      } finally {
        probe.close();
      }
    };
    await waitReady("kube-controller-manager /healthz", components, timeoutMs, healthz(ports.controllerManager));
    await waitReady("kube-scheduler /healthz", components, timeoutMs, healthz(ports.scheduler));
    const nodeTokenPassword = tokenPassword(dataDir);
    supervisor = await startSupervisor({
      host: opts.supervisorHost, port: opts.supervisorPort ?? 6443, pki, apiserverPort: ports.apiserver,
      nodeTokenPassword, passwords, gate: lifecycle, api, log: ctx.log,
    });
    const supervisorUrl = `https://${hostPort(opts.supervisorHost, supervisor.port)}`;
    // Endpoints must not be loopback (API validation): on 127.0.0.1 (tests) pods cannot use the
    // kubernetes Service anyway, there being no node.
    if (!opts.supervisorHost.startsWith("127.") && opts.supervisorHost !== "::1") {
      await publishKubernetesEndpoints(api, opts.supervisorHost, supervisor.port, 30_000);
    }
    const adminKubeconfig = join(dataDir, "admin.kubeconfig");
    writeFileSync(adminKubeconfig, adminKubeconfigYaml(supervisorUrl, readFileSync(pki.serverCa.cert, "utf8"),
      readFileSync(pki.clientAdmin.cert, "utf8"), readFileSync(pki.clientAdmin.key, "utf8")), { mode: 0o600 });
    lifecycle.start();
    for (const c of components) {
      void c.exited.then(({ code, signal }) => {
        if (supervisor) ctx.log("kubernetes component exited", { component: c.name, pid: c.pid, code, signal, log: c.logFile });
      });
    }
    ctx.log("kubernetes control plane ready", {
      supervisorUrl, apiserverUrl, pids: Object.fromEntries(components.map((c) => [c.name, c.pid])),
    });
    const k3sToken = `K10${createHash("sha256").update(supervisor.cacerts).digest("hex")}::node:${nodeTokenPassword}`;
    let closed: Promise<void> | null = null;
    return {
      supervisorUrl,
      supervisorPort: supervisor.port,
      k3sToken,
      adminKubeconfig,
      serverCaFile: pki.serverCa.cert,
      apiserverUrl,
      pids: () => Object.fromEntries(components.filter((c) => c.running()).map((c) => [c.name, c.pid])),
      admitted: (id) => lifecycle.admitted(id),
      close: () => {
        if (!closed) {
          const s = supervisor;
          supervisor = undefined;
          closed = (async () => {
            await lifecycle.stop();
            await s?.close();
            api.close();
            for (const c of [...components].reverse()) await c.stop();
          })();
        }
        return closed;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
