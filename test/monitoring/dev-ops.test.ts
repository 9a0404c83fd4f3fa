// `npm run dev:slash` and `npm run dev:advance-epoch` (devnet/local-stack/ops.ts), the commands
// the README's monitoring walk-through uses on the `npm run dev` stack, run as the npm scripts run
// them against a devnet of the test's own (a local-stack state file naming it, as
// devnet/local-stack/main.ts writes one): the slash reaches the chain with the admin key and
// prints the digest and the stake's new status; the epochs advance by the count given.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { LocalStackState } from "../../devnet/local-stack/main";
import { parseSui } from "../../devnet/local-stack/ops";
import { createSuiClient, currentEpoch, readStakeRecord } from "../../src/sui";
import { ONE_SUI, stakeNode, startChain, type Chain, type Node } from "../agent/helpers";

const ROOT = resolve(__dirname, "../..");
const OPS = join(ROOT, "devnet", "local-stack", "ops.ts");
let chain: Chain, node: Node, dir: string, stateFile: string;

const ops = async (...args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, ["--import", "tsx", OPS, ...args], { cwd: ROOT, env: { ...process.env, K3S_DAAS_LOCAL_STACK_STATE: stateFile } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: e.stdout ?? "", err: e.stderr ?? "" };
  }
};

before(async () => {
  chain = await startChain();
  node = await stakeNode(chain, "dev-2");
  dir = mkdtempSync(join(tmpdir(), "dev-ops-"));
  stateFile = join(dir, "local-stack.json");
  const c = chain as Chain & { ids: { adminCapId: string } };
  const s: Partial<LocalStackState> = {
    pid: process.pid, rpcUrl: chain.url, packageId: c.ids.packageId, poolId: c.ids.poolId, registryId: c.ids.registryId,
    adminSecretKey: chain.adminSecretKey, adminCapId: c.ids.adminCapId, kubeconfig: "devnet/.state/kubeconfig",
    hosts: [{ name: "dev-1", address: "10.99.0.2" }, { name: "dev-2", address: "10.99.0.3" }],
  };
  writeFileSync(stateFile, JSON.stringify(s), { mode: 0o600 });
});

after(async () => {
  await chain?.close();
  node?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("SUI amounts parse exactly", () => {
  assert.equal(parseSui("1"), ONE_SUI);
  assert.equal(parseSui("0.5"), ONE_SUI / 2n);
  assert.equal(parseSui("2.000000001"), 2n * ONE_SUI + 1n);
  assert.throws(() => parseSui("1e9"), /decimal/);
  assert.throws(() => parseSui("-1"), /decimal/);
});

test("dev:slash <worker> --amount --reason: slashed on chain with the admin key; prints the digest and the new status", async () => {
  const r = await ops("slash", "dev-2", "--amount", "0.5", "--reason", "test: watching the alert");
  assert.equal(r.code, 0, r.out + r.err);
  const rec = await readStakeRecord(createSuiClient(chain.url), node.stakeId, chain.ids.packageId);
  assert.equal(rec?.status, "slashed");
  assert.equal(rec?.amountMist, 2n * ONE_SUI - ONE_SUI / 2n);
  assert.match(r.out, new RegExp(`slashing worker dev-2: stake ${node.stakeId}, 2 SUI staked; taking 0\\.5 SUI \\("test: watching the alert"\\)`));
  assert.match(r.out, /^transaction [1-9A-HJ-NP-Za-km-z]{32,44} \(gas [\d.]+ SUI\)$/m);
  assert.match(r.out, new RegExp(`^stake ${node.stakeId}: status slashed, 1\\.5 SUI left, locked until epoch \\d+$`, "m"));
  assert.match(r.out, /kubectl --kubeconfig devnet\/.state\/kubeconfig get nodes/);
  // Again: nothing to slash; an unknown worker: named, with the workers there are.
  const again = await ops("slash", "dev-2");
  assert.equal(again.code, 1);
  assert.match(again.err, /the stake of worker dev-2 is slashed, not active: nothing to slash/);
  const unknown = await ops("slash", "dev-9");
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no stake on chain for worker "dev-9" \(workers: dev-1, dev-2\)/);
  const usage = await ops("slash");
  assert.equal(usage.code, 1);
  assert.match(usage.err, /usage: npm run dev:slash -- <worker>/);
});

test("dev:advance-epoch [n]: the devnet moves n epochs, printed from and to", async () => {
  const client = createSuiClient(chain.url);
  const from = await currentEpoch(client);
  const r = await ops("advance-epoch", "3");
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(await currentEpoch(client), from + 3n);
  assert.match(r.out, new RegExp(`^devnet epoch ${from} -> ${from + 3n} \\(3 advanced\\)$`, "m"));
  const one = await ops("advance-epoch");
  assert.equal(one.code, 0, one.out + one.err);
  assert.equal(await currentEpoch(client), from + 4n);
  assert.equal((await ops("advance-epoch", "x")).code, 1);
});
