// Slash reaction: over 10 trials, the time from a slash transaction's finality on the devnet to
// the k3s agent (stand-in) stopped on a real test host. Target: at most 3 s (median and max).
//
// One real `pulumi up` (dev stack settings, parallelism = trials) provisions one worker per trial
// on its own nspawn host, so every trial starts from a freshly provisioned, registered worker
// with an active stake. Trials run one after another: check the worker is active and k3s-agent
// runs, slash its stake as the pool admin, then wait for the unit to stop.
// - finality: when the devnet answered the slash's execute call with effects (the devnet
//   executes and checkpoints at once, so the answer is finality as a client sees it); the submit
//   round trip is printed too.
// - stopped: systemd's own InactiveEnterTimestamp of k3s-agent.service on the host, in
//   microseconds; nspawn hosts share this machine's clock, so no polling delay is counted.
// The agent's checkpoint stream pushes the change (agent/src/chain-watch.ts); the figure is the
// push, one batched read, the confirming stake read, and stopping the unit.
// Destroy at the end withdraws what is left of the stakes and leaves the hosts clean.
//
// Real: the agent, systemd, the engine and program that provisioned it, SSH. Stand-ins: the
// devnet chain, the control plane, the k3s binary (it exits on SIGTERM like k3s does).
//
// run: source scripts/env.sh && npm run build && node --import tsx bench/slash-reaction.bench.ts [--trials 10]
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { startFleetEnv, type FleetEnv } from "../devnet/local-stack/fleet-env";
import { createTestStack, type TestStack } from "../test/support/engine";
import { sshRun } from "../test/support/ssh";
import { ChainSession, createSuiClient, keypairFromSecret } from "../src/sui";
import { numberArg, check, fmtSpread, printJsonLine, printTargets, spread, target } from "./lib/report";
import { devStackSettings } from "./lib/dev-stack";

const root = resolve(__dirname, "..");
const STACK = "slash";
const stackFile = resolve(root, `stacks/Pulumi.${STACK}.yaml`);
const TRIALS = numberArg("trials", 10);
const ONE_SUI = 1_000_000_000n;
const out = process.env.BENCH_VERBOSE ? (s: string) => process.stderr.write(s) : undefined;

type Host = FleetEnv["hosts"]["hosts"][number];
type WorkerOut = { stakeId: string; stakeStatus: string };

/** When k3s-agent.service last became inactive, in ms since the epoch (systemd's clock = ours). */
async function k3sStoppedAt(host: Host): Promise<number | null> {
  const r = await sshRun(host, "systemctl show k3s-agent.service -p ActiveState -p InactiveEnterTimestamp --timestamp=us+utc");
  const props = Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  if (props.ActiveState === "active" || props.ActiveState === "deactivating") return null;
  // e.g. "Wed 2026-11-25 07:01:02.123456 UTC"
  const m = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.(\d{6}) UTC/.exec(props.InactiveEnterTimestamp ?? "");
  check(m !== null, `${host.name}: unexpected InactiveEnterTimestamp ${JSON.stringify(props.InactiveEnterTimestamp)}`);
  return Date.parse(`${m[1]}T${m[2]}Z`) + Number(m[3]) / 1000;
}

interface Trial {
  host: string;
  submitMs: number;
  reactionMs: number;
}

async function trial(admin: ChainSession, host: Host, stakeId: string): Promise<Trial> {
  const health = (await (await fetch(`http://${host.ip}:9443/health`)).json()) as { registered: boolean; stake_status: string };
  check(health.registered && health.stake_status === "active", `${host.name}: not registered and active before the slash: ${JSON.stringify(health)}`);
  check((await sshRun(host, "systemctl is-active k3s-agent")).stdout.trim() === "active", `${host.name}: k3s-agent not active before the slash`);

  const submitted = Date.now();
  await admin.slashStake({ stakeId, amountMist: ONE_SUI, reason: "bench: slash reaction" });
  const final = Date.now();

  let stoppedAt: number | null = null;
  const deadline = final + 30_000; // a guard against hanging, not the target
  while (stoppedAt === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    stoppedAt = await k3sStoppedAt(host);
  }
  check(stoppedAt !== null, `${host.name}: k3s-agent still running 30 s after the slash`);
  return { host: host.name, submitMs: final - submitted, reactionMs: stoppedAt - final };
}

async function main() {
  check(!existsSync(stackFile), `${stackFile} already exists (another bench run, or a leftover): remove it first`);
  const env = await startFleetEnv({ count: TRIALS, namePrefix: "slash", subnet: "10.96.9.0/24" });
  console.log(`slash reaction: ${TRIALS} trials, one freshly provisioned worker per trial on its own nspawn host`);
  console.log("real: agent, systemd, provisioning; stand-ins: devnet chain, control plane, k3s binary\n");
  let ts: TestStack | undefined;
  const trials: Trial[] = [];
  try {
    const names = env.hosts.hosts.map((h) => h.name);
    ts = await createTestStack(root, { ...env.stackConfig({ hostNames: names }), ...devStackSettings(root), parallelism: { value: String(TRIALS) } }, STACK, stackFile);
    const up = await ts.stack.up({ onOutput: out });
    check(up.summary.result === "succeeded", "up succeeded");
    const workers = up.outputs.workers!.value as Record<string, WorkerOut>;
    const admin = new ChainSession(createSuiClient(env.devnet.url), keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);
    for (const host of env.hosts.hosts) {
      const t = await trial(admin, host, workers[host.name]!.stakeId);
      trials.push(t);
      console.log(`  ${t.host}: k3s-agent stopped ${(t.reactionMs / 1000).toFixed(3)} s after finality (slash submit round trip ${t.submitMs} ms)`);
    }
    env.devnet.advanceEpoch(1);
    const down = await ts.stack.destroy({ onOutput: out });
    check(down.summary.result === "succeeded", "destroy succeeded");
  } finally {
    try {
      await ts?.dispose();
    } finally {
      await env.stop();
    }
  }

  const reaction = spread(trials.map((t) => t.reactionMs / 1000));
  const submit = spread(trials.map((t) => t.submitMs));
  console.log(`\nfinality -> k3s agent stopped: ${fmtSpread(reaction, "s", 3)}`);
  console.log(`slash submit -> finality (client round trip): ${fmtSpread(submit, "ms", 0)}`);
  const targets = [
    target("slash reaction, median", reaction.median, "s", "<=", 3),
    target("slash reaction, max", reaction.max, "s", "<=", 3),
  ];
  printTargets(targets);
  printJsonLine("slash-reaction", { trials: TRIALS, reactionSeconds: reaction, submitMs: submit, perTrialSeconds: trials.map((t) => t.reactionMs / 1000) }, targets);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
