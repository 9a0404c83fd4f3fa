// The monitoring of the local world: the real Prometheus and the real Alertmanager (Debian's
// binaries, unpacked into the cache by scripts/setup-prometheus.sh and scripts/setup-alertmanager.sh,
// never installed) run as child processes, for `npm run dev` (devnet/local-stack/main.ts) and the
// end-to-end test. Prometheus loads the shipped rule file monitoring/alerts/k3s-daas.rules.yml as
// it is, scrapes the agents with the job the rules assume (`k3s-daas-agent`, honor_labels, as
// monitoring/prometheus.example.yml) from a file_sd JSON file in the stack's `prometheusTargets`
// output form, and sends its alerts to the Alertmanager, which routes every alert to one webhook
// (the caller's). Intervals are the local world's: scrape and rule evaluation every second, the
// targets file re-read within a second, Alertmanager grouping for a second; an operator's
// Prometheus keeps its own (README.md, "Monitoring"). Part of the local world, not product code:
// nothing under src/ or agent/ imports this.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
/** The shipped alert rules, loaded unmodified. */
export const RULES_FILE = join(ROOT, "monitoring", "alerts", "k3s-daas.rules.yml");
/** The scrape job the rules select (`up{job="k3s-daas-agent"}`, process_start_time_seconds). */
export const SCRAPE_JOB = "k3s-daas-agent";

/** One file_sd group, as the stack's `prometheusTargets` output has them. */
export interface FileSdGroup {
  targets: readonly string[];
  labels?: Readonly<Record<string, string>>;
}

export interface MonitoringOptions {
  /** Configs, data, logs and the PID file go here (created if missing). */
  dir: string;
  /** The address both listen on (the host side of the hosts' bridge). */
  host: string;
  /** 0 or unset: a free port. */
  prometheusPort?: number;
  alertmanagerPort?: number;
  /** Alertmanager sends every notification here (webhook_configs); unset: to no receiver. */
  webhookUrl?: string;
  /** The initial targets (default none). */
  targets?: readonly FileSdGroup[];
  /** The file_sd file Prometheus watches (default <dir>/k3s-daas-targets.json). */
  targetsFile?: string;
  /** Scrape and rule evaluation interval (default 1s). */
  interval?: string;
  /** How long Prometheus keeps samples (default 1d). */
  retention?: string;
  /** The binaries; default: found in the cache by the set-up scripts. */
  prometheusBinary?: string;
  alertmanagerBinary?: string;
  log?: (msg: string) => void;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing" | "inactive";
  activeAt: string;
  value: string;
}

export interface PromTarget {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: "up" | "down" | "unknown";
  lastError: string;
}

export interface Monitoring {
  prometheusUrl: string;
  alertmanagerUrl: string;
  targetsFile: string;
  rulesFile: string;
  /** Writes the file_sd file (atomically: Prometheus never reads half of it). */
  setTargets(groups: readonly FileSdGroup[]): void;
  /** An instant query (`/api/v1/query`): the series of a vector, or a scalar as one series. */
  query(promql: string): Promise<PromSample[]>;
  /** Prometheus's alerts (`/api/v1/alerts`): pending and firing. */
  alerts(): Promise<PromAlert[]>;
  /** Prometheus's active targets (`/api/v1/targets`). */
  targets(): Promise<PromTarget[]>;
  /** The alerts the Alertmanager holds (`/api/v2/alerts`). */
  alertmanagerAlerts(): Promise<Array<{ labels: Record<string, string>; status: { state: string } }>>;
  /** Stops both processes by their PIDs. */
  close(): Promise<void>;
}

const PID_FILE = "pids.json";

/**
 * The directory holding the binaries of a Debian package unpacked into the cache, by the set-up
 * script the tests run (test/monitoring/rules.test.ts and alertmanager.test.ts): a second when
 * the package is unpacked already.
 */
function binaryDir(script: string, what: string): string {
  try {
    return execFileSync("bash", [join(ROOT, "scripts", script)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${what}: scripts/${script} could not provide it: ${(e.stderr || e.message).trim()}`);
  }
}

/** prometheus and prometheus-alertmanager from the cache. */
export function findBinaries(): { prometheus: string; alertmanager: string } {
  return {
    prometheus: join(binaryDir("setup-prometheus.sh", "prometheus"), "prometheus"),
    // Debian names the daemon prometheus-alertmanager (amtool beside it).
    alertmanager: join(binaryDir("setup-alertmanager.sh", "alertmanager"), "prometheus-alertmanager"),
  };
}

async function freePort(host: string): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once("error", rej);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => res(port));
    });
  });
}

const hostPort = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);
const tail = (file: string, n = 1500) => {
  try {
    return readFileSync(file, "utf8").slice(-n).trim();
  } catch {
    return "";
  }
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return null;
  }
}

/**
 * Stops what an earlier run in `dir` left running (its owner killed before it could close them):
 * the PIDs it recorded, each only while its command line still names this dir's config file.
 */
export async function stopLeftovers(dir: string): Promise<number[]> {
  const file = join(dir, PID_FILE);
  if (!existsSync(file)) return [];
  let recorded: Array<{ pid: number; config: string }> = [];
  try {
    recorded = JSON.parse(readFileSync(file, "utf8")) as typeof recorded;
  } catch { /* unreadable: nothing to trust */ }
  const stopped: number[] = [];
  for (const { pid, config } of recorded) {
    if (alive(pid) && cmdline(pid)?.includes(config)) {
      process.kill(pid, "SIGTERM");
      stopped.push(pid);
    }
  }
  for (const pid of stopped) {
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await sleep(100);
    if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  rmSync(file, { force: true });
  return stopped;
}

interface Proc {
  name: string;
  binary: string;
  child: ChildProcess;
  pid: number;
  config: string;
  logFile: string;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  exited: Promise<void>;
}

/** Where Debian's Alertmanager reads its default notification template; its build has no flag for it. */
const DEBIAN_AM_SHARE = "/usr/share/prometheus/alertmanager";

/**
 * The command that runs Debian's Alertmanager. Its build reads default.tmpl from
 * /usr/share/prometheus/alertmanager/ and nowhere else (it fails to load any configuration
 * without it), and the package is unpacked in the cache, not installed: unless the package is
 * installed, the process gets a mount namespace of its own in which the unpacked usr/share is laid
 * over /usr/share (a read-only overlay; nothing changes outside that process). That needs root,
 * as the local world's hosts do. unshare and sh exec into the binary: the PID is Alertmanager's.
 */
function alertmanagerCommand(binary: string, args: string[]): { cmd: string; args: string[] } {
  if (existsSync(join(DEBIAN_AM_SHARE, "default.tmpl"))) return { cmd: binary, args };
  const share = resolve(dirname(binary), "..", "share");
  if (!existsSync(join(share, "prometheus", "alertmanager", "default.tmpl"))) {
    throw new Error(`alertmanager (${binary}): its notification template default.tmpl is neither in ${DEBIAN_AM_SHARE} nor in ${share}/prometheus/alertmanager (scripts/setup-alertmanager.sh unpacks the package with it)`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`alertmanager (${binary}): Debian's build reads its templates from ${DEBIAN_AM_SHARE} only, which is not installed here; showing it the unpacked ${share} there (a mount namespace of its own) needs root`);
  }
  return {
    cmd: "unshare",
    args: ["--mount", "--propagation", "private", "--", "sh", "-c", 'mount -t overlay k3s-daas-alertmanager -o ro,lowerdir="$1":/usr/share /usr/share && shift && exec "$@"', "sh", share, binary, ...args],
  };
}

function startProcess(name: string, binary: string, args: string[], config: string, logFile: string): Proc {
  if (!existsSync(binary)) throw new Error(`${name}: no binary at ${binary} (scripts/setup-${name === "alertmanager" ? "alertmanager" : "prometheus"}.sh unpacks it)`);
  const command = name === "alertmanager" ? alertmanagerCommand(binary, args) : { cmd: binary, args };
  const fd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(command.cmd, command.args, { stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  // A spawn failure (no such command) is an "error" event: handled, and reported below or through exit.
  child.once("error", () => {});
  if (child.pid === undefined) throw new Error(`${name}: ${command.cmd} could not be started (for ${binary})`);
  const p: Proc = { name, binary, child, pid: child.pid, config, logFile, exit: null, exited: Promise.resolve() };
  p.exited = new Promise((res) => child.once("exit", (code, signal) => { p.exit = { code, signal }; res(); }));
  return p;
}

const exitError = (p: Proc, doing: string) =>
  new Error(`${p.name} (${p.binary}, pid ${p.pid}) exited ${p.exit?.signal ? `on ${p.exit.signal}` : `with code ${p.exit?.code}`} ${doing}; its log (${p.logFile}):\n${tail(p.logFile)}`);

async function waitReady(p: Proc, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (p.exit) throw exitError(p, "while starting");
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${p.name} (${p.binary}, pid ${p.pid}) not ready at ${url} within ${timeoutMs / 1000} s (${last}); its log (${p.logFile}):\n${tail(p.logFile)}`);
}

async function stopProcess(p: Proc): Promise<void> {
  if (p.exit) return;
  try {
    process.kill(p.pid, "SIGTERM");
  } catch { /* gone */ }
  await Promise.race([p.exited, sleep(15_000)]);
  if (!p.exit) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch { /* gone */ }
    await Promise.race([p.exited, sleep(5_000)]);
  }
}

/** The unpacked package's console templates and web assets (Debian's defaults are under /etc and /usr/share). */
function promAssets(binary: string): string[] {
  const pkg = resolve(dirname(binary), "..", "..");
  const flags: Array<[string, string]> = [
    ["--web.console.templates", join(pkg, "etc", "prometheus", "consoles")],
    ["--web.console.libraries", join(pkg, "etc", "prometheus", "console_libraries")],
    ["--web.local-assets", join(pkg, "usr", "share", "prometheus", "web")],
  ];
  return flags.filter(([, p]) => existsSync(p)).map(([f, p]) => `${f}=${p}`);
}

/** file_sd groups written so that Prometheus sees the old file or the new one, never a part. */
function writeTargets(file: string, groups: readonly FileSdGroup[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(groups, null, 2)}\n`);
  renameSync(tmp, file);
}

export function prometheusConfig(o: { interval: string; alertmanager: string; targetsFile: string; rulesFile?: string }): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    "# Written by devnet/monitoring: the local world's Prometheus (short intervals).",
    "global:",
    `  scrape_interval: ${o.interval}`,
    `  scrape_timeout: ${o.interval}`,
    `  evaluation_interval: ${o.interval}`,
    "rule_files:",
    `  - ${q(o.rulesFile ?? RULES_FILE)}`,
    "alerting:",
    "  alertmanagers:",
    "    - static_configs:",
    `        - targets: [${q(o.alertmanager)}]`,
    "scrape_configs:",
    `  - job_name: ${SCRAPE_JOB}`,
    "    honor_labels: true",
    "    metrics_path: /metrics",
    "    scheme: http",
    "    file_sd_configs:",
    `      - files: [${q(o.targetsFile)}]`,
    "        refresh_interval: 1s",
    "",
  ].join("\n");
}

export function alertmanagerConfig(webhookUrl: string | undefined): string {
  return [
    "# Written by devnet/monitoring: every alert to one webhook, grouped per alert and worker.",
    "route:",
    "  receiver: local",
    "  group_by: [alertname, node_id]",
    "  group_wait: 1s",
    "  group_interval: 1s",
    "  repeat_interval: 1h",
    "receivers:",
    "  - name: local",
    ...(webhookUrl ? ["    webhook_configs:", `      - url: ${JSON.stringify(webhookUrl)}`, "        send_resolved: true"] : []),
    "",
  ].join("\n");
}

async function api<T>(base: string, path: string, what: string, procs: Proc[], closed = false): Promise<T> {
  if (closed) throw new Error(`${what}: Prometheus and Alertmanager were stopped (close())`);
  for (const p of procs) if (p.exit) throw exitError(p, `before ${what}`);
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let body: { status?: string; data?: T; error?: string; errorType?: string } | T;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${what}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  }
  if (!res.ok || (body as { status?: string }).status === "error") {
    const b = body as { error?: string; errorType?: string };
    throw new Error(`${what}: HTTP ${res.status}: ${b.errorType ?? ""} ${b.error ?? text.slice(0, 500)}`.trim());
  }
  return body as T;
}

export async function startMonitoring(opts: MonitoringOptions): Promise<Monitoring> {
  const log = opts.log ?? (() => {});
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const left = await stopLeftovers(dir);
  if (left.length) log(`stopped Prometheus/Alertmanager left running by an earlier run: pids ${left.join(", ")}`);
  const bins = opts.prometheusBinary && opts.alertmanagerBinary
    ? { prometheus: opts.prometheusBinary, alertmanager: opts.alertmanagerBinary }
    : { ...findBinaries(), ...(opts.prometheusBinary ? { prometheus: opts.prometheusBinary } : {}), ...(opts.alertmanagerBinary ? { alertmanager: opts.alertmanagerBinary } : {}) };
  const interval = opts.interval ?? "1s";
  const targetsFile = resolve(opts.targetsFile ?? join(dir, "k3s-daas-targets.json"));
  const promPort = opts.prometheusPort || (await freePort(opts.host));
  const amPort = opts.alertmanagerPort || (await freePort(opts.host));
  const prometheusUrl = `http://${hostPort(opts.host, promPort)}`;
  const alertmanagerUrl = `http://${hostPort(opts.host, amPort)}`;
  const amConfig = join(dir, "alertmanager.yml");
  const promConfig = join(dir, "prometheus.yml");
  writeFileSync(amConfig, alertmanagerConfig(opts.webhookUrl));
  writeFileSync(promConfig, prometheusConfig({ interval, alertmanager: hostPort(opts.host, amPort), targetsFile }));
  writeTargets(targetsFile, opts.targets ?? []);
  mkdirSync(join(dir, "alertmanager-data"), { recursive: true });
  mkdirSync(join(dir, "prometheus-data"), { recursive: true });

  const procs: Proc[] = [];
  const recordPids = () => writeFileSync(join(dir, PID_FILE), JSON.stringify(procs.map((p) => ({ name: p.name, pid: p.pid, config: p.config }))));
  const closeAll = async () => {
    for (const p of [...procs].reverse()) await stopProcess(p);
    rmSync(join(dir, PID_FILE), { force: true });
  };
  try {
    const am = startProcess("alertmanager", bins.alertmanager, [
      `--config.file=${amConfig}`,
      `--storage.path=${join(dir, "alertmanager-data")}`,
      `--web.listen-address=${hostPort(opts.host, amPort)}`,
      // No gossip: one Alertmanager, and no listener on every address (the default 0.0.0.0:9094).
      "--cluster.listen-address=",
      "--data.retention=24h",
    ], amConfig, join(dir, "alertmanager.log"));
    procs.push(am);
    recordPids();
    await waitReady(am, alertmanagerUrl);
    const prom = startProcess("prometheus", bins.prometheus, [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${join(dir, "prometheus-data")}`,
      `--storage.tsdb.retention.time=${opts.retention ?? "1d"}`,
      `--web.listen-address=${hostPort(opts.host, promPort)}`,
      // A firing alert is re-sent every 5 s rather than every minute (Alertmanager started late, restarted).
      "--rules.alert.resend-delay=5s",
      // The package's console templates and web UI assets, from where it is unpacked.
      ...promAssets(bins.prometheus),
    ], promConfig, join(dir, "prometheus.log"));
    procs.push(prom);
    recordPids();
    await waitReady(prom, prometheusUrl);
    // The rule file loaded: its groups are listed (a file that fails to load stops Prometheus at start).
    const rules = await api<{ data: { groups: Array<{ file: string; rules: unknown[] }> } }>(prometheusUrl, "/api/v1/rules", "prometheus rules", procs);
    if (!rules.data.groups.some((g) => g.file === RULES_FILE && g.rules.length > 0)) {
      throw new Error(`prometheus (${bins.prometheus}) did not load ${RULES_FILE}: ${JSON.stringify(rules.data.groups.map((g) => g.file))}`);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  log(`Prometheus ${prometheusUrl} (pid ${procs[1]!.pid}), Alertmanager ${alertmanagerUrl} (pid ${procs[0]!.pid}); targets ${targetsFile}; logs in ${dir}`);

  let closing: Promise<void> | undefined;
  const get = <T>(base: string, path: string, what: string) => api<T>(base, path, what, procs, closing !== undefined);
  return {
    prometheusUrl,
    alertmanagerUrl,
    targetsFile,
    rulesFile: RULES_FILE,
    setTargets: (groups) => writeTargets(targetsFile, groups),
    async query(promql) {
      const r = await get<{ data: { resultType: string; result: unknown } }>(prometheusUrl, `/api/v1/query?query=${encodeURIComponent(promql)}`, `query ${promql}`);
      if (r.data.resultType === "vector") return r.data.result as PromSample[];
      if (r.data.resultType === "scalar") return [{ metric: {}, value: r.data.result as [number, string] }];
      throw new Error(`query ${promql}: a ${r.data.resultType}, not an instant vector`);
    },
    async alerts() {
      return (await get<{ data: { alerts: PromAlert[] } }>(prometheusUrl, "/api/v1/alerts", "prometheus alerts")).data.alerts;
    },
    async targets() {
      return (await get<{ data: { activeTargets: PromTarget[] } }>(prometheusUrl, "/api/v1/targets?state=active", "prometheus targets")).data.activeTargets;
    },
    async alertmanagerAlerts() {
      return get<Array<{ labels: Record<string, string>; status: { state: string } }>>(alertmanagerUrl, "/api/v2/alerts", "alertmanager alerts");
    },
    close: () => (closing ??= closeAll()),
  };
}

/** One notification of Alertmanager's webhook receiver (payload version 4). */
export interface WebhookNotification {
  receiver: string;
  status: "firing" | "resolved";
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  alerts: Array<{ status: "firing" | "resolved"; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string }>;
}

export interface WebhookReceiver {
  url: string;
  /** Every notification received, in order. */
  notifications: WebhookNotification[];
  close(): Promise<void>;
}

/** An HTTP listener for Alertmanager's webhook_configs: keeps each notification, and hands it to onNotification. */
export async function startWebhookReceiver(opts: { host: string; port?: number; onNotification?: (n: WebhookNotification) => void }): Promise<WebhookReceiver> {
  const notifications: WebhookNotification[] = [];
  const server = http.createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        const n = JSON.parse(Buffer.concat(chunks).toString("utf8")) as WebhookNotification;
        notifications.push(n);
        opts.onNotification?.(n);
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(opts.port ?? 0, opts.host, () => res());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://${hostPort(opts.host, port)}/alerts`,
    notifications,
    close: () => new Promise<void>((res) => {
      server.closeAllConnections();
      server.close(() => res());
    }),
  };
}
