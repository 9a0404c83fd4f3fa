// Wall time of a real `pulumi up` (Automation API `stack.up()`, the real engine, this project's
// program at the repo root) for a fleet of 1 host and of 3 hosts, in one run, on three nspawn
// hosts, the devnet chain and the control-plane stand-in (startFleetEnv). Also the destroy times.
//
// Order: preview (warm-up, not counted) -> up 1 host -> destroy -> up 3 hosts -> destroy. Both ups
// are full installs: the stack config sets removeContainerRuntime so destroy also purges
// containerd, the run checks that destroy left bench-1 clean (files and package), and each up's
// resource changes must be creates only (no "same"), 3 hosts = 1 host + 2 x the per-host count.
// The devnet epoch is advanced by 1 before each destroy so the stakes are past their lock.
// Prints figures; asserts only that the runs did what is measured, never timings.
//
// run: cd /work/main && source scripts/env.sh && npm run build && node --import tsx bench/e2e-up.bench.ts
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { startFleetEnv, type FleetEnv } from "../devnet/local-stack/fleet-env";
import { createTestStack, type TestStack } from "../test/support/engine";
import { sshRun } from "../test/support/ssh";

const root = resolve(__dirname, "..");
const STACK = "bench";
const stackFile = resolve(root, `stacks/Pulumi.${STACK}.yaml`);

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench precondition failed: ${what}`);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; r: T }> {
  const t = Date.now();
  const r = await fn();
  return { ms: Date.now() - t, r };
}

/** Leftovers of a provisioned worker on a host: our files, k3s, and the container runtime package. */
async function leftovers(env: FleetEnv, name: string): Promise<string[]> {
  const h = env.hosts.hosts.find((x) => x.name === name)!;
  const r = await sshRun(
    h,
    "ls -d /usr/local/bin/k3s /usr/local/bin/k3s-agent-uninstall.sh /etc/systemd/system/k3s-agent.service* /etc/systemd/system/k3s-daas-agent.service /opt/k3s-daas /etc/k3s-daas /var/lib/k3s-daas 2>/dev/null; " +
      "dpkg-query -W -f='${Status}' containerd 2>/dev/null | grep -q 'install ok installed' && echo pkg:containerd; true",
  );
  return r.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
}

async function main() {
  check(!existsSync(stackFile), `${stackFile} already exists (another bench run, or a leftover): remove it first`);
  const log = process.env.BENCH_VERBOSE ? (m: string) => console.error(`[env] ${m}`) : undefined;
  const envStart = Date.now();
  const env = await startFleetEnv({ count: 3, namePrefix: "bench", subnet: "10.96.0.0/24", log });
  console.log(`environment: 3 hosts + devnet + control plane ready in ${secs(Date.now() - envStart)}`);
  const out = process.env.BENCH_VERBOSE ? (s: string) => process.stderr.write(s) : undefined;
  const config = (hostNames: string[]) => ({ ...env.stackConfig({ hostNames }), removeContainerRuntime: { value: "true" } });
  let ts: TestStack | undefined;
  try {
    ts = await createTestStack(root, config(["bench-1"]), STACK, stackFile);
    const stack = ts.stack;

    const warm = await timed(() => stack.preview());
    console.log(`preview (1 host, warm-up, not counted): ${secs(warm.ms)}`);

    // 1 host
    const up1 = await timed(() => stack.up({ onOutput: out }));
    const c1 = up1.r.summary.resourceChanges ?? {};
    check(up1.r.summary.result === "succeeded" && Object.keys(c1).join() === "create", `1-host up: ${JSON.stringify(c1)}`);
    const n1 = c1.create!;
    console.log(`pulumi up, 1 host:  ${secs(up1.ms)} (${n1} resources created)`);
    check(JSON.stringify(up1.r.outputs.workersByStatus?.value) === JSON.stringify({ active: 1 }), "1-host up: one active worker");
    env.devnet.advanceEpoch(1);
    const down1 = await timed(() => stack.destroy({ onOutput: out }));
    const d1 = down1.r.summary.resourceChanges ?? {};
    check(down1.r.summary.result === "succeeded" && Object.keys(d1).join() === "delete" && d1.delete === n1, `1-host destroy: ${JSON.stringify(d1)}`);
    console.log(`pulumi destroy, 1 host:  ${secs(down1.ms)}`);
    const left = await leftovers(env, "bench-1");
    check(left.length === 0, `bench-1 not clean after destroy: ${left.join(", ")}`);

    // 3 hosts (bench-1 again, from a clean host)
    await stack.setAllConfig(config(["bench-1", "bench-2", "bench-3"]));
    const up3 = await timed(() => stack.up({ onOutput: out }));
    const c3 = up3.r.summary.resourceChanges ?? {};
    check(up3.r.summary.result === "succeeded" && Object.keys(c3).join() === "create", `3-host up: ${JSON.stringify(c3)}`);
    const n3 = c3.create!;
    console.log(`pulumi up, 3 hosts: ${secs(up3.ms)} (${n3} resources created)`);
    check(JSON.stringify(up3.r.outputs.workersByStatus?.value) === JSON.stringify({ active: 3 }), "3-host up: three active workers");
    // Per host: resources whose URN names that host's worker. All three must match (bench-1 too).
    const state = await stack.exportStack();
    const urns: string[] = state.deployment.resources.map((r: { urn: string }) => r.urn);
    const perHost = ["bench-1", "bench-2", "bench-3"].map((h) => urns.filter((u) => u.endsWith(`::${h}`) || u.includes(`::${h}-`)).length);
    check(perHost.every((n) => n === perHost[0]) && n3 - n1 === 2 * perHost[0]!, `per-host resources ${perHost.join("/")}, 1 host ${n1}, 3 hosts ${n3}`);
    env.devnet.advanceEpoch(1);
    const down3 = await timed(() => stack.destroy({ onOutput: out }));
    const d3 = down3.r.summary.resourceChanges ?? {};
    check(down3.r.summary.result === "succeeded" && d3.delete === n3, `3-host destroy: ${JSON.stringify(d3)}`);
    console.log(`pulumi destroy, 3 hosts: ${secs(down3.ms)}`);

    console.log("--- summary");
    console.log(`resources: 1 host ${n1} created, 3 hosts ${n3} created (${perHost[0]} per host; all creates, bench-1 clean before its second install)`);
    console.log(`pulumi up, 1 host:  ${secs(up1.ms)}`);
    console.log(`pulumi up, 3 hosts: ${secs(up3.ms)}`);
    console.log(`ratio: 3 hosts take ${(up3.ms / up1.ms).toFixed(2)}x the wall time of 1 host; ` +
      `per host ${secs(up3.ms / 3)} at 3 hosts vs ${secs(up1.ms)} at 1 (${(up3.ms / 3 / up1.ms).toFixed(2)}x); ` +
      `each added host costs ${secs((up3.ms - up1.ms) / 2)}`);
    console.log(`pulumi destroy, 1 host:  ${secs(down1.ms)}`);
    console.log(`pulumi destroy, 3 hosts: ${secs(down3.ms)} (${(down3.ms / down1.ms).toFixed(2)}x)`);
  } finally {
    try {
      await ts?.dispose();
    } finally {
      await env.stop();
    }
  }
  check(!existsSync(stackFile), `${stackFile} left behind`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
