// The Stake resource through the real engine (Automation API, the project's CLI, a throwaway
// backend) against the devnet: a new amount is an in-place update that leaves the seal token
// alone, a reduction inside the lock fails naming the epoch and changes nothing, and a new node
// id is a replacement that stakes anew before withdrawing the old stake.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { readSealToken, readStakeRecord } from "../../src/sui";
import { fundedWallet, startEnv, workerKey, ONE_SUI, type Env } from "../chain/helpers";
import { createTestStack, type TestStack } from "../support/engine";

const programDir = resolve(__dirname, "../fixtures/stake-program");
let env: Env;
let ts: TestStack;

before(async () => {
  env = await startEnv({ lockEpochs: 2 });
  const wallet = await fundedWallet(env);
  const { packageId, poolId, registryId } = env.devnet.ids;
  ts = await createTestStack(programDir, {
    rpcUrl: { value: env.devnet.url }, transport: { value: "grpc" }, packageId: { value: packageId }, poolId: { value: poolId },
    registryId: { value: registryId }, walletKey: { value: wallet.getSecretKey(), secret: true },
    nodeId: { value: "worker-engine" }, amountMist: { value: (2n * ONE_SUI).toString() }, workerPubkey: { value: workerKey() },
  });
});
after(async () => {
  await ts?.dispose();
  await env?.devnet.close();
});

const setAmount = (sui: bigint) => ts.stack.setConfig("amountMist", { value: (sui * ONE_SUI).toString() });
/** Each resource's step ops in the order the engine ran them, e.g. ["create-replacement", ...]. */
function ops(events: EngineEvent[]): { urn: string; op: string }[] {
  return events.flatMap((e) => (e.resOutputsEvent ? [{ urn: e.resOutputsEvent.metadata.urn, op: e.resOutputsEvent.metadata.op }] : []));
}
const isStake = (urn: string) => urn.endsWith("k3s-daas:Stake::stake");
const isToken = (urn: string) => urn.endsWith("k3s-daas:SealToken::seal-token");

let stakeId: string;
let sealTokenId: string;

test("up stakes 2 SUI and mints a seal token from it", async () => {
  const up = await ts.stack.up();
  assert.equal(up.summary.result, "succeeded");
  stakeId = up.outputs.stakeId!.value as string;
  sealTokenId = up.outputs.sealTokenId!.value as string;
  assert.equal((await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))?.amountMist, 2n * ONE_SUI);
});

test("2 -> 3 SUI: preview plans an update of the stake alone; up tops it up, same stake, same token", async () => {
  await setAmount(3n);
  const preview = await ts.stack.preview();
  assert.deepEqual(preview.changeSummary, { update: 1, same: 2 }, "the stake updates; the stack and the seal token stay");
  const events: EngineEvent[] = [];
  const up = await ts.stack.up({ onEvent: (e) => events.push(e) });
  assert.deepEqual(up.summary.resourceChanges, { update: 1, same: 2 });
  assert.equal(up.outputs.stakeId!.value, stakeId);
  assert.equal(up.outputs.stakedMist!.value, (3n * ONE_SUI).toString());
  assert.equal(up.outputs.sealTokenId!.value, sealTokenId);
  assert.equal((await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))?.amountMist, 3n * ONE_SUI);
  assert.ok(await readSealToken(env.client, sealTokenId, env.devnet.ids.packageId), "the seal token was not revoked");
  assert.deepEqual(ops(events).filter((o) => isStake(o.urn)).map((o) => o.op), ["update"]);
});

test("3 -> 2 SUI inside the lock: up fails naming the epoch it can run at; nothing changes", async () => {
  await setAmount(2n);
  const rec = (await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))!;
  await assert.rejects(ts.stack.up(), (e: Error) => {
    assert.match(e.message, new RegExp(`stake for node worker-engine is locked until epoch ${rec.lockedUntilEpoch} \\(current epoch \\d+\\); the reduction can run at epoch ${rec.lockedUntilEpoch}`));
    return true;
  });
  assert.equal((await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))?.amountMist, 3n * ONE_SUI);
  assert.ok(await readSealToken(env.client, sealTokenId, env.devnet.ids.packageId));
  const outputs = await ts.stack.outputs();
  assert.equal(outputs.stakedMist!.value, (3n * ONE_SUI).toString(), "the state still holds what the chain holds");
});

test("after the lock the same up reduces the stake in place", async () => {
  env.devnet.advanceEpoch(2);
  const up = await ts.stack.up();
  assert.deepEqual(up.summary.resourceChanges, { update: 1, same: 2 });
  assert.equal(up.outputs.stakeId!.value, stakeId);
  assert.equal(up.outputs.stakedMist!.value, (2n * ONE_SUI).toString());
  assert.equal((await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))?.amountMist, 2n * ONE_SUI);
  assert.ok(await readSealToken(env.client, sealTokenId, env.devnet.ids.packageId));
});

test("refresh reads the on-chain amount", async () => {
  const refresh = await ts.stack.refresh();
  assert.equal(refresh.summary.result, "succeeded");
  assert.equal((await ts.stack.outputs()).stakedMist!.value, (2n * ONE_SUI).toString());
});

test("a new node id replaces the stake: the new one is staked before the old one is withdrawn", async () => {
  await ts.stack.setConfig("nodeId", { value: "worker-engine-2" });
  const events: EngineEvent[] = [];
  const up = await ts.stack.up({ onEvent: (e) => events.push(e) });
  assert.equal(up.summary.result, "succeeded");
  const newStakeId = up.outputs.stakeId!.value as string;
  assert.notEqual(newStakeId, stakeId);
  const stakeOps = ops(events).filter((o) => isStake(o.urn)).map((o) => o.op);
  assert.ok(stakeOps.indexOf("create-replacement") >= 0 && stakeOps.indexOf("create-replacement") < stakeOps.indexOf("delete-replaced"),
    `create before delete: ${stakeOps.join(", ")}`);
  assert.equal((await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))?.status, "withdrawn");
  const rec = await readStakeRecord(env.client, newStakeId, env.devnet.ids.packageId);
  assert.equal(rec?.nodeId, "worker-engine-2");
  assert.equal(rec?.status, "active");
  assert.ok(ops(events).some((o) => isToken(o.urn)), "the token follows its stake");
});

test("destroy withdraws the stake and revokes the token", async () => {
  const outputs = await ts.stack.outputs();
  env.devnet.advanceEpoch(2);
  await ts.stack.destroy();
  assert.equal((await readStakeRecord(env.client, outputs.stakeId!.value as string, env.devnet.ids.packageId))?.status, "withdrawn");
  assert.equal(await readSealToken(env.client, outputs.sealTokenId!.value as string, env.devnet.ids.packageId), null);
});
