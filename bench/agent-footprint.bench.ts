// Agent footprint: the real bundled agent (dist/agent/agent.js, run as its own Node 22 child
// process, with the V8/Node flags of the shipped systemd unit's ExecStart, so the /proc/<pid>
// figures are its own and are what a host runs) on a staked, registered node.
//
// 1. Idle: resident memory (VmRSS from /proc/<pid>/status, sampled every 1 s) and CPU (utime +
//    stime from /proc/<pid>/stat, in clock ticks, over the whole window, as % of one core) over
//    --idle-seconds (default 60). Idle = registered, heartbeating at the production default
//    interval (30 s) with the stake watch running (1 s by default; --stake-watch-ms changes it, to
//    see what the rest of the agent costs apart from it), no API traffic. The window starts once
//    the agent is registered, has sent a heartbeat and /health is 200, plus a 5 s settle. A bare
//    idle Node 22 process is sampled at the same instants, for the agent / bare-Node ratio.
// 2. Load: vegeta (constant-rate open model: requests leave on schedule whether or not earlier ones
//    have been answered, so a slow server shows as latency and errors, not as a lower offered
//    rate), built from the Go module proxy by scripts/setup-vegeta.sh. For GET /health and GET
//    /api/v1/metrics at 100 and 1,000 req/s: --load-seconds (default 10) per run, --repeats
//    (default 2) runs per setting, interleaved, after an uncounted 2 s warm-up each. Reports p50 /
//    p99 / max latency, the rate achieved (requests sent per second) and the throughput (successful
//    answers per second), status codes and errors; the agent's CPU during each run; its RSS after
//    all runs. Both routes are unauthenticated, so the run checks they answer 200 without.
//
// Real: the bundled agent and everything in it (API server, heartbeat and stake-watch loops,
// src/sui chain reads, the runtime sampler), Node 22, vegeta. Stand-ins: the devnet chain
// (devnet/chain, in this process), the control-plane stand-in (devnet/control-plane, in this
// process), the fake k3s (test/agent/fixtures/fake-k3s.sh: `sleep` under the agent) and the fake
// ctr (a shell script from test/agent/helpers.ts standing for containerd's ctr). A counting
// pass-through proxy sits between the agent and the chain so the run can show the stake watch
// really polled during the idle window.
// Prints figures; asserts only that what is measured happened (all answers 200, no errors),
// never timings.
//
// run: npm run bench -- agent-footprint [--repeats 2] [--idle-seconds 60] [--load-seconds 10]
//      [--stake-watch-ms 1000] [--bundle dist/agent/agent.js] [--unit agent/systemd/k3s-daas-agent.service]
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { ControlPlane } from "../devnet/control-plane";
import { processAlive, stakeNode, startChain, startCp, waitFor, type Chain, type Node } from "../test/agent/helpers";
import { numberArg, stringArg, check, fmtSpread, printJsonLine, printTargets, spread, target, type Spread, type Target } from "./lib/report";

const ROOT = resolve(__dirname, "..");
// --bundle and --unit measure another build (e.g. the previous commit's) with its own unit flags.
const BUNDLE = resolve(stringArg("bundle") ?? join(ROOT, "dist/agent/agent.js"));
const UNIT = resolve(stringArg("unit") ?? join(ROOT, "agent/systemd/k3s-daas-agent.service"));

const execFileP = promisify(execFile);
const REPEATS = numberArg("repeats", 2);
const IDLE_S = numberArg("idle-seconds", 60);
const LOAD_S = numberArg("load-seconds", 10);
const STAKE_WATCH_MS = numberArg("stake-watch-ms", 1000);
const SETTLE_S = 5;
const WARMUP_S = 2;
const RATES = [100, 1000] as const;
const ENDPOINTS = ["/health", "/api/v1/metrics"] as const;
type Endpoint = (typeof ENDPOINTS)[number];

// "MB" in the targets is read as 10^6 bytes, the stricter reading (a MiB is larger).
const MB = 1e6;
const TARGET_RSS_MB = 50;
const TARGET_RSS_AFTER_LOAD_MB = 80;
const TARGET_CPU_PCT = 0.3;
const TARGET_P99_MS = 5;

// ---- /proc ----------------------------------------------------------------------------------

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** VmRSS, VmHWM (peak RSS), and RSS split into anonymous memory and file pages (the node binary), in bytes. */
function memory(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) * 1024;
  const m = { rss: kib("VmRSS"), hwm: kib("VmHWM"), anon: kib("RssAnon"), file: kib("RssFile") };
  check(Number.isFinite(m.rss) && Number.isFinite(m.hwm), `VmRSS/VmHWM in /proc/${pid}/status`);
  return m;
}

/** CPU clock ticks of the process itself (utime+stime) and of its reaped children (cutime+cstime). */
function cpuTicks(pid: number): { self: number; children: number } {
  // Fields after "(comm) ": state is field 3, so utime..cstime (14..17) are at 11..14 here.
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ").map(Number);
  return { self: f[11]! + f[12]!, children: f[13]! + f[14]! };
}

const pctOfCore = (ticks: number, seconds: number) => (ticks / CLK_TCK / seconds) * 100;

// ---- stand-ins and the agent ----------------------------------------------------------------

interface CountingProxy {
  url: string;
  requests(): number;
  close(): Promise<void>;
}

/** Pass-through HTTP proxy to the chain that counts requests: evidence the stake watch ran. */
async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const to = new URL(targetUrl);
  let n = 0;
  const server: Server = createServer((req, res) => {
    n++;
    const up = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => n,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

interface AgentProc {
  child: ChildProcess;
  pid: number;
  base: string;
  logLevels: Map<string, number>;
  stop(): Promise<void>;
}

/** Run the bundle the way bundle.test.ts does: config file via STAKER_CONFIG_PATH, a bare PATH. */
async function startBundledAgent(node: Node, flags: readonly string[]): Promise<AgentProc> {
  const cfgPath = join(node.dir, "agent.json");
  writeFileSync(cfgPath, JSON.stringify(node.cfgInput));
  const child = spawn(process.execPath, [...flags, BUNDLE], {
    env: { PATH: "/usr/bin:/bin", STAKER_CONFIG_PATH: cfgPath },
    cwd: node.dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Array<{ level?: string; msg?: string; port?: number }> = [];
  const logLevels = new Map<string, number>();
  for (const s of [child.stdout!, child.stderr!]) {
    createInterface({ input: s }).on("line", (l) => {
      try {
        const j = JSON.parse(l) as { level?: string; msg?: string; port?: number };
        lines.push(j);
        logLevels.set(j.level ?? "?", (logLevels.get(j.level ?? "?") ?? 0) + 1);
      } catch {
        logLevels.set("not-json", (logLevels.get("not-json") ?? 0) + 1);
      }
    });
  }
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM"); // the agent deregisters and stops its k3s on SIGTERM
    const code = await Promise.race([exited, sleep(15_000).then(() => "timeout" as const)]);
    if (code === "timeout") child.kill("SIGKILL");
  };
  try {
    const listening = await waitFor("agent API listening", () => lines.find((l) => l.msg === "agent API listening"));
    return { child, pid: child.pid!, base: `http://127.0.0.1:${listening.port}`, logLevels, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Registered, beaten at least once (seen by the control plane), and /health says 200. */
async function waitRegisteredAndHealthy(agent: AgentProc, cp: ControlPlane, node: Node): Promise<void> {
  await waitFor("registered, heartbeating, healthy", async () => {
    const r = await fetch(`${agent.base}/health`);
    const h = (await r.json()) as { registered: boolean; last_heartbeat: string | null };
    return r.status === 200 && h.registered && h.last_heartbeat !== null;
  }, 60_000, 200);
  await waitFor("heartbeat at the control plane", () => cp.workers().find((w) => w.node_id === node.nodeId && w.heartbeats >= 1));
}

// ---- idle window ----------------------------------------------------------------------------

interface Idle {
  rss: Spread;
  anonRss: Spread;
  fileRss: Spread;
  /** A bare idle Node 22 process sampled at the same instants: how much of the RSS is Node itself. */
  bareRss: Spread;
  rssOverBare: Spread;
  cpuPct: number;
  childCpuPct: number;
  heartbeats: number;
  chainRequests: number;
  seconds: number;
}

async function idleWindow(pid: number, barePid: number, seconds: number, heartbeats: () => number, chainRequests: () => number): Promise<Idle> {
  const t0 = performance.now();
  const c0 = cpuTicks(pid), h0 = heartbeats(), q0 = chainRequests();
  const samples: number[] = [];
  const bare: number[] = [];
  const anon: number[] = [];
  const file: number[] = [];
  // Sample on a fixed 1 s grid from t0 so a slow read does not stretch the window.
  for (let i = 1; i <= seconds; i++) {
    await sleep(Math.max(0, t0 + i * 1000 - performance.now()));
    const m = memory(pid);
    samples.push(m.rss);
    anon.push(m.anon);
    file.push(m.file);
    bare.push(memory(barePid).rss);
  }
  const c1 = cpuTicks(pid);
  const wall = (performance.now() - t0) / 1000;
  return {
    rss: spread(samples.map((b) => b / MB)),
    anonRss: spread(anon.map((b) => b / MB)),
    fileRss: spread(file.map((b) => b / MB)),
    bareRss: spread(bare.map((b) => b / MB)),
    rssOverBare: spread(samples.map((b, i) => b / bare[i]!)),
    cpuPct: pctOfCore(c1.self - c0.self, wall),
    childCpuPct: pctOfCore(c1.children - c0.children, wall),
    heartbeats: heartbeats() - h0,
    chainRequests: chainRequests() - q0,
    seconds: wall,
  };
}

// ---- load -----------------------------------------------------------------------------------

const VEGETA = execFileSync("bash", [join(ROOT, "scripts/setup-vegeta.sh")], { stdio: ["ignore", "pipe", "inherit"] }).toString().trim();

/** The part of `vegeta report -type=json` this bench reads (latencies in ns). */
interface VegetaReport {
  latencies: { "50th": number; "99th": number; max: number; mean: number };
  duration: number;
  requests: number;
  rate: number;
  throughput: number;
  success: number;
  status_codes: Record<string, number>;
  errors: string[] | null;
}

interface Load {
  p50: number;
  p99: number;
  max: number;
  /** Requests sent per second (vegeta's rate). */
  rate: number;
  /** Successful answers per second. */
  throughput: number;
  success: number;
  cpuPct: number;
  total: number;
  non200: number;
  errors: string[];
}

async function runVegeta(url: string, rate: number, seconds: number): Promise<VegetaReport> {
  // attack, then report, through files: one target, constant rate, 5 s timeout, keep-alive (the
  // default). Asynchronous children: this process hosts the chain and control plane the agent uses.
  const dir = mkdtempSync(join(tmpdir(), "vegeta-"));
  try {
    writeFileSync(join(dir, "targets"), `GET ${url}\n`);
    await execFileP(VEGETA, ["attack", `-targets=${join(dir, "targets")}`, `-rate=${rate}/1s`, `-duration=${seconds}s`, "-timeout=5s", `-output=${join(dir, "results.bin")}`], { maxBuffer: 1 << 20 });
    const { stdout } = await execFileP(VEGETA, ["report", "-type=json", join(dir, "results.bin")], { maxBuffer: 16 << 20 });
    return JSON.parse(stdout) as VegetaReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function loadRun(base: string, path: Endpoint, rate: number, seconds: number, pid: number): Promise<Load> {
  const c0 = cpuTicks(pid);
  const t0 = performance.now();
  const r = await runVegeta(base + path, rate, seconds);
  const cpuPct = pctOfCore(cpuTicks(pid).self - c0.self, (performance.now() - t0) / 1000);
  check(r.requests > 0, `${path}: vegeta completed no request`);
  const ms = (ns: number) => ns / 1e6;
  const ok = r.status_codes["200"] ?? 0;
  return {
    p50: ms(r.latencies["50th"]), p99: ms(r.latencies["99th"]), max: ms(r.latencies.max),
    rate: r.rate, throughput: r.throughput, success: r.success, cpuPct,
    total: r.requests, non200: r.requests - ok, errors: [...new Set(r.errors ?? [])],
  };
}

// ---- report ---------------------------------------------------------------------------------

const mb = (b: number) => (b / MB).toFixed(1);

function printHeader(node: Node, flags: readonly string[]): void {
  const sha = createHash("sha256").update(readFileSync(BUNDLE)).digest("hex").slice(0, 12);
  console.log("agent footprint: idle RSS/CPU, then /health and /api/v1/metrics under constant-rate load");
  console.log(`real: ${BUNDLE.replace(ROOT + "/", "")} (sha256 ${sha}…, ${(statSync(BUNDLE).size / 1e6).toFixed(2)} MB) as a child process under ${process.execPath} (Node ${process.version})`);
  console.log(`      with the unit's flags: ${flags.length ? flags.join(" ") : "(none)"}; vegeta ${VEGETA.match(/vegeta-(v[\d.]+)/)?.[1] ?? "?"} on loopback`);
  console.log("stand-ins: devnet chain (in this process, behind a counting pass-through proxy), control-plane stand-in (in this process),");
  console.log("           fake k3s (fixtures/fake-k3s.sh: sleep), fake ctr (shell script)");
  console.log(`agent config: production defaults for heartbeat (30 s, jitter 10 %), stake watch pushed (re-read 60 s; ${STAKE_WATCH_MS} ms poll while the stream is down), log level info; API on 127.0.0.1, node ${node.nodeId}`);
  console.log(`memory: MB = 10^6 bytes; CPU: utime+stime from /proc/<pid>/stat at ${CLK_TCK} ticks/s, as % of one core\n`);
}

function printIdle(idle: Idle): void {
  console.log(`idle window: ${idle.seconds.toFixed(1)} s, started after registration + first heartbeat + /health 200 + ${SETTLE_S} s settle; no API traffic`);
  console.log(`  activity in window:   ${idle.heartbeats} heartbeats at the control plane, ${idle.chainRequests} chain RPC requests (stake watch + beats)`);
  console.log(`  RSS (1 s samples):    median ${idle.rss.median.toFixed(1)} MB, max ${idle.rss.max.toFixed(1)} MB, min ${idle.rss.min.toFixed(1)} MB (n=${idle.rss.n})`);
  console.log(`  of which:             anonymous ${idle.anonRss.median.toFixed(1)} MB, file pages ${idle.fileRss.median.toFixed(1)} MB (mostly the node binary, shared)`);
  console.log(`  bare Node 22 RSS:     median ${idle.bareRss.median.toFixed(1)} MB (an idle \`node -e setInterval\` sampled at the same instants)`);
  console.log(`  agent / bare Node:    ${fmtSpread(idle.rssOverBare, "x", 2)}`);
  console.log(`  CPU, agent itself:    ${idle.cpuPct.toFixed(3)} % of a core (one window)`);
  console.log(`  CPU, reaped children: ${idle.childCpuPct.toFixed(3)} % of a core (fake ctr runs; not counted in the target)\n`);
}

interface SettingFigures {
  p50: Spread; p99: Spread; max: Spread; rate: Spread; throughput: Spread; success: Spread; cpuPct: Spread;
  requests: number; non200: number; errors: string[];
}

function summarise(runs: readonly Load[]): SettingFigures {
  const s = (f: (l: Load) => number) => spread(runs.map(f));
  return {
    p50: s((l) => l.p50), p99: s((l) => l.p99), max: s((l) => l.max), rate: s((l) => l.rate), throughput: s((l) => l.throughput),
    success: s((l) => l.success), cpuPct: s((l) => l.cpuPct),
    requests: runs.reduce((a, l) => a + l.total, 0), non200: runs.reduce((a, l) => a + l.non200, 0), errors: [...new Set(runs.flatMap((l) => l.errors))],
  };
}

function printSetting(path: Endpoint, rate: number, f: SettingFigures): void {
  console.log(`GET ${path} at ${rate} req/s:`);
  console.log(`  latency p50 / p99:    ${fmtSpread(f.p50, "ms", 2)} / ${fmtSpread(f.p99, "ms", 2)}`);
  console.log(`  latency max:          ${fmtSpread(f.max, "ms", 1)}`);
  console.log(`  rate achieved:        ${fmtSpread(f.rate, "req/s")}; throughput (200s per second) ${fmtSpread(f.throughput, "req/s")}`);
  console.log(`  agent CPU under load: ${fmtSpread(f.cpuPct, "% of a core")}`);
  console.log(`  requests: ${f.requests} over ${REPEATS} runs; not 200: ${f.non200}; errors: ${f.errors.length ? f.errors.slice(0, 3).join(" | ") : "none"}\n`);
}

/** The node flags of the shipped unit's ExecStart (between the node binary and agent.js). */
function unitNodeFlags(): string[] {
  const unit = readFileSync(UNIT, "utf8");
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.trim().split(/\s+/) ?? [];
  check(exec.length >= 2 && exec[exec.length - 1]!.endsWith("agent.js"), "the unit's ExecStart runs node ... agent.js");
  return exec.slice(1, -1);
}

// ---- main -----------------------------------------------------------------------------------

async function main() {
  check(Number(process.versions.node.split(".")[0]) >= 22, `run under Node 22 (source scripts/env.sh), not ${process.version}`);
  check(existsSync(BUNDLE), `${BUNDLE} missing: run npm run build first`);
  let chain: Chain | undefined, cp: ControlPlane | undefined, proxy: CountingProxy | undefined;
  let node: Node | undefined, agent: AgentProc | undefined, bare: ChildProcess | undefined;
  try {
    chain = await startChain();
    cp = await startCp(chain);
    proxy = await startCountingProxy(chain.url);
    const p = proxy;
    // Production defaults for everything that runs while idle: `heartbeat: {}`, `controlPlane: {}`
    // and no `telemetry` key drop the helpers' fast test intervals (without the key, a build from
    // before the runtime sampler still accepts the config: --bundle); info logging as a unit would.
    node = await stakeNode(chain, "bench-footprint", {
      heartbeat: STAKE_WATCH_MS === 1000 ? {} : { stakeWatchIntervalMs: STAKE_WATCH_MS }, controlPlane: {}, logLevel: "info", shutdownTimeoutMs: 10_000,
      sui: { rpcUrl: p.url, packageId: chain.ids.packageId, poolId: chain.ids.poolId, registryId: chain.ids.registryId },
    });
    // The bench sends no POST: no operator key either (same reason).
    delete (node.cfgInput as { telemetry?: unknown }).telemetry;
    delete (node.cfgInput.api as { operatorKeys?: unknown } | undefined)?.operatorKeys;
    const n = node, c = cp;
    const flags = unitNodeFlags();
    printHeader(n, flags);

    agent = await startBundledAgent(n, flags);
    await waitRegisteredAndHealthy(agent, c, n);
    await sleep(SETTLE_S * 1000);
    const beats = () => c.workers().find((w) => w.node_id === n.nodeId)?.heartbeats ?? 0;
    bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { env: { PATH: "/usr/bin:/bin" }, stdio: "ignore" });
    await sleep(1000); // past its start-up, so its first sample is its idle size
    const idle = await idleWindow(agent.pid, bare.pid!, IDLE_S, beats, () => p.requests());
    printIdle(idle);
    bare.kill("SIGKILL");
    // A heartbeat is due every 27-33 s; a window shorter than that may honestly see none.
    // The stake watch is pushed (one checkpoint stream) with a safety re-read every 60 s; a build
    // from before it (--bundle) polls instead, which only makes this lower bound easier to meet.
    check(idle.chainRequests >= Math.floor(IDLE_S / 120), `stake watch read the chain during the idle window (${idle.chainRequests} requests)`);

    for (const path of ENDPOINTS) {
      const r = await fetch(agent.base + path);
      check(r.status === 200, `GET ${path} without a token answers 200 (got ${r.status})`);
      await r.arrayBuffer();
    }

    console.log(`load: vegeta attack -rate=R/1s -duration=${LOAD_S}s -timeout=5s, one endpoint at a time, R in ${RATES.join(", ")}; ${REPEATS} runs`);
    console.log(`      per setting, interleaved, each setting warmed up ${WARMUP_S} s first (not counted). Latencies are vegeta's (request sent`);
    console.log("      on schedule to last byte of the answer); 'rate achieved' is requests sent per second, 'throughput' 200s answered per second.\n");
    const settings = ENDPOINTS.flatMap((path) => RATES.map((rate) => ({ path, rate, key: `${path} @ ${rate}` })));
    for (const st of settings) await loadRun(agent.base, st.path, st.rate, WARMUP_S, agent.pid);
    const runs = new Map<string, Load[]>(settings.map((st) => [st.key, []]));
    for (let i = 0; i < REPEATS; i++) {
      for (const st of settings) {
        const l = await loadRun(agent.base, st.path, st.rate, LOAD_S, agent.pid);
        runs.get(st.key)!.push(l);
      }
    }
    const after = memory(agent.pid);
    check(processAlive(agent.pid), "agent still running after load");
    // The agent's own view (prom-client's process metrics), read after the RSS figure: the first
    // scrape loads prom-client. Absent on builds without a prom-client /metrics.
    const prom = await fetch(agent.base + "/metrics").then((r) => r.text());
    const heapUsed = Number(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(prom)?.[1] ?? NaN);

    const figs = new Map(settings.map((st) => [st.key, summarise(runs.get(st.key)!)]));
    for (const st of settings) printSetting(st.path, st.rate, figs.get(st.key)!);
    console.log(`agent RSS after load: ${mb(after.rss)} MB (${(after.rss / MB / idle.rss.median).toFixed(2)}x the idle median; anonymous ${mb(after.anon)} MB, file pages ${mb(after.file)} MB); peak RSS over its life (VmHWM): ${mb(after.hwm)} MB`);
    console.log(`agent V8 heap in use after load (its /metrics, nodejs_heap_size_used_bytes): ${Number.isFinite(heapUsed) ? mb(heapUsed) + " MB" : "not reported"}`);
    const levels = [...agent.logLevels].map(([k, v]) => `${k} ${v}`).join(", ");
    console.log(`agent log lines over the run by level: ${levels}\n`);

    const targets: Target[] = [
      target("idle RSS, max of 1 s samples", idle.rss.max, "MB", "<=", TARGET_RSS_MB),
      target("idle CPU, agent process", idle.cpuPct, "% of a core", "<", TARGET_CPU_PCT),
      target("RSS after the load runs", after.rss / MB, "MB", "<=", TARGET_RSS_AFTER_LOAD_MB),
      ...ENDPOINTS.map((e) => target(`${e} p99 at 1000 req/s (median of ${REPEATS})`, figs.get(`${e} @ 1000`)!.p99.median, "ms", "<=", TARGET_P99_MS)),
    ];
    printTargets(targets);
    printJsonLine("agent-footprint", {
      nodeFlags: flags,
      stakeWatchMs: STAKE_WATCH_MS,
      idle: { seconds: idle.seconds, rssMB: idle.rss, anonRssMB: idle.anonRss, fileRssMB: idle.fileRss, bareNodeRssMB: idle.bareRss, rssOverBareNode: idle.rssOverBare, cpuPctOfCore: idle.cpuPct, childCpuPctOfCore: idle.childCpuPct, heartbeats: idle.heartbeats, chainRequests: idle.chainRequests },
      load: { tool: "vegeta", rates: RATES, seconds: LOAD_S, repeats: REPEATS, settings: Object.fromEntries(figs) },
      rssAfterLoadMB: after.rss / MB,
      anonRssAfterLoadMB: after.anon / MB,
      heapUsedAfterLoadMB: Number.isFinite(heapUsed) ? heapUsed / MB : null,
      rssPeakMB: after.hwm / MB,
    }, targets);
  } finally {
    if (bare?.exitCode === null && bare.signalCode === null) bare.kill("SIGKILL");
    await cleanup(agent, node, cp, proxy, chain);
  }
}

/** Each step runs even if an earlier one throws; the first error is rethrown at the end. */
async function cleanup(agent?: AgentProc, node?: Node, cp?: ControlPlane, proxy?: CountingProxy, chain?: Chain): Promise<void> {
  let first: unknown;
  const step = async (fn: () => unknown) => {
    try {
      await fn();
    } catch (err) {
      first ??= err;
    }
  };
  await step(() => agent?.stop());
  // The agent stops its fake k3s on SIGTERM; if it had to be killed, stop that child by its pid.
  await step(() => {
    const pid = node && existsSync(node.k3sState) ? Number(/pid=(\d+)/.exec(readFileSync(node.k3sState, "utf8"))?.[1]) : NaN;
    if (pid > 0 && processAlive(pid)) process.kill(pid, "SIGKILL");
  });
  await step(() => cp?.close());
  await step(() => proxy?.close());
  await step(() => chain?.close());
  await step(() => node?.cleanup());
  if (first) throw first;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
