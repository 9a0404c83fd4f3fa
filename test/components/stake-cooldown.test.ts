// Issue 23 (medium): a stake cannot dodge a slash by withdrawing first. The stake provider
// withdraws through the pool's cool-down (2 epochs here): `destroy` (and a scale-in's delete)
// requests the whole stake out and says from which epoch to run it again, the stake stays
// slashable until it is claimed, and a reduction of the amount cools down the same way.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { stakeProvider, type StakeInputs, type StakeOutputs } from "../../src/components/runtime/stake";
import { ChainSession, currentEpoch, keypairFromSecret, readPool, readStakeRecord, stakeIdForNode } from "../../src/sui";
import { balanceOf, fundedWallet, ONE_SUI, startEnv, type Env } from "../chain/helpers";

let env: Env;
let wallet: Ed25519Keypair;

before(async () => {
  env = await startEnv({ lockEpochs: 1, withdrawalCooldownEpochs: 2 });
  wallet = await fundedWallet(env);
});
after(async () => env?.devnet.close());

function inputs(nodeId: string, amountMist = 2n * ONE_SUI): StakeInputs {
  const { packageId, poolId, registryId } = env.devnet.ids;
  return { rpcUrl: env.devnet.url, transport: "grpc", packageId, poolId, registryId, walletKey: wallet.getSecretKey(), nodeId, amountMist: amountMist.toString() };
}
const record = (id: string) => readStakeRecord(env.client, id, env.devnet.ids.packageId);
const admin = () => new ChainSession(env.client, keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);

test("destroy through the cool-down: requested, refused until claimable (naming the epoch), a slash inside it still lands, then the rest is claimed", async () => {
  const { id, outs } = await stakeProvider.create(inputs("worker-cooldown"));
  env.devnet.advanceEpoch(1); // past the lock
  const requestedAt = await currentEpoch(env.client);
  const claimable = requestedAt + 2n;
  const pendingRe = new RegExp(
    `withdrawal of 2 SUI for node worker-cooldown was requested; it can be claimed from epoch ${claimable} \\(current epoch ${requestedAt}\\); ` +
      "run `pulumi destroy` \\(or `pulumi up` for a scale-in\\) again from that epoch to claim it \\(the worker is torn down; the stake stays slashable until then\\)$",
  );
  await assert.rejects(stakeProvider.delete(id, outs), pendingRe);
  let rec = await record(id);
  assert.equal(rec?.status, "leaving", "the node no longer serves");
  assert.equal(rec?.withdrawalRequestedMist, 2n * ONE_SUI);
  assert.equal(rec?.claimableAtEpoch, claimable);
  assert.equal(await stakeIdForNode(env.client, env.devnet.ids, "worker-cooldown"), id, "the node id stays taken until the claim");
  // Run again too early: the same answer, no second request.
  env.devnet.advanceEpoch(1);
  await assert.rejects(stakeProvider.delete(id, outs), /it can be claimed from epoch \d+ \(current epoch \d+\)/);
  assert.equal((await record(id))?.claimableAtEpoch, claimable, "the cool-down did not restart");

  // The slash the staker hoped to dodge lands inside the cool-down.
  await admin().slashStake({ stakeId: id, amountMist: ONE_SUI / 2n, reason: "test: misbehaviour seen before the withdrawal" });
  rec = await record(id);
  assert.equal(rec?.status, "slashed");
  assert.equal(rec?.amountMist, 3n * ONE_SUI / 2n);
  assert.equal(rec?.withdrawalRequestedMist, 3n * ONE_SUI / 2n, "the request now covers what the slash left");

  env.devnet.advanceEpoch(1);
  const before = await balanceOf(env, wallet.toSuiAddress());
  await stakeProvider.delete(id, outs);
  rec = await record(id);
  assert.equal(rec?.status, "withdrawn");
  assert.equal(rec?.amountMist, 0n);
  const back = (await balanceOf(env, wallet.toSuiAddress())) - before;
  assert.ok(back > ONE_SUI && back <= 3n * ONE_SUI / 2n, `the remainder (1.5 SUI, less gas) came back, not the slashed part (got ${back})`);
  assert.equal(await stakeIdForNode(env.client, env.devnet.ids, "worker-cooldown"), null, "the node id is free once claimed");
  await stakeProvider.delete(id, outs); // idempotent
});

test("a reduction cools down too: the first up requests it, later ups wait (the outputs say until when), the first up after it claims", async () => {
  const created = await stakeProvider.create(inputs("worker-reduce", 3n * ONE_SUI));
  env.devnet.advanceEpoch(1);
  const epoch = await currentEpoch(env.client);
  const want = inputs("worker-reduce", 2n * ONE_SUI);
  const first = await stakeProvider.update(created.id, created.outs, want);
  assert.equal(first.outs.stakedMist, (3n * ONE_SUI).toString(), "still staked, and slashable, while it cools down");
  assert.equal(first.outs.withdrawalRequestedMist, ONE_SUI.toString());
  assert.equal(first.outs.claimableAtEpoch, (epoch + 2n).toString());
  assert.equal((await record(created.id))?.status, "active", "a partial request keeps the node serving");
  assert.equal((await stakeProvider.diff(created.id, first.outs, want)).changes, true, "each up shows it until it is claimed");

  const waiting = await stakeProvider.update(created.id, first.outs, want);
  assert.deepEqual(waiting.outs, first.outs, "too early: nothing changes");
  // A top-up asked for meanwhile waits for the claim as well (one request at a time, none cancelled).
  assert.equal((await stakeProvider.update(created.id, first.outs, inputs("worker-reduce", 4n * ONE_SUI))).outs.stakedMist, (3n * ONE_SUI).toString());

  env.devnet.advanceEpoch(2);
  const poolBefore = await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);
  const done = await stakeProvider.update(created.id, first.outs, want);
  assert.equal(done.outs.stakedMist, (2n * ONE_SUI).toString());
  assert.equal(done.outs.withdrawalRequestedMist, "0");
  assert.equal(((await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId)).balanceMist), poolBefore.balanceMist - ONE_SUI);
  assert.equal((await stakeProvider.diff(created.id, done.outs as StakeOutputs, want)).changes, false, "converged");
});
