// Provisioning at scale: wall time of a real `pulumi up` (Automation API, the real engine, this
// project's program) of the dev stack's settings for 1, 4 and 8 test hosts, in one run, as ratios
// to 1 host; a `pulumi preview` with nothing to change on 8 hosts; and `pulumi destroy` of 8.
// Targets: 8 hosts within 1.3x of one host; no-op preview of 8 hosts under 15 s.
//
// Each repeat (default 3) runs: up 1 -> destroy -> up 4 -> destroy -> up 8 -> 3 no-op previews ->
// destroy 8; figures are medians over repeats with their spread, ratios are taken within a
// repeat. Every up is a full install from clean hosts (removeContainerRuntime purges containerd
// on destroy; the run checks each up created everything and destroy deleted everything).
// Settings are stacks/Pulumi.dev.yaml's, except parallelism, set to the host count so the fleet
// provisions every host at once (the dev stack's 3 would stage 8 hosts in three waves).
//
// Where the time goes: per-step durations from the engine's events (bench/lib/engine-steps.ts),
// grouped into chain, SSH uploads, installs, agent start and the registration wait, compared
// between 1 and 8 hosts; and machine CPU use during each up.
//
// Real: Pulumi engine and CLI (built from source), the program and providers, SSH, apt/dpkg,
// systemd, containerd, the agent, on nspawn hosts. Stand-ins: the devnet chain, the control
// plane, the k3s binary (devnet/hosts/k3s-standin), the local apt source.
//
// run: source scripts/env.sh && npm run build && node --import tsx bench/provision-scale.bench.ts [--repeats 3] [--sizes 1,4,8]
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { startFleetEnv, type FleetEnv } from "../devnet/local-stack/fleet-env";
import { createTestStack, type TestStack } from "../test/support/engine";
import { numberArg, stringArg, check, fmtSpread, printJsonLine, printTargets, spread, target, timed, type Spread } from "./lib/report";
import { devStackSettings } from "./lib/dev-stack";
import { cpuBusy, STEP_KINDS, StepRecorder, type StepKind, type StepTiming } from "./lib/engine-steps";

const root = resolve(__dirname, "..");
const STACK = "scale";
const stackFile = resolve(root, `stacks/Pulumi.${STACK}.yaml`);
const REPEATS = numberArg("repeats", 3);
const SIZES = (stringArg("sizes") ?? "1,4,8").split(",").map(Number);
const BIG = Math.max(...SIZES);
const PREVIEWS = 3;
const out = process.env.BENCH_VERBOSE ? (s: string) => process.stderr.write(s) : undefined;

interface UpRun {
  size: number;
  ms: number;
  created: number;
  cpuBusyPct: number;
  steps: StepTiming[];
}

interface Repeat {
  ups: UpRun[];
  previewMs: number[];
  destroyBigMs: number;
}

async function up(env: FleetEnv, ts: TestStack, names: string[]): Promise<UpRun> {
  await ts.stack.setAllConfig({
    ...env.stackConfig({ hostNames: names }),
    ...devStackSettings(root),
    parallelism: { value: String(names.length) },
    removeContainerRuntime: { value: "true" },
  });
  const rec = new StepRecorder(names);
  const cpu = await cpuBusy();
  const r = await timed(() => ts.stack.up({ onOutput: out, onEvent: rec.onEvent }));
  const busy = await cpu();
  const changes = r.result.summary.resourceChanges ?? {};
  check(r.result.summary.result === "succeeded" && Object.keys(changes).join() === "create", `${names.length}-host up: ${JSON.stringify(changes)}`);
  check(JSON.stringify(r.result.outputs.workersByStatus?.value) === JSON.stringify({ active: names.length }), `${names.length}-host up: all workers active`);
  check(rec.steps.length === names.length * Object.keys(STEP_KINDS).length, `${names.length}-host up: timed ${rec.steps.length} worker steps`);
  return { size: names.length, ms: r.ms, created: changes.create!, cpuBusyPct: busy, steps: rec.steps };
}

async function destroy(env: FleetEnv, ts: TestStack, expected: number): Promise<number> {
  env.devnet.advanceEpoch(1); // past the stakes' lock, so destroy can withdraw them
  const r = await timed(() => ts.stack.destroy({ onOutput: out }));
  const changes = r.result.summary.resourceChanges ?? {};
  check(r.result.summary.result === "succeeded" && changes.delete === expected, `destroy: ${JSON.stringify(changes)}, expected ${expected} deletes`);
  return r.ms;
}

async function repeat(env: FleetEnv, ts: TestStack, n: number): Promise<Repeat> {
  const names = (k: number) => env.hosts.hosts.slice(0, k).map((h) => h.name);
  const ups: UpRun[] = [];
  const previewMs: number[] = [];
  let destroyBigMs = 0;
  for (const size of SIZES) {
    const u = await up(env, ts, names(size));
    ups.push(u);
    console.log(`  [${n}] up ${size} host(s): ${(u.ms / 1000).toFixed(1)} s, ${u.created} resources, machine CPU ${u.cpuBusyPct.toFixed(0)} % busy`);
    if (size === BIG) {
      for (let i = 0; i < PREVIEWS; i++) {
        const p = await timed(() => ts.stack.preview());
        const c = p.result.changeSummary;
        check(Object.keys(c).join() === "same", `no-op preview of ${size} hosts planned changes: ${JSON.stringify(c)}`);
        previewMs.push(p.ms);
      }
      console.log(`  [${n}] no-op previews of ${size} hosts: ${previewMs.map((ms) => (ms / 1000).toFixed(1)).join(", ")} s`);
    }
    const d = await destroy(env, ts, u.created);
    if (size === BIG) destroyBigMs = d;
    console.log(`  [${n}] destroy ${size} host(s): ${(d / 1000).toFixed(1)} s`);
  }
  return { ups, previewMs, destroyBigMs };
}

/** Median per-host duration of each step, and of each kind of work, for one host count. */
function stepMedians(runs: UpRun[]): { byStep: Record<string, number>; byKind: Record<StepKind, number> } {
  const byStep: Record<string, number> = {};
  const byKind = { chain: 0, "ssh-upload": 0, install: 0, start: 0, wait: 0 } as Record<StepKind, number>;
  for (const step of Object.keys(STEP_KINDS)) {
    const xs = runs.flatMap((r) => r.steps.filter((s) => s.step === step).map((s) => s.ms / 1000));
    byStep[step] = spread(xs).median;
    byKind[STEP_KINDS[step]!] += byStep[step]!;
  }
  return { byStep, byKind };
}

async function main() {
  check(!existsSync(stackFile), `${stackFile} already exists (another bench run, or a leftover): remove it first`);
  const log = process.env.BENCH_VERBOSE ? (m: string) => console.error(`[env] ${m}`) : undefined;
  const envStart = performance.now();
  const env = await startFleetEnv({ count: BIG, namePrefix: "scale", subnet: "10.96.8.0/24", log });
  console.log(`provisioning scale: sizes ${SIZES.join(", ")}, ${REPEATS} repeats; ${BIG} nspawn hosts + devnet + control plane ready in ${((performance.now() - envStart) / 1000).toFixed(1)} s`);
  let ts: TestStack | undefined;
  const repeats: Repeat[] = [];
  try {
    ts = await createTestStack(root, env.stackConfig({ hostNames: [env.hosts.hosts[0]!.name] }), STACK, stackFile);
    await ts.stack.preview(); // warm-up: plugin start, bundles; not counted
    for (let i = 1; i <= REPEATS; i++) repeats.push(await repeat(env, ts, i));
  } finally {
    try {
      await ts?.dispose();
    } finally {
      await env.stop();
    }
  }
  report(repeats);
}

function report(repeats: Repeat[]): void {
  const upOf = (r: Repeat, size: number) => r.ups.find((u) => u.size === size)!;
  const base = SIZES[0]!;
  const figures: Record<string, unknown> = { sizes: SIZES, repeats: REPEATS };
  const wall: Record<number, Spread> = {};
  const ratio: Record<number, Spread> = {};
  console.log("\n--- pulumi up wall time (median over repeats, spread)");
  for (const size of SIZES) {
    wall[size] = spread(repeats.map((r) => upOf(r, size).ms / 1000));
    ratio[size] = spread(repeats.map((r) => upOf(r, size).ms / upOf(r, base).ms));
    const cpu = spread(repeats.map((r) => upOf(r, size).cpuBusyPct));
    console.log(`${String(size).padStart(2)} host(s): ${fmtSpread(wall[size]!, "s")}; ratio to ${base}: ${fmtSpread(ratio[size]!, "x", 2)}; machine CPU busy ${cpu.median.toFixed(0)} %`);
    figures[`up${size}`] = { wallSeconds: wall[size], ratioTo1: ratio[size], cpuBusyPct: cpu };
  }
  const preview = spread(repeats.flatMap((r) => r.previewMs.map((ms) => ms / 1000)));
  const destroyBig = spread(repeats.map((r) => r.destroyBigMs / 1000));
  console.log(`no-op preview, ${BIG} hosts: ${fmtSpread(preview, "s")}`);
  console.log(`destroy, ${BIG} hosts: ${fmtSpread(destroyBig, "s")}`);
  figures[`previewNoop${BIG}`] = { seconds: preview };
  figures[`destroy${BIG}`] = { seconds: destroyBig };

  console.log(`\n--- where the time goes: median seconds per host of each step, ${base} vs ${BIG} host(s)`);
  const small = stepMedians(repeats.map((r) => upOf(r, base)));
  const big = stepMedians(repeats.map((r) => upOf(r, BIG)));
  for (const step of Object.keys(STEP_KINDS)) {
    const a = small.byStep[step]!, b = big.byStep[step]!;
    console.log(`${step.padEnd(18)} ${STEP_KINDS[step]!.padEnd(10)} ${a.toFixed(2).padStart(6)} s -> ${b.toFixed(2).padStart(6)} s  (${(b / a).toFixed(2)}x)`);
  }
  console.log("by kind (sum of its steps' medians; steps of one host overlap, so these add up to more than the wall time):");
  for (const kind of Object.keys(small.byKind) as StepKind[]) {
    console.log(`  ${kind.padEnd(10)} ${small.byKind[kind].toFixed(2).padStart(6)} s -> ${big.byKind[kind].toFixed(2).padStart(6)} s  (+${(big.byKind[kind] - small.byKind[kind]).toFixed(2)} s)`);
  }
  figures.stepsSeconds = { [`hosts${base}`]: small, [`hosts${BIG}`]: big };

  const targets = [
    target(`up ${BIG} hosts / up ${base} host`, ratio[BIG]!.median, "x", "<=", 1.3),
    target(`no-op preview, ${BIG} hosts`, preview.median, "s", "<", 15),
  ];
  console.log("");
  printTargets(targets);
  printJsonLine("provision-scale", figures, targets);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
