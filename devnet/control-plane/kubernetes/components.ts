// The Kubernetes control-plane processes, run from the multi-call k3s stand-in binary
// (`<binary> etcd|kube-apiserver|kube-controller-manager|kube-scheduler <upstream flags>`), with
// the flags k3s's pkg/daemons/control/server.go gives them (1.31 line), all on 127.0.0.1 and free
// random ports. Arguments hold file paths only, never a secret. Each process logs to its own file
// in the data dir and is stopped by its own PID (SIGTERM, then SIGKILL after a grace period).
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Pki } from "./pki";

export const CLUSTER_CIDR = "10.42.0.0/16";
export const SERVICE_CIDR = "10.43.0.0/16";
export const SERVICE_IP = "10.43.0.1";
export const CLUSTER_DNS = "10.43.0.10";
export const CLUSTER_DOMAIN = "cluster.local";

export interface Component {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves when the process has exited (with its code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  stop(graceMs?: number): Promise<void>;
}

/** A port free on `host` right now (bound and released: the child binds it a moment later). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function startComponent(binary: string, name: string, args: string[], logDir: string): Component {
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, "a", 0o600);
  let child: ChildProcess;
  try {
    // Not detached: the components belong to this process's session; stop() ends them by PID.
    child = spawn(binary, [name, ...args], { stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`cannot start ${name} from ${binary}`);
  const pid = child.pid;
  let alive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      alive = false;
      resolve({ code, signal });
    });
    child.once("error", () => {
      alive = false;
      resolve({ code: null, signal: null });
    });
  });
  return {
    name,
    pid,
    logFile,
    exited,
    running: () => alive,
    async stop(graceMs = 10_000) {
      if (!alive) return;
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          if (alive) child.kill("SIGKILL");
          resolve();
        }, graceMs);
      });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      await exited;
    },
  };
}

/** The last lines of a component's log, for an error that names why it did not come up. */
export function logTail(c: Component, lines = 15): string {
  try {
    return readFileSync(c.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
}

export async function allocatePorts(): Promise<Ports> {
  const ports = new Set<number>();
  const next = async () => {
    for (;;) {
      const p = await freePort();
      if (!ports.has(p)) {
        ports.add(p);
        return p;
      }
    }
  };
  return { etcdClient: await next(), etcdPeer: await next(), apiserver: await next(), controllerManager: await next(), scheduler: await next() };
}

/** Real etcd 3.5 (etcdmain), one member, TLS with client-certificate auth on both listeners. */
export function etcdArgs(dataDir: string, pki: Pki, p: Ports): string[] {
  const client = `https://127.0.0.1:${p.etcdClient}`, peer = `https://127.0.0.1:${p.etcdPeer}`;
  return [
    "--name=default",
    `--data-dir=${join(dataDir, "db", "etcd")}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    "--initial-cluster-state=new",
    `--cert-file=${pki.etcdServer.cert}`, `--key-file=${pki.etcdServer.key}`,
    `--trusted-ca-file=${pki.etcdCa.cert}`, "--client-cert-auth=true",
    `--peer-cert-file=${pki.etcdServer.cert}`, `--peer-key-file=${pki.etcdServer.key}`,
    `--peer-trusted-ca-file=${pki.etcdCa.cert}`, "--peer-client-cert-auth=true",
  ];
}

/**
 * kube-apiserver as k3s runs it, except: it binds 127.0.0.1 on a random port (only the
 * supervisor faces the network), and the `kubernetes` Service's endpoints are written by us
 * (--endpoint-reconciler-type=none) because upstream has no --advertise-port: its own reconciler
 * would publish <advertise-address>:<this random port>, where nothing listens.
 */
export function apiserverArgs(dataDir: string, pki: Pki, p: Ports, advertiseAddress: string): string[] {
  const certDir = join(dataDir, "tls", "temporary-certs");
  mkdirSync(certDir, { recursive: true, mode: 0o700 });
  const audience = `https://kubernetes.default.svc.${CLUSTER_DOMAIN}`;
  return [
    "--storage-backend=etcd3",
    `--etcd-servers=https://127.0.0.1:${p.etcdClient}`,
    `--etcd-cafile=${pki.etcdCa.cert}`, `--etcd-certfile=${pki.etcdClient.cert}`, `--etcd-keyfile=${pki.etcdClient.key}`,
    `--cert-dir=${certDir}`,
    "--allow-privileged=true",
    "--enable-bootstrap-token-auth=true",
    "--authorization-mode=Node,RBAC",
    "--anonymous-auth=false",
    `--service-account-signing-key-file=${pki.serviceKey}`,
    `--service-account-key-file=${pki.serviceKey}`,
    `--service-account-issuer=${audience}`,
    `--api-audiences=${audience},k3s`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    "--service-node-port-range=30000-32767",
    `--advertise-address=${advertiseAddress}`,
    "--endpoint-reconciler-type=none",
    "--bind-address=127.0.0.1",
    `--secure-port=${p.apiserver}`,
    `--tls-cert-file=${pki.servingApiserver.cert}`, `--tls-private-key-file=${pki.servingApiserver.key}`,
    `--kubelet-certificate-authority=${pki.serverCa.cert}`,
    `--kubelet-client-certificate=${pki.clientKubeApiserver.cert}`, `--kubelet-client-key=${pki.clientKubeApiserver.key}`,
    "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
    `--requestheader-client-ca-file=${pki.requestHeaderCa.cert}`,
    "--requestheader-allowed-names=system:auth-proxy",
    `--proxy-client-cert-file=${pki.clientAuthProxy.cert}`, `--proxy-client-key-file=${pki.clientAuthProxy.key}`,
    "--requestheader-extra-headers-prefix=X-Remote-Extra-",
    "--requestheader-group-headers=X-Remote-Group",
    "--requestheader-username-headers=X-Remote-User",
    `--client-ca-file=${pki.clientCa.cert}`,
    "--enable-admission-plugins=NodeRestriction",
    "--profiling=false",
  ];
}

export function controllerManagerArgs(dataDir: string, pki: Pki, p: Ports, kubeconfig: string): string[] {
  return [
    "--controllers=*,tokencleaner",
    `--kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`,
    `--service-account-private-key-file=${pki.serviceKey}`,
    "--use-service-account-credentials=true",
    "--allocate-node-cidrs=true",
    `--cluster-cidr=${CLUSTER_CIDR}`,
    "--node-cidr-mask-size=24",
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    `--root-ca-file=${pki.serverCa.cert}`,
    "--profiling=false",
    `--tls-cert-file=${pki.servingControllerManager.cert}`, `--tls-private-key-file=${pki.servingControllerManager.key}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${p.controllerManager}`,
    `--cluster-signing-kube-apiserver-client-cert-file=${pki.clientCa.cert}`,
    `--cluster-signing-kube-apiserver-client-key-file=${pki.clientCa.key}`,
    `--cluster-signing-kubelet-client-cert-file=${pki.clientCa.cert}`,
    `--cluster-signing-kubelet-client-key-file=${pki.clientCa.key}`,
    `--cluster-signing-kubelet-serving-cert-file=${pki.serverCa.cert}`,
    `--cluster-signing-kubelet-serving-key-file=${pki.serverCa.key}`,
    `--cluster-signing-legacy-unknown-cert-file=${pki.serverCa.cert}`,
    `--cluster-signing-legacy-unknown-key-file=${pki.serverCa.key}`,
    // One instance, never a second: no lease to wait out after a restart (k3s: NoLeaderElect).
    "--leader-elect=false",
  ];
}

export function schedulerArgs(pki: Pki, p: Ports, kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${p.scheduler}`,
    `--tls-cert-file=${pki.servingScheduler.cert}`, `--tls-private-key-file=${pki.servingScheduler.key}`,
    "--profiling=false",
    "--leader-elect=false",
  ];
}

/** A kubeconfig naming files (as k3s's cred/*.kubeconfig), for the components on this machine. */
export function fileKubeconfig(server: string, caFile: string, cert: { cert: string; key: string }): string {
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: ${server}
    certificate-authority: ${caFile}
  name: local
contexts:
- context:
    cluster: local
    namespace: default
    user: user
  name: Default
current-context: Default
preferences: {}
users:
- name: user
  user:
    client-certificate: ${cert.cert}
    client-key: ${cert.key}
`;
}
