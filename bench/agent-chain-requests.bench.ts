// The agent's chain requests per idle hour, before and after the pushed stake watch.
//
// One idle window per agent build: the bundled agent runs as its own process on a staked,
// registered node with the production defaults (heartbeat 30 s; after: stream + 60 s re-read;
// before: the 1 s stake poll), and the devnet counts every request it serves, per client
// (agents name themselves with the x-k3s-daas-client header; an agent that does not is counted
// by its address, which nothing else in the window shares: the control-plane stand-in names
// itself). The count over --minutes (default 3) is scaled to an hour. "Before" is the agent of
// commit --before (default 36b5a93, the last one before gRPC), built from that commit's sources
// with this checkout's esbuild and node_modules; it speaks JSON-RPC, which the devnet still serves.
//
// Target: at most 60 requests an hour plus the one checkpoint stream.
// Real: both agent bundles, Node 22, HTTP, gRPC / JSON-RPC. Stand-ins: the devnet chain and the
// control-plane stand-in (in this process), the fake k3s and ctr of test/agent.
//
// run: source scripts/env.sh && npm run build && node --import tsx bench/agent-chain-requests.bench.ts [--minutes 3] [--before 36b5a93]
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Devnet } from "../devnet/chain";
import { stakeNode, startChain, startCp, waitFor } from "../test/agent/helpers";
import { numberArg, stringArg, printJsonLine, printTargets, target } from "./lib/report";

const ROOT = resolve(__dirname, "..");
const MINUTES = numberArg("minutes", 3);
const BEFORE = stringArg("before") ?? "36b5a93";
const STREAM = "sui.rpc.v2.SubscriptionService/SubscribeCheckpoints";

/** The agent bundle of an older commit, built from its own sources. */
function buildBundleAt(commit: string): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), `agent-${commit}-`));
  execFileSync("sh", ["-c", `git -C "${ROOT}" archive "${commit}" agent/src src/sui package.json | tar -x -C "${dir}"`]);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const esbuild = require("esbuild") as typeof import("esbuild");
  const file = join(dir, "agent.js");
  esbuild.buildSync({ entryPoints: [join(dir, "agent/src/main.ts")], outfile: file, bundle: true, platform: "node", target: "node22", format: "cjs", logLevel: "warning" });
  return { file, dir };
}

interface Window { total: number; perHour: number; stream: number; byMethod: Record<string, number> }

async function idleWindow(label: string, bundle: string): Promise<Window> {
  const chain = await startChain();
  const devnet = chain as unknown as Devnet;
  const cp = await startCp(chain);
  const node = await stakeNode(chain, `idle-${label}`);
  let child: ChildProcess | undefined;
  try {
    // Production intervals: drop the tests' fast heartbeat so every build uses its own defaults.
    const { heartbeat: _fast, ...cfg } = node.cfgInput;
    const cfgPath = join(node.dir, "agent.json");
    writeFileSync(cfgPath, JSON.stringify(cfg));
    child = spawn(process.execPath, [bundle], { env: { PATH: "/usr/bin:/bin", STAKER_CONFIG_PATH: cfgPath }, stdio: "ignore" });
    await waitFor(`${label}: registration`, () => cp.workers().some((w) => w.node_id === node.nodeId), 60_000);
    await sleep(5_000); // settle: start-up reads and the stream's opening are not idle
    const clients = () => Object.entries(devnet.requestCounts()).filter(([c]) => c !== "k3s-daas-control-plane");
    const count = () => Object.fromEntries(clients().flatMap(([, m]) => Object.entries(m)).reduce((acc, [k, v]) => acc.set(k, (acc.get(k) ?? 0) + v), new Map<string, number>()));
    const before = count();
    await sleep(MINUTES * 60_000);
    const after = count();
    const byMethod = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0)) as Record<string, number>;
    const stream = byMethod[STREAM] ?? 0;
    const total = Object.values(byMethod).reduce((a, b) => a + b, 0) - stream;
    return { total, perHour: Math.round((total * 60) / MINUTES), stream, byMethod };
  } finally {
    child?.kill("SIGTERM");
    await sleep(500);
    await cp.close();
    await chain.close();
    node.cleanup();
  }
}

async function main() {
  console.log(`agent chain requests while idle: ${MINUTES} min per build, scaled to an hour`);
  const old = buildBundleAt(BEFORE);
  try {
    const b = await idleWindow("before", old.file);
    console.log(`before (${BEFORE}): ${b.total} requests in ${MINUTES} min = ${b.perHour}/h  ${JSON.stringify(b.byMethod)}`);
    const a = await idleWindow("after", join(ROOT, "dist/agent/agent.js"));
    console.log(`after (this checkout): ${a.total} requests in ${MINUTES} min = ${a.perHour}/h, plus ${a.stream} stream opened in the window  ${JSON.stringify(a.byMethod)}`);
    console.log(`ratio before / after: ${(b.perHour / Math.max(1, a.perHour)).toFixed(1)} x`);
    const targets = [
      target("agent chain requests per idle hour (besides the stream)", a.perHour, "requests/h", "<=", 60),
      target("checkpoint streams opened while idle", a.stream, "streams", "<=", 1),
    ];
    printTargets(targets);
    printJsonLine("agent-chain-requests", { minutes: MINUTES, before: { commit: BEFORE, ...b }, after: a }, targets);
  } finally {
    rmSync(old.dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
