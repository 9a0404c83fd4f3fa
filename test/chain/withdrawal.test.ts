// Withdrawal with a cool-down, and the in-place stake transfer, through src/sui against a devnet
// whose pool holds a requested withdrawal for 1 epoch: the request, a claim refused while it
// cools down (naming the epoch it can run at), the claim after the epoch (balance to the MIST),
// a slash inside the cool-down, a whole-amount slash, and a wallet migration that never frees
// the node id.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ChainError, ChainSession, currentEpoch, findLiveStake, keypairFromSecret, readPool, readSealToken, readStakeRecord, stakeIdForNode,
  SUI_TRANSPORTS,
} from "../../src/sui/index.js";
import { ONE_SUI, balanceOf, fundedWallet, session, startEnv, workerKey, type Env } from "./helpers.js";

for (const transport of SUI_TRANSPORTS) describe(`withdrawal cool-down and stake transfer over ${transport}`, () => {
  let env: Env;
  let admin: ChainSession;
  before(async () => {
    env = await startEnv({ lockEpochs: 1, withdrawalCooldownEpochs: 1, transport });
    admin = new ChainSession(env.client, keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);
  });
  after(async () => {
    await env.devnet.close();
  });

  const record = async (stakeId: string) => (await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))!;
  const pool = () => readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);

  test("the pool holds a requested withdrawal for its cool-down", async () => {
    assert.equal((await pool()).withdrawalCooldownEpochs, 1n);
  });

  test("full withdrawal: requested (the stake is leaving), claim refused while cooling down, claimed after the epoch; the wallet gets the amount to the MIST", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const stake = 5n * ONE_SUI;
    const { stakeId } = await s.stakeForNode({ nodeId: "worker-cool", amountMist: stake });
    env.devnet.advanceEpoch(1); // past the lock
    const epoch = await currentEpoch(env.client);
    const activeBefore = (await pool()).activeStakes;

    const r = await s.requestWithdrawal({ stakeId, amountMist: stake });
    assert.equal(r.amountMist, stake);
    assert.equal(r.claimableAtEpoch, epoch + 1n);
    const leaving = await record(stakeId);
    assert.equal(leaving.status, "leaving");
    assert.equal(leaving.amountMist, stake, "the SUI stays staked until it is claimed");
    assert.equal(leaving.withdrawalRequestedMist, stake);
    assert.equal(leaving.claimableAtEpoch, epoch + 1n);
    assert.equal((await pool()).activeStakes, activeBefore - 1n, "a leaving stake is not active");
    assert.equal(await stakeIdForNode(env.client, env.devnet.ids, "worker-cool"), stakeId, "the node id stays taken until the claim");
    // A leaving stake mints no seal token.
    await assert.rejects(s.mintSealToken({ stakeId, workerPubkey: workerKey() }), /stake for node worker-cool is not active \(it is leaving\); a seal token needs an active stake/);

    await assert.rejects(s.claimWithdrawal(stakeId), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.kind, "MoveAbort");
      assert.equal(e.details.abortCode, 15);
      assert.equal(e.message, `withdrawal of 5 SUI for node worker-cool was requested; it can be claimed from epoch ${epoch + 1n} (current epoch ${epoch})`);
      return true;
    });
    await assert.rejects(s.requestWithdrawal({ stakeId, amountMist: stake }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 6);
      assert.equal(e.message, `stake for node worker-cool is leaving: its full withdrawal of 5 SUI was already requested (claimable from epoch ${epoch + 1n}); ` +
        "claim it (claimWithdrawal) once the cool-down has passed");
      return true;
    });

    env.devnet.advanceEpoch(1);
    await s.flush();
    const before = await balanceOf(env, kp.toSuiAddress());
    const c = await s.claimWithdrawal(stakeId);
    assert.equal(c.amountMist, stake);
    assert.equal(c.withdrawn, true);
    await s.flush();
    assert.equal(await balanceOf(env, kp.toSuiAddress()), before + stake - c.gasUsed.netMist);
    const rec = await record(stakeId);
    assert.equal(rec.status, "withdrawn");
    assert.equal(rec.amountMist, 0n);
    assert.equal(rec.withdrawalRequestedMist, 0n);
    assert.equal(rec.claimableAtEpoch, 0n);
    assert.equal(await findLiveStake(env.client, env.devnet.ids, { nodeId: "worker-cool", staker: kp.toSuiAddress() }), null);
    const p = await pool();
    assert.equal(p.totalStakedMist, p.balanceMist);
  });

  test("partial withdrawal: the stake stays active while cooling down and keeps the rest; a second request waits for the first", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const { stakeId } = await s.stakeForNode({ nodeId: "worker-part", amountMist: 3n * ONE_SUI });
    env.devnet.advanceEpoch(1);
    const epoch = await currentEpoch(env.client);
    await s.requestWithdrawal({ stakeId, amountMist: ONE_SUI });
    const rec = await record(stakeId);
    assert.equal(rec.status, "active");
    assert.equal(rec.withdrawalRequestedMist, ONE_SUI);
    await assert.rejects(s.requestWithdrawal({ stakeId, amountMist: ONE_SUI }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 13);
      assert.equal(e.message, `a withdrawal of 1 SUI from the stake for node worker-part is already pending (claimable from epoch ${epoch + 1n}); ` +
        "claim it (claimWithdrawal) before requesting another");
      return true;
    });
    await assert.rejects(s.claimWithdrawal(stakeId), /withdrawal of 1 SUI for node worker-part was requested; it can be claimed from epoch/);
    env.devnet.advanceEpoch(1);
    await s.flush();
    const before = await balanceOf(env, kp.toSuiAddress());
    const c = await s.claimWithdrawal(stakeId);
    assert.equal(c.amountMist, ONE_SUI);
    assert.equal(c.stakedMist, 2n * ONE_SUI);
    assert.equal(c.withdrawn, false);
    await s.flush();
    assert.equal(await balanceOf(env, kp.toSuiAddress()), before + ONE_SUI - c.gasUsed.netMist);
    const after = await record(stakeId);
    assert.equal(after.status, "active");
    assert.equal(after.amountMist, 2n * ONE_SUI);
    assert.equal(after.withdrawalRequestedMist, 0n);
  });

  test("a slash inside the cool-down takes its amount; the claim pays out only the rest", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const { stakeId } = await s.stakeForNode({ nodeId: "worker-dodge", amountMist: 3n * ONE_SUI });
    env.devnet.advanceEpoch(1);
    const r = await s.requestWithdrawal({ stakeId, amountMist: 3n * ONE_SUI });
    const slashedBefore = (await pool()).slashedMist;
    await admin.slashStake({ stakeId, amountMist: ONE_SUI, reason: "caught leaving" });
    const rec = await record(stakeId);
    assert.equal(rec.status, "slashed");
    assert.equal(rec.amountMist, 2n * ONE_SUI);
    assert.equal(rec.withdrawalRequestedMist, 2n * ONE_SUI, "the request is now for what the slash left");
    assert.equal(rec.claimableAtEpoch, r.claimableAtEpoch, "and claimable when it was");
    assert.equal((await pool()).slashedMist, slashedBefore + ONE_SUI);

    env.devnet.advanceEpoch(1);
    await s.flush();
    const before = await balanceOf(env, kp.toSuiAddress());
    const c = await s.claimWithdrawal(stakeId);
    assert.equal(c.amountMist, 2n * ONE_SUI);
    assert.equal(c.withdrawn, true);
    await s.flush();
    assert.equal(await balanceOf(env, kp.toSuiAddress()), before + 2n * ONE_SUI - c.gasUsed.netMist);
    assert.equal((await record(stakeId)).status, "withdrawn");
    assert.equal(await stakeIdForNode(env.client, env.devnet.ids, "worker-dodge"), null);
  });

  test("a slash of the whole amount frees the node id at once; a slashed stake can only ask for all of what is left", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const { stakeId } = await s.stakeForNode({ nodeId: "worker-gone", amountMist: 2n * ONE_SUI });
    await admin.slashStake({ stakeId, amountMist: 2n * ONE_SUI, reason: "gone" });
    const rec = await record(stakeId);
    assert.equal(rec.status, "slashed");
    assert.equal(rec.amountMist, 0n);
    assert.equal(await stakeIdForNode(env.client, env.devnet.ids, "worker-gone"), null);
    const other = session(env, await fundedWallet(env));
    const again = await other.stakeForNode({ nodeId: "worker-gone", amountMist: ONE_SUI });
    assert.notEqual(again.stakeId, stakeId);

    const { stakeId: partly } = await s.stakeForNode({ nodeId: "worker-partly", amountMist: 3n * ONE_SUI });
    await admin.slashStake({ stakeId: partly, amountMist: ONE_SUI, reason: "missed heartbeats" });
    env.devnet.advanceEpoch(1);
    await assert.rejects(s.requestWithdrawal({ stakeId: partly, amountMist: ONE_SUI }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 12);
      assert.equal(e.message, "the stake for node worker-partly was slashed, so only all of what is left (2 SUI) can be withdrawn, not 1 SUI");
      return true;
    });
    const r = await s.requestWithdrawal({ stakeId: partly, amountMist: 2n * ONE_SUI });
    assert.equal(r.amountMist, 2n * ONE_SUI);
    assert.equal((await record(partly)).status, "slashed", "a slashed stake stays slashed while its remainder cools down");
  });

  test("transferStake: the same record and node id change hands in place; the node id is never free", async () => {
    const alice = await fundedWallet(env);
    const bob = await fundedWallet(env);
    const a = session(env, alice);
    const b = session(env, bob);
    const { stakeId } = await a.stakeForNode({ nodeId: "worker-move", amountMist: 2n * ONE_SUI });
    const { sealTokenId } = await a.mintSealToken({ stakeId, workerPubkey: workerKey() });
    const before = await record(stakeId);

    await assert.rejects(a.transferStake({ stakeId, newStaker: alice.toSuiAddress() }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 16);
      assert.equal(e.message, `the stake for node worker-move is already held by ${alice.toSuiAddress()}: a transfer needs another address`);
      return true;
    });
    await assert.rejects(b.transferStake({ stakeId, newStaker: bob.toSuiAddress() }), new RegExp(`only the staker ${alice.toSuiAddress()} can transfer the stake for node worker-move`));
    await assert.rejects(a.transferStake({ stakeId, newStaker: "not-an-address" }), /not a Sui address/);

    const t = await a.transferStake({ stakeId, newStaker: bob.toSuiAddress() });
    assert.equal(t.staker, bob.toSuiAddress());
    const rec = await record(stakeId);
    assert.equal(rec.id, stakeId, "same record");
    assert.equal(rec.staker, bob.toSuiAddress());
    assert.equal(rec.nodeId, "worker-move");
    assert.equal(rec.amountMist, before.amountMist);
    assert.equal(rec.lockedUntilEpoch, before.lockedUntilEpoch);
    assert.equal(rec.stakedAtEpoch, before.stakedAtEpoch);
    assert.equal(rec.status, "active");
    assert.equal(await stakeIdForNode(env.client, env.devnet.ids, "worker-move"), stakeId);
    assert.equal((await findLiveStake(env.client, env.devnet.ids, { nodeId: "worker-move", staker: bob.toSuiAddress() }))?.id, stakeId);
    assert.equal(await findLiveStake(env.client, env.devnet.ids, { nodeId: "worker-move", staker: alice.toSuiAddress() }), null);
    // Nobody can take the node id: not the old staker, not anyone else.
    await assert.rejects(a.stakeForNode({ nodeId: "worker-move", amountMist: ONE_SUI }), /worker-move already has a live stake/);
    // The old staker's token stays with the old staker, who no longer holds the stake: readers refuse it.
    const oldToken = await readSealToken(env.client, sealTokenId, env.devnet.ids.packageId);
    assert.equal(oldToken?.owner, alice.toSuiAddress());
    assert.notEqual(oldToken?.owner, rec.staker);
    await assert.rejects(a.mintSealToken({ stakeId, workerPubkey: workerKey() }), /only the staker can mint .* node worker-move/);
    const { sealTokenId: newToken } = await b.mintSealToken({ stakeId, workerPubkey: workerKey() });
    assert.equal((await readSealToken(env.client, newToken, env.devnet.ids.packageId))?.owner, bob.toSuiAddress());

    // The old staker cannot withdraw; the new one can, and a pending request blocks a transfer.
    env.devnet.advanceEpoch(1);
    await assert.rejects(a.requestWithdrawal({ stakeId, amountMist: 2n * ONE_SUI }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 4);
      assert.equal(e.message, `only the staker ${bob.toSuiAddress()} can withdraw the stake for node worker-move`);
      return true;
    });
    await b.requestWithdrawal({ stakeId, amountMist: ONE_SUI });
    await assert.rejects(b.transferStake({ stakeId, newStaker: alice.toSuiAddress() }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 13);
      assert.match(e.message, /^a withdrawal of 1 SUI from the stake for node worker-move is already pending \(claimable from epoch \d+\); the stake cannot be transferred until it is claimed$/);
      return true;
    });
    env.devnet.advanceEpoch(1);
    assert.equal((await b.claimWithdrawal(stakeId)).amountMist, ONE_SUI);
    // Claimed: it can change hands again (back to the first wallet).
    await b.transferStake({ stakeId, newStaker: alice.toSuiAddress() });
    assert.equal((await record(stakeId)).staker, alice.toSuiAddress());
  });
});
