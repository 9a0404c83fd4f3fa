// How long until staked hosts are Kubernetes nodes that run pods, and how fast a slash fences one:
//   - `pulumi up` start -> every worker's Node Ready, for 1 host and for 3 hosts (the real engine,
//     this project's program; HostState waits for Ready, and the run checks each Node's Ready
//     condition through the API server after the up);
//   - slash finality (the admin's slash transaction executed) -> the Node unschedulable, and ->
//     the control plane's Node deleted or tainted out of service.
// On three nspawn hosts, the devnet chain and the control-plane stand-in with real Kubernetes
// (startFleetEnv). Prints figures and one JSON line; asserts only that the runs did what is
// measured, never timings.
//
// run: cd /work/main && source scripts/env.sh && npm run build && node --import tsx bench/node-ready.bench.ts
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ChainSession, createSuiClient, keypairFromSecret } from "../src/sui";
import { startFleetEnv } from "../devnet/local-stack/fleet-env";
import { createTestStack, type TestStack } from "../test/support/engine";
import { kubectl, readyCondition } from "../test/support/kubectl";

const root = resolve(__dirname, "..");
const STACK = "benchready";
const stackFile = resolve(root, `stacks/Pulumi.${STACK}.yaml`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench precondition failed: ${what}`);
}

async function main() {
  check(!existsSync(stackFile), `${stackFile} already exists (another bench run, or a leftover): remove it first`);
  const env = await startFleetEnv({ count: 3, namePrefix: "benchr", subnet: "10.94.0.0/24" });
  const k = kubectl(env.hosts.setup.k3sBinary, env.kubernetes.adminKubeconfig);
  const readyNodes = async () => (await k.json<{ items: any[] }>(["get", "nodes"])).items.filter((n) => readyCondition(n)?.status === "True").map((n) => n.metadata.name as string).sort();
  let ts: TestStack | undefined;
  const figures: Record<string, number> = {};
  try {
    ts = await createTestStack(root, env.stackConfig({ hostNames: ["benchr-1"] }), STACK, stackFile);
    const upTo = async (hosts: string[]) => {
      await ts!.stack.setAllConfig(env.stackConfig({ hostNames: hosts }));
      const t = Date.now();
      const up = await ts!.stack.up();
      const ms = Date.now() - t;
      check(up.summary.result === "succeeded", `up ${hosts.join(",")}`);
      check(JSON.stringify(await readyNodes()) === JSON.stringify(hosts), `Ready nodes after up: ${await readyNodes()}`);
      return ms;
    };
    figures.up1ReadyMs = await upTo(["benchr-1"]);
    console.log(`pulumi up, 1 host -> its Node Ready: ${secs(figures.up1ReadyMs)}`);
    env.devnet.advanceEpoch(1);
    check((await ts.stack.destroy()).summary.result === "succeeded", "destroy 1 host");
    figures.up3ReadyMs = await upTo(["benchr-1", "benchr-2", "benchr-3"]);
    console.log(`pulumi up, 3 hosts -> every Node Ready: ${secs(figures.up3ReadyMs)} (${(figures.up3ReadyMs / figures.up1ReadyMs).toFixed(2)}x the 1-host time)`);

    const outputs = await ts.stack.outputs();
    const stakeId = (outputs.workers!.value as Record<string, { stakeId: string }>)["benchr-2"]!.stakeId;
    const admin = new ChainSession(createSuiClient(env.devnet.url), keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);
    await admin.slashStake({ stakeId, amountMist: 1_000_000_000n, reason: "bench: fence" });
    const final = Date.now();
    let unschedulableMs = -1;
    for (;;) {
      const node = await k.json(["get", "node", "benchr-2"]).catch(() => null);
      if (!node || node.spec?.unschedulable === true) {
        unschedulableMs = Date.now() - final;
        break;
      }
      check(Date.now() - final < 60_000, "node unschedulable within 60 s of the slash");
      await new Promise((r) => setTimeout(r, 25));
    }
    figures.slashToUnschedulableMs = unschedulableMs;
    console.log(`slash finality -> Node unschedulable: ${unschedulableMs} ms (polled every 25 ms through kubectl, ~${"100"} ms per poll)`);
    env.devnet.advanceEpoch(1);
    check((await ts.stack.destroy()).summary.result === "succeeded", "destroy 3 hosts");
    check((await k.json<{ items: unknown[] }>(["get", "nodes"])).items.length === 0, "no Node left after destroy");
  } finally {
    try {
      await ts?.dispose();
    } finally {
      await env.stop();
    }
  }
  console.log(JSON.stringify({ bench: "node-ready", ...figures }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
