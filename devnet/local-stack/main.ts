// The local world behind the `dev` stack: `up` starts a daemon holding three nspawn hosts, the
// devnet chain (bridge:9000) and the control-plane stand-in (bridge:8443), with a wallet funded
// from the faucet, and waits until it is ready; `down` stops it by its PID. The daemon writes
// devnet/.state/local-stack.json (0600): addresses, ids and the throwaway local keys the dev
// stack's config is generated from (scripts/dev.sh). `advance-epoch` moves the devnet past the
// stake lock so `npm run dev:down` can withdraw. ops.ts beside this file slashes a worker and
// advances epochs on the running stack (`npm run dev:slash`, `npm run dev:advance-epoch`).
// The daemon also runs the real Prometheus and Alertmanager (devnet/monitoring) on the bridge
// (:9090, :9093): the shipped alert rules, the agents from devnet/.state/prometheus-targets.json
// (empty at start; scripts/dev.sh writes the stack's `prometheusTargets` output there after each
// `pulumi up`), and every notification to a webhook the daemon serves on loopback and logs (no
// pager or chat is reachable from here). `down` stops them with the rest.
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startFleetEnv } from "./fleet-env";
import { startMonitoring, startWebhookReceiver, stopLeftovers, type Monitoring, type WebhookReceiver } from "../monitoring";
import { STANDIN_VERSIONS } from "../hosts/setup";
import { processAlive } from "../hosts/exec";

const ROOT = resolve(__dirname, "../..");
const STATE_DIR = join(ROOT, "devnet", ".state");
const STATE_FILE = join(STATE_DIR, "local-stack.json");
const LOG_FILE = join(STATE_DIR, "local-stack.log");
const KUBECONFIG_FILE = join(STATE_DIR, "kubeconfig");
/** Prometheus's and Alertmanager's configs, data and logs. */
const MONITORING_DIR = join(STATE_DIR, "monitoring");
/** The file_sd targets Prometheus watches; scripts/dev.sh writes `pulumi stack output prometheusTargets --json` here. */
const TARGETS_FILE = join(STATE_DIR, "prometheus-targets.json");
const PROMETHEUS_PORT = 9090;
const ALERTMANAGER_PORT = 9093;

export interface LocalStackState {
  pid: number;
  rpcUrl: string;
  packageId: string;
  poolId: string;
  registryId: string;
  controlPlaneUrl: string;
  walletAddress: string;
  walletKey: string;
  /** The devnet's throwaway admin key and its AdminCap (`npm run dev:slash`): a secret, like walletKey. */
  adminSecretKey: string;
  adminCapId: string;
  sshPrivateKey: string;
  hosts: { name: string; address: string }[];
  aptSource: string;
  k3sBinUrl: string;
  k3sServerUrl: string;
  /** sha256 of the binary at k3sBinUrl (an http mirror needs one). */
  k3sBinSha256: string;
  /** The cluster's join token (the supervisor's `K10...::node:...`): a secret, like walletKey. */
  k3sToken: string;
  /** Image tarballs the hosts import (air-gap): the pod sandbox image and a workload to try. */
  k3sImages: string[];
  /** Admin kubeconfig for the local cluster (0600): `kubectl --kubeconfig devnet/.state/kubeconfig`. */
  kubeconfig: string;
  /** The local Prometheus and Alertmanager (absent from a local stack started before they ran). */
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  /** The file_sd file the local Prometheus watches (scripts/dev.sh writes the stack's prometheusTargets to it). */
  prometheusTargetsFile?: string;
  /** Where the Alertmanager sends notifications: the daemon's own webhook, which logs them. */
  alertWebhookUrl?: string;
}

function readState(): LocalStackState | null {
  if (!existsSync(STATE_FILE)) return null;
  return JSON.parse(readFileSync(STATE_FILE, "utf8")) as LocalStackState;
}


async function daemon(): Promise<void> {
  const count = Number(process.env.K3S_DAAS_DEV_HOSTS ?? 3);
  const log = (msg: string) => process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
  const env = await startFleetEnv({ count, namePrefix: "dev", subnet: "10.99.0.0/24", devnetPort: 9000, controlPlanePort: 8443, log });
  let hook: WebhookReceiver | undefined;
  let monitoring: Monitoring | undefined;
  try {
    // A fresh world: what a Prometheus of an earlier one left (killed with its daemon) is stopped, its data dropped.
    await stopLeftovers(MONITORING_DIR);
    rmSync(MONITORING_DIR, { recursive: true, force: true });
    rmSync(TARGETS_FILE, { force: true });
    hook = await startWebhookReceiver({
      host: "127.0.0.1",
      onNotification: (n) => {
        for (const a of n.alerts) log(`alert ${a.status}: ${a.labels.alertname} node_id=${a.labels.node_id ?? "-"} severity=${a.labels.severity ?? "-"}: ${a.annotations.summary ?? ""}`);
      },
    });
    monitoring = await startMonitoring({
      dir: MONITORING_DIR, host: env.hosts.bridgeIp, prometheusPort: PROMETHEUS_PORT, alertmanagerPort: ALERTMANAGER_PORT,
      webhookUrl: hook.url, targetsFile: TARGETS_FILE, targets: [], interval: "2s", log,
    });
  } catch (err) {
    await monitoring?.close();
    await hook?.close();
    await env.stop();
    throw err;
  }
  const config = env.stackConfig();
  const state: LocalStackState = {
    pid: process.pid,
    rpcUrl: env.devnet.url,
    packageId: env.devnet.ids.packageId,
    poolId: env.devnet.ids.poolId,
    registryId: env.devnet.ids.registryId,
    controlPlaneUrl: env.controlPlane.url,
    walletAddress: env.wallet.toSuiAddress(),
    walletKey: env.wallet.getSecretKey(),
    adminSecretKey: env.devnet.adminSecretKey,
    adminCapId: env.devnet.ids.adminCapId,
    sshPrivateKey: env.hosts.hosts[0]!.privateKey,
    hosts: JSON.parse(config.hosts!.value) as LocalStackState["hosts"],
    aptSource: env.hosts.aptSourcesLine,
    k3sBinUrl: env.hosts.k3sBinaryUrl,
    k3sBinSha256: env.hosts.k3sSha256For(STANDIN_VERSIONS[0]),
    k3sServerUrl: env.kubernetes.supervisorUrl,
    k3sToken: env.kubernetes.k3sToken,
    k3sImages: [env.images.pause.tarball, env.images.hello.tarball],
    kubeconfig: KUBECONFIG_FILE,
    prometheusUrl: monitoring.prometheusUrl,
    alertmanagerUrl: monitoring.alertmanagerUrl,
    prometheusTargetsFile: monitoring.targetsFile,
    alertWebhookUrl: hook.url,
  };
  copyFileSync(env.kubernetes.adminKubeconfig, KUBECONFIG_FILE);
  chmodSync(KUBECONFIG_FILE, 0o600);
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2), { mode: 0o600 });
  log(`ready: ${count} hosts, devnet ${env.devnet.url}, control plane ${env.controlPlane.url}, Prometheus ${monitoring.prometheusUrl}, Alertmanager ${monitoring.alertmanagerUrl} (notifications logged here)`);
  const m = monitoring;
  const h = hook;
  const stop = async () => {
    log("stopping");
    rmSync(STATE_FILE, { force: true });
    rmSync(KUBECONFIG_FILE, { force: true });
    await m.close().catch((err: Error) => log(`stopping Prometheus/Alertmanager: ${err.message}`));
    await h.close();
    rmSync(TARGETS_FILE, { force: true });
    await env.stop();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
}

async function up(): Promise<void> {
  const existing = readState();
  if (existing && processAlive(existing.pid)) {
    process.stderr.write(`[local-stack] already running (pid ${existing.pid})\n`);
    return;
  }
  rmSync(STATE_FILE, { force: true });
  mkdirSync(STATE_DIR, { recursive: true });
  const out = openSync(LOG_FILE, "w");
  const child = spawn(process.execPath, ["--import", "tsx", __filename, "daemon"], { cwd: ROOT, detached: true, stdio: ["ignore", out, out] });
  child.unref();
  const deadline = Date.now() + 600_000;
  while (!existsSync(STATE_FILE)) {
    if (child.exitCode !== null || !processAlive(child.pid!)) throw new Error(`the local stack failed to start; see ${LOG_FILE}:\n${readFileSync(LOG_FILE, "utf8").slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`the local stack did not become ready; see ${LOG_FILE}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write(`[local-stack] ready (pid ${child.pid}); log: ${LOG_FILE}\n`);
}

async function stopMonitoringLeftovers(): Promise<void> {
  // A daemon killed before it closed them leaves Prometheus and Alertmanager: their recorded PIDs.
  const left = await stopLeftovers(MONITORING_DIR);
  if (left.length) process.stderr.write(`[local-stack] stopped Prometheus/Alertmanager left running: pids ${left.join(", ")}\n`);
}

async function down(): Promise<void> {
  const s = readState();
  if (!s) {
    await stopMonitoringLeftovers();
    process.stderr.write("[local-stack] not running\n");
    return;
  }
  if (processAlive(s.pid)) {
    process.kill(s.pid, "SIGTERM");
    const deadline = Date.now() + 60_000;
    while (processAlive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    if (processAlive(s.pid)) process.kill(s.pid, "SIGKILL");
  }
  await stopMonitoringLeftovers();
  rmSync(STATE_FILE, { force: true });
  process.stderr.write("[local-stack] stopped\n");
}

async function advanceEpoch(): Promise<void> {
  const s = readState();
  if (!s) throw new Error("the local stack is not running");
  const res = await fetch(`${s.rpcUrl}/devnet/advance-epoch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ epochs: 1 }) });
  if (!res.ok) throw new Error(`advance-epoch: HTTP ${res.status}`);
}

const commands: Record<string, () => Promise<void>> = { up, down, daemon, "advance-epoch": advanceEpoch };
const cmd = commands[process.argv[2] ?? ""];
if (!cmd) {
  process.stderr.write("usage: local-stack up | down | advance-epoch\n");
  process.exit(2);
}
cmd().catch((err: Error) => {
  process.stderr.write(`[local-stack] ${err.message}\n`);
  process.exit(1);
});
