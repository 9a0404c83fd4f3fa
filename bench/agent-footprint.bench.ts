// Agent footprint: the real bundled agent (dist/agent/agent.js, run as its own Node 22 child
// process so the /proc/<pid> figures are its own) on a staked, registered node.
//
// 1. Idle: resident memory (VmRSS from /proc/<pid>/status, sampled every 1 s) and CPU (utime +
//    stime from /proc/<pid>/stat, in clock ticks, over the whole window, as % of one core) over
//    --idle-seconds (default 60). Idle = registered, heartbeating at the production default
//    interval (30 s) with the 1 s stake watch running, no API traffic. The window starts once the
//    agent is registered, has sent a heartbeat and /health is 200, plus a 5 s settle. The window
//    runs once by default; its RSS figure is the median and max of the 1 s samples. A bare idle
//    Node 22 process is sampled at the same instants, for the agent / bare-Node ratio in one run.
// 2. Load: autocannon (npm, programmatic API) on loopback at 1,000 requests/s overall over 10
//    connections, --load-seconds (default 10) per run, --repeats (default 3) runs per endpoint,
//    endpoints interleaved, after an uncounted 2 s warm-up each. For GET /health and GET
//    /api/v1/metrics: p50 / p99 / max latency and achieved req/s, each a median over repeats with
//    its spread; non-2xx, errors and timeouts, which must be 0. Also the agent's CPU during load
//    and its RSS after load. Both routes are unauthenticated in the agent (auth: false in
//    agent/src/api/handlers), so no bearer token is sent; the run checks they answer 200 without.
//
// Real: the bundled agent and everything in it (API server, heartbeat and stake-watch loops,
// src/sui chain reads, resource sampling), Node 22, autocannon. Stand-ins: the devnet chain
// (devnet/chain, in this process), the control-plane stand-in (devnet/control-plane, in this
// process), the fake k3s (test/agent/fixtures/fake-k3s.sh: `sleep` under the agent) and the fake
// ctr (a shell script from test/agent/helpers.ts that /api/v1/metrics and each heartbeat run once
// per call instead of containerd's ctr). A counting pass-through proxy sits between the agent and
// the chain so the run can show the stake watch really polled during the idle window.
// Prints figures; asserts only that what is measured happened (no errors, all 2xx), never timings.
//
// run: source scripts/env.sh && npm run build && node --import tsx bench/agent-footprint.bench.ts
//      [--repeats 3] [--idle-seconds 60] [--load-seconds 10]
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { ControlPlane } from "../devnet/control-plane";
import { processAlive, stakeNode, startChain, startCp, waitFor, type Chain, type Node } from "../test/agent/helpers";
import { numberArg, check, fmtSpread, printJsonLine, printTargets, spread, target, type Spread, type Target } from "./lib/report";

const ROOT = resolve(__dirname, "..");
const BUNDLE = join(ROOT, "dist/agent/agent.js");

const REPEATS = numberArg("repeats", 3);
const IDLE_S = numberArg("idle-seconds", 60);
const LOAD_S = numberArg("load-seconds", 10);
const SETTLE_S = 5;
const WARMUP_S = 2;
const RATE = 1000;
const CONNECTIONS = 10;
const ENDPOINTS = ["/health", "/api/v1/metrics"] as const;
type Endpoint = (typeof ENDPOINTS)[number];

// "MB" in the targets is read as 10^6 bytes, the stricter reading (a MiB is larger).
const MB = 1e6;
const TARGET_RSS_MB = 60;
const TARGET_CPU_PCT = 0.5;
const TARGET_P99_MS = 5;

// ---- /proc ----------------------------------------------------------------------------------

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** VmRSS and VmHWM (peak RSS) in bytes. */
function memory(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) * 1024;
  const m = { rss: kib("VmRSS"), hwm: kib("VmHWM") };
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
async function startBundledAgent(node: Node): Promise<AgentProc> {
  const cfgPath = join(node.dir, "agent.json");
  writeFileSync(cfgPath, JSON.stringify(node.cfgInput));
  const child = spawn(process.execPath, [BUNDLE], {
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
  // Sample on a fixed 1 s grid from t0 so a slow read does not stretch the window.
  for (let i = 1; i <= seconds; i++) {
    await sleep(Math.max(0, t0 + i * 1000 - performance.now()));
    samples.push(memory(pid).rss);
    bare.push(memory(barePid).rss);
  }
  const c1 = cpuTicks(pid);
  const wall = (performance.now() - t0) / 1000;
  return {
    rss: spread(samples.map((b) => b / MB)),
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

/** The part of autocannon's result and instance this bench reads (the package ships no types). */
interface AcResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  resets: number;
  "2xx": number;
  latency: { p50: number; p99: number; max: number; totalCount: number };
  requests: { total: number; sent: number };
}
interface AcInstance extends PromiseLike<AcResult> {
  on(ev: "response", fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>) => AcInstance;
const autocannon = require("autocannon") as Autocannon;

interface Load {
  /** autocannon's own run time: it stops at the first 1 s sample tick after `duration`. */
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  reqPerSec: number;
  rawP50: number;
  rawP99: number;
  burstMs: number;
  cpuPct: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * autocannon's rate limit is a per-connection budget per 1 s tick: a connection sends back to
 * back until it has used its share, then waits for the next tick. The median span of those bursts
 * (responses separated by less than 100 ms) shows how bunched the 1,000 requests of a second were.
 */
function medianBurstMs(times: readonly number[]): number {
  const spans: number[] = [];
  let start = times[0] ?? 0;
  for (let i = 1; i <= times.length; i++) {
    if (i === times.length || times[i]! - times[i - 1]! > 100) {
      spans.push(times[i - 1]! - start);
      start = times[i] ?? 0;
    }
  }
  return spans.length ? spread(spans).median : 0;
}

async function loadRun(base: string, path: Endpoint, seconds: number, pid: number): Promise<Load> {
  const raw: number[] = [];
  const at: number[] = [];
  const c0 = cpuTicks(pid);
  const t0 = performance.now();
  const inst = autocannon({ url: base + path, connections: CONNECTIONS, overallRate: RATE, duration: seconds });
  // Per-response times from autocannon's own event: sub-ms and without the omission correction.
  inst.on("response", (_c, _status, _bytes, ms) => {
    raw.push(ms);
    at.push(performance.now());
  });
  const r = await inst;
  const cpuPct = pctOfCore(cpuTicks(pid).self - c0.self, (performance.now() - t0) / 1000);
  raw.sort((a, b) => a - b);
  check(r.requests.total > 0, `${path}: autocannon completed no request`);
  return {
    seconds: r.duration, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max,
    reqPerSec: r.requests.total / r.duration,
    rawP50: percentile(raw, 50), rawP99: percentile(raw, 99),
    burstMs: medianBurstMs(at), cpuPct,
    total: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
  };
}

function checkClean(path: string, l: Load): void {
  check(l.errors === 0 && l.timeouts === 0, `${path}: ${l.errors} errors, ${l.timeouts} timeouts`);
  check(l.non2xx === 0, `${path}: ${l.non2xx} non-2xx responses of ${l.total}`);
}

// ---- report ---------------------------------------------------------------------------------

const mb = (b: number) => (b / MB).toFixed(1);

function printHeader(node: Node): void {
  const sha = createHash("sha256").update(readFileSync(BUNDLE)).digest("hex").slice(0, 12);
  console.log("agent footprint: idle RSS/CPU, then /health and /api/v1/metrics under load");
  console.log(`real: dist/agent/agent.js (sha256 ${sha}…) as a child process under ${process.execPath} (Node ${process.version}); autocannon 9 on loopback`);
  console.log("stand-ins: devnet chain (in this process, behind a counting pass-through proxy), control-plane stand-in (in this process),");
  console.log("           fake k3s (fixtures/fake-k3s.sh: sleep), fake ctr (shell script; run once per /api/v1/metrics request and per heartbeat)");
  console.log(`agent config: production defaults for heartbeat (${30_000 / 1000} s, jitter 10 %), stake watch (1 s), log level info; API on 127.0.0.1, node ${node.nodeId}`);
  console.log(`memory: MB = 10^6 bytes; CPU: utime+stime from /proc/<pid>/stat at ${CLK_TCK} ticks/s, as % of one core\n`);
}

function printIdle(idle: Idle): void {
  console.log(`idle window: ${idle.seconds.toFixed(1)} s, started after registration + first heartbeat + /health 200 + ${SETTLE_S} s settle; no API traffic`);
  console.log(`  activity in window:   ${idle.heartbeats} heartbeats at the control plane, ${idle.chainRequests} chain RPC requests (stake watch + beats)`);
  console.log(`  RSS (1 s samples):    median ${idle.rss.median.toFixed(1)} MB, max ${idle.rss.max.toFixed(1)} MB, min ${idle.rss.min.toFixed(1)} MB (n=${idle.rss.n})`);
  console.log(`  bare Node 22 RSS:     median ${idle.bareRss.median.toFixed(1)} MB (an idle \`node -e setInterval\` sampled at the same instants)`);
  console.log(`  agent / bare Node:    ${fmtSpread(idle.rssOverBare, "x", 2)}`);
  console.log(`  CPU, agent itself:    ${idle.cpuPct.toFixed(3)} % of a core (one window)`);
  console.log(`  CPU, reaped children: ${idle.childCpuPct.toFixed(3)} % of a core (fake ctr runs; not counted in the target)\n`);
}

interface EndpointFigures {
  seconds: Spread; achievedOverOffered: Spread; p50: Spread; p99: Spread; max: Spread; reqPerSec: Spread; rawP50: Spread; rawP99: Spread; burstMs: Spread; cpuPct: Spread;
  requests: number; non2xx: number; errors: number; timeouts: number;
}

function summarise(runs: readonly Load[]): EndpointFigures {
  const s = (f: (l: Load) => number) => spread(runs.map(f));
  const sum = (f: (l: Load) => number) => runs.reduce((a, l) => a + f(l), 0);
  return {
    seconds: s((l) => l.seconds), achievedOverOffered: s((l) => l.reqPerSec / RATE), p50: s((l) => l.p50), p99: s((l) => l.p99), max: s((l) => l.max), reqPerSec: s((l) => l.reqPerSec),
    rawP50: s((l) => l.rawP50), rawP99: s((l) => l.rawP99), burstMs: s((l) => l.burstMs), cpuPct: s((l) => l.cpuPct),
    requests: sum((l) => l.total), non2xx: sum((l) => l.non2xx), errors: sum((l) => l.errors), timeouts: sum((l) => l.timeouts),
  };
}

function printEndpoint(path: Endpoint, f: EndpointFigures): void {
  console.log(`GET ${path}:`);
  console.log(`  latency p50:          ${fmtSpread(f.p50, "ms", 0)}`);
  console.log(`  latency p99:          ${fmtSpread(f.p99, "ms", 0)}`);
  console.log(`  latency max:          ${fmtSpread(f.max, "ms", 0)}`);
  console.log(`  achieved:             ${fmtSpread(f.reqPerSec, "req/s")} of ${RATE} offered (${fmtSpread(f.achievedOverOffered, "x", 3)}), runs of ${fmtSpread(f.seconds, "s", 2)}`);
  console.log(`  raw p50 / p99:        ${fmtSpread(f.rawP50, "ms", 3)} / ${fmtSpread(f.rawP99, "ms", 3)}  (per response, uncorrected)`);
  console.log(`  burst span per tick:  ${fmtSpread(f.burstMs, "ms")}`);
  console.log(`  agent CPU under load: ${fmtSpread(f.cpuPct, "% of a core")}`);
  console.log(`  requests: ${f.requests} over ${REPEATS} runs; non-2xx ${f.non2xx}, errors ${f.errors}, timeouts ${f.timeouts}\n`);
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
    // Production defaults for everything that runs while idle: `heartbeat: {}` and `controlPlane:
    // {}` drop the helpers' fast test intervals; info logging as a unit would run it.
    node = await stakeNode(chain, "bench-footprint", {
      heartbeat: {}, controlPlane: {}, logLevel: "info", shutdownTimeoutMs: 10_000,
      sui: { rpcUrl: p.url, packageId: chain.ids.packageId, poolId: chain.ids.poolId, registryId: chain.ids.registryId },
    });
    const n = node, c = cp;
    printHeader(n);

    agent = await startBundledAgent(n);
    await waitRegisteredAndHealthy(agent, c, n);
    await sleep(SETTLE_S * 1000);
    const beats = () => c.workers().find((w) => w.node_id === n.nodeId)?.heartbeats ?? 0;
    bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { env: { PATH: "/usr/bin:/bin" }, stdio: "ignore" });
    await sleep(1000); // past its start-up, so its first sample is its idle size
    const idle = await idleWindow(agent.pid, bare.pid!, IDLE_S, beats, () => p.requests());
    printIdle(idle);
    bare.kill("SIGKILL");
    // A heartbeat is due every 27-33 s; a window shorter than that may honestly see none.
    check(idle.chainRequests >= Math.floor(IDLE_S / 2), `stake watch polled the chain during the idle window (${idle.chainRequests} requests)`);

    for (const path of ENDPOINTS) {
      const r = await fetch(agent.base + path);
      check(r.status === 200, `GET ${path} without a token answers 200 (got ${r.status})`);
      await r.arrayBuffer();
    }

    console.log(`load: autocannon, overallRate ${RATE} req/s over ${CONNECTIONS} connections, ${LOAD_S} s per run, ${REPEATS} runs per endpoint, interleaved,`);
    console.log(`      each endpoint warmed up ${WARMUP_S} s first (not counted). No auth header: both routes are unauthenticated.`);
    console.log("      Latency p50/p99/max are autocannon's: whole ms (its histogram's resolution) with its coordinated-omission");
    console.log("      correction, which it applies whenever a rate is set (expected interval ceil(1/rate) = 1 ms, so every response");
    console.log("      slower than 1 ms also adds synthetic samples below it). 'raw' figures are the same runs' per-response times");
    console.log("      from autocannon's response events, sub-ms and uncorrected. autocannon's rate is a per-connection budget per 1 s");
    console.log("      tick, sent back to back, so the agent gets each second's requests as a burst; 'burst span' is how long those took.");
    console.log("      When the agent cannot serve a connection's share within its second, that connection simply keeps sending back");
    console.log("      to back (closed loop, 10 in flight) and 'achieved' falls below the offered rate.\n");
    for (const path of ENDPOINTS) await loadRun(agent.base, path, WARMUP_S, agent.pid);
    const runs = new Map<Endpoint, Load[]>(ENDPOINTS.map((e) => [e, []]));
    const ratios: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      for (const path of ENDPOINTS) {
        const l = await loadRun(agent.base, path, LOAD_S, agent.pid);
        checkClean(path, l);
        runs.get(path)!.push(l);
      }
      // Ratio within one repeat (same agent, back-to-back runs): metrics over health, raw p99.
      ratios.push(runs.get("/api/v1/metrics")![i]!.rawP99 / runs.get("/health")![i]!.rawP99);
    }
    const after = memory(agent.pid);
    check(processAlive(agent.pid), "agent still running after load");

    const figs = new Map(ENDPOINTS.map((e) => [e, summarise(runs.get(e)!)]));
    for (const path of ENDPOINTS) printEndpoint(path, figs.get(path)!);
    const ratio = spread(ratios);
    console.log(`ratio /api/v1/metrics : /health, raw p99 per repeat: ${fmtSpread(ratio, "x", 2)}`);
    console.log(`agent RSS after load: ${mb(after.rss)} MB (${(after.rss / MB / idle.rss.median).toFixed(2)}x the idle median); peak RSS over its life (VmHWM): ${mb(after.hwm)} MB`);
    const levels = [...agent.logLevels].map(([k, v]) => `${k} ${v}`).join(", ");
    console.log(`agent log lines over the run by level: ${levels}\n`);

    const targets: Target[] = [
      target("idle RSS, max of 1 s samples", idle.rss.max, "MB", "<=", TARGET_RSS_MB),
      target("idle CPU, agent process", idle.cpuPct, "% of a core", "<", TARGET_CPU_PCT),
      ...ENDPOINTS.map((e) => target(`${e} p99 at ${RATE} req/s (median of ${REPEATS})`, figs.get(e)!.p99.median, "ms", "<=", TARGET_P99_MS)),
    ];
    printTargets(targets);
    printJsonLine("agent-footprint", {
      idle: { seconds: idle.seconds, rssMB: idle.rss, bareNodeRssMB: idle.bareRss, rssOverBareNode: idle.rssOverBare, cpuPctOfCore: idle.cpuPct, childCpuPctOfCore: idle.childCpuPct, heartbeats: idle.heartbeats, chainRequests: idle.chainRequests },
      load: { rate: RATE, connections: CONNECTIONS, seconds: LOAD_S, repeats: REPEATS, endpoints: Object.fromEntries(figs) },
      metricsOverHealthRawP99: ratio,
      rssAfterLoadMB: after.rss / MB,
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
