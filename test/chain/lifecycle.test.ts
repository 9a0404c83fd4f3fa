// The stake lifecycle through src/sui against the devnet: stake, duplicate stake, seal token,
// slash, withdrawal (request, then claim) before/after the lock (balance to the MIST), revoke,
// crash adoption. The devnet's default cool-down is 0 epochs, so a request can be claimed at once
// here; test/chain/withdrawal.test.ts runs with a cool-down.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import {
  ChainError, ChainSession, findLiveStake, keypairFromSecret, readPool, readRegistry, readSealToken,
  readStakeRecord, currentEpoch, SUI_TRANSPORTS,
} from "../../src/sui/index.js";
import { ONE_SUI, balanceOf, fundedWallet, session, startEnv, workerKey, type Env } from "./helpers.js";

for (const transport of SUI_TRANSPORTS) describe(`stake lifecycle over ${transport}`, () => {
  let env: Env;
  before(async () => {
    env = await startEnv({ lockEpochs: 2, transport });
  });
  after(async () => {
    await env.devnet.close();
  });

  test("faucet funds a wallet", async () => {
    const kp = Ed25519Keypair.generate();
    assert.equal(await balanceOf(env, kp.toSuiAddress()), 0n);
    await env.devnet.faucet(kp.toSuiAddress(), 7n * ONE_SUI);
    assert.equal(await balanceOf(env, kp.toSuiAddress()), 7n * ONE_SUI);
  });

  test("stake, read back, duplicate stake aborts with a clear error", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const { stakeId } = await s.stakeForNode({ nodeId: "worker-1", amountMist: 2n * ONE_SUI });
    const rec = await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId);
    assert.ok(rec);
    assert.equal(rec.staker, kp.toSuiAddress());
    assert.equal(rec.nodeId, "worker-1");
    assert.equal(rec.amountMist, 2n * ONE_SUI);
    assert.equal(rec.status, "active");
    assert.equal(rec.stakedAtEpoch, 0n);
    assert.equal(rec.lockedUntilEpoch, 2n);
    const pool = await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);
    assert.ok(pool.totalStakedMist >= 2n * ONE_SUI);

    await assert.rejects(s.stakeForNode({ nodeId: "worker-1", amountMist: 3n * ONE_SUI }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.kind, "MoveAbort");
      assert.equal(e.details.abortCode, 2);
      assert.match(e.message, /node worker-1 already has a live stake/);
      return true;
    });
    // Another wallet cannot take the node id either.
    const other = session(env, await fundedWallet(env));
    await assert.rejects(other.stakeForNode({ nodeId: "worker-1", amountMist: 2n * ONE_SUI }), /worker-1 already has a live stake/);
  });

  test("stake below the minimum names amount, minimum and node", async () => {
    const s = session(env, await fundedWallet(env), { gasCoinMist: 2n * ONE_SUI });
    await assert.rejects(s.stakeForNode({ nodeId: "worker-3", amountMist: ONE_SUI / 2n }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.message, "stake 0.5 SUI is below the minimum 1 SUI for node worker-3");
      return true;
    });
  });

  test("seal token: minted with the worker key, read back, revoked", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const { stakeId } = await s.stakeForNode({ nodeId: "worker-seal", amountMist: ONE_SUI });
    const pub = workerKey();
    const { sealTokenId } = await s.mintSealToken({ stakeId, workerPubkey: pub });
    const token = await readSealToken(env.client, sealTokenId, env.devnet.ids.packageId);
    assert.ok(token);
    assert.equal(token.owner, kp.toSuiAddress());
    assert.equal(token.stakeId, stakeId);
    assert.equal(token.nodeId, "worker-seal");
    assert.equal(token.workerPubkey, pub);
    assert.deepEqual(token.permissions, ["node:join", "node:heartbeat"]);
    assert.equal(token.expiresAtEpoch, token.issuedAtEpoch + 30n);

    // Someone else cannot mint from this stake.
    const stranger = session(env, await fundedWallet(env));
    await assert.rejects(stranger.mintSealToken({ stakeId, workerPubkey: pub }), /only the staker can mint .* node worker-seal/);
    // A key that is not 32 bytes is refused on chain.
    await assert.rejects(s.mintSealToken({ stakeId, workerPubkey: new Uint8Array(31) }), /must be a 32-byte ed25519 key/);

    await s.revokeSealToken(sealTokenId);
    assert.equal(await readSealToken(env.client, sealTokenId, env.devnet.ids.packageId), null);
  });

  test("slash sets the status; slashed stakes cannot mint tokens", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const { stakeId } = await s.stakeForNode({ nodeId: "worker-slash", amountMist: 3n * ONE_SUI });
    const admin = new ChainSession(env.client, keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);
    await admin.slashStake({ stakeId, amountMist: ONE_SUI, reason: "missed heartbeats" });
    const rec = await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId);
    assert.equal(rec?.status, "slashed");
    assert.equal(rec?.amountMist, 2n * ONE_SUI);
    await assert.rejects(s.mintSealToken({ stakeId, workerPubkey: workerKey() }), /stake for node worker-slash is not active \(it is slashed\)/);
    await assert.rejects(admin.slashStake({ stakeId, amountMist: 1n, reason: "again" }), /not active/);
    // A non-admin cannot slash: it does not own the AdminCap, so the network refuses the input.
    await assert.rejects(s.slashStake({ stakeId, amountMist: 1n, reason: "x" }), (e: unknown) => e instanceof ChainError && e.kind === "Rejected");
  });

  test("withdraw: locked until lock_epochs pass, then requested and claimed (no cool-down on this devnet); the coin returns (balance to the MIST)", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const stake = 5n * ONE_SUI;
    const { stakeId } = await s.stakeForNode({ nodeId: "worker-wd", amountMist: stake });
    const epoch = await currentEpoch(env.client);
    await assert.rejects(s.requestWithdrawal({ stakeId, amountMist: stake }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 5);
      assert.equal(e.message, `stake for node worker-wd is locked until epoch ${epoch + 2n} (current epoch ${epoch})`);
      return true;
    });
    await assert.rejects(s.claimWithdrawal(stakeId), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 14);
      assert.equal(e.message, "no withdrawal is pending for the stake for node worker-wd: request one first (requestWithdrawal)");
      return true;
    });
    env.devnet.advanceEpoch(2);
    await s.flush();
    const before = await balanceOf(env, kp.toSuiAddress());
    const r = await s.requestWithdrawal({ stakeId, amountMist: stake });
    assert.equal(r.amountMist, stake);
    assert.equal(r.claimableAtEpoch, epoch + 2n, "a cool-down of 0 epochs: claimable at once");
    const leaving = (await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))!;
    assert.equal(leaving.status, "leaving");
    assert.equal(leaving.amountMist, stake, "a request moves nothing");
    assert.equal(leaving.withdrawalRequestedMist, stake);
    assert.equal(leaving.claimableAtEpoch, epoch + 2n);
    const w = await s.claimWithdrawal(stakeId);
    assert.equal(w.amountMist, stake);
    assert.equal(w.stakedMist, 0n);
    assert.equal(w.withdrawn, true);
    await s.flush();
    const afterBal = await balanceOf(env, kp.toSuiAddress());
    assert.equal(afterBal, before + stake - r.gasUsed.netMist - w.gasUsed.netMist);
    assert.ok(w.gasUsed.computationCost > 0n && w.gasUsed.storageCost > 0n);
    const rec = await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId);
    assert.equal(rec?.status, "withdrawn");
    assert.equal(rec?.amountMist, 0n);
    assert.equal(rec?.withdrawalRequestedMist, 0n);
    assert.equal(rec?.claimableAtEpoch, 0n);
    // The node id is free again.
    assert.equal(await findLiveStake(env.client, env.devnet.ids, { nodeId: "worker-wd", staker: kp.toSuiAddress() }), null);
    await assert.rejects(s.claimWithdrawal(stakeId), /no withdrawal is pending for the stake for node worker-wd \(it was already withdrawn\)/);
    await assert.rejects(s.requestWithdrawal({ stakeId, amountMist: stake }), /stake for node worker-wd was already withdrawn/);
    const again = await s.stakeForNode({ nodeId: "worker-wd", amountMist: stake });
    assert.notEqual(again.stakeId, stakeId);
  });

  test("top-up: the stake grows in place (same record, same lock); the wallet pays it plus gas, to the MIST", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const { stakeId } = await s.stakeForNode({ nodeId: "worker-up", amountMist: 2n * ONE_SUI });
    const recBefore = (await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))!;
    await s.flush();
    const poolBefore = await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);
    const before = await balanceOf(env, kp.toSuiAddress());
    const up = await s.addStake({ stakeId, amountMist: ONE_SUI + 7n });
    assert.equal(up.stakedMist, 3n * ONE_SUI + 7n);
    await s.flush();
    assert.equal(await balanceOf(env, kp.toSuiAddress()), before - ONE_SUI - 7n - up.gasUsed.netMist);
    const rec = (await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))!;
    assert.equal(rec.amountMist, 3n * ONE_SUI + 7n);
    assert.equal(rec.status, "active");
    assert.equal(rec.lockedUntilEpoch, recBefore.lockedUntilEpoch, "a top-up does not move the lock");
    const pool = await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);
    assert.equal(pool.balanceMist, poolBefore.balanceMist + ONE_SUI + 7n);
    assert.equal(pool.activeStakes, poolBefore.activeStakes, "no second stake");
    assert.equal((await findLiveStake(env.client, env.devnet.ids, { nodeId: "worker-up", staker: kp.toSuiAddress() }))?.id, stakeId);

    // Someone else cannot top up this stake; a slashed stake cannot be topped up.
    const other = session(env, await fundedWallet(env));
    await assert.rejects(other.addStake({ stakeId, amountMist: ONE_SUI }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 4);
      assert.equal(e.message, `only the staker ${kp.toSuiAddress()} can top up the stake for node worker-up`);
      return true;
    });
    const admin = new ChainSession(env.client, keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);
    await admin.slashStake({ stakeId, amountMist: ONE_SUI, reason: "missed heartbeats" });
    await assert.rejects(s.addStake({ stakeId, amountMist: ONE_SUI }), /stake for node worker-up is not active \(it is slashed\), so it cannot be topped up/);
    await assert.rejects(s.addStake({ stakeId, amountMist: 0n }), /top-up of the stake for node worker-up must be a positive amount/);
  });

  test("reduction: refused inside the lock naming the epoch it can run at, and below the minimum naming both amounts; then requested and claimed to the MIST", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const { stakeId } = await s.stakeForNode({ nodeId: "worker-down", amountMist: 3n * ONE_SUI });
    const epoch = await currentEpoch(env.client);
    await assert.rejects(s.requestWithdrawal({ stakeId, amountMist: ONE_SUI }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 5);
      assert.equal(e.message, `stake for node worker-down is locked until epoch ${epoch + 2n} (current epoch ${epoch}); the reduction can run at epoch ${epoch + 2n}`);
      return true;
    });
    env.devnet.advanceEpoch(2);
    await assert.rejects(s.requestWithdrawal({ stakeId, amountMist: 2n * ONE_SUI + ONE_SUI / 2n }), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.details.abortCode, 12);
      assert.equal(e.message, "withdrawing 2.5 SUI from the stake for node worker-down would leave 0.5 SUI, below the pool minimum 1 SUI " +
        "(the stake holds 3 SUI; at most 2 SUI can be withdrawn while it stays staked)");
      return true;
    });
    const other = session(env, await fundedWallet(env));
    await assert.rejects(other.requestWithdrawal({ stakeId, amountMist: ONE_SUI }), new RegExp(`only the staker ${kp.toSuiAddress()} can reduce the stake for node worker-down`));

    await s.flush();
    const poolBefore = await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);
    const before = await balanceOf(env, kp.toSuiAddress());
    const req = await s.requestWithdrawal({ stakeId, amountMist: ONE_SUI + 3n });
    assert.equal((await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))?.status, "active", "a partial request keeps the stake active");
    const down = await s.claimWithdrawal(stakeId);
    assert.equal(down.amountMist, ONE_SUI + 3n);
    assert.equal(down.stakedMist, 2n * ONE_SUI - 3n);
    assert.equal(down.withdrawn, false);
    await s.flush();
    assert.equal(await balanceOf(env, kp.toSuiAddress()), before + ONE_SUI + 3n - req.gasUsed.netMist - down.gasUsed.netMist);
    const rec = (await readStakeRecord(env.client, stakeId, env.devnet.ids.packageId))!;
    assert.equal(rec.amountMist, 2n * ONE_SUI - 3n);
    assert.equal(rec.status, "active", "a reduced stake stays live");
    assert.equal(rec.withdrawalRequestedMist, 0n);
    const pool = await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);
    assert.equal(pool.balanceMist, poolBefore.balanceMist - ONE_SUI - 3n);
    assert.equal(pool.totalStakedMist, pool.balanceMist);
    assert.equal((await findLiveStake(env.client, env.devnet.ids, { nodeId: "worker-down", staker: kp.toSuiAddress() }))?.id, stakeId);
  });

  test("findLiveStake adopts a stake after a simulated crash", async () => {
    const kp = await fundedWallet(env);
    const first = session(env, kp);
    const { stakeId } = await first.stakeForNode({ nodeId: "worker-crash", amountMist: ONE_SUI });
    // "Crash": the first session is dropped with whatever it had cached; a new process starts.
    const restarted = session(env, keypairFromSecret(kp.getSecretKey()));
    const live = await findLiveStake(env.client, env.devnet.ids, { nodeId: "worker-crash", staker: kp.toSuiAddress() });
    assert.equal(live?.id, stakeId);
    assert.equal(live?.status, "active");
    // Not someone else's.
    assert.equal(await findLiveStake(env.client, env.devnet.ids, { nodeId: "worker-crash", staker: Ed25519Keypair.generate().toSuiAddress() }), null);
    assert.equal(await findLiveStake(env.client, env.devnet.ids, { nodeId: "never-staked", staker: kp.toSuiAddress() }), null);
    // The adopted stake is usable by the new session.
    const { sealTokenId } = await restarted.mintSealToken({ stakeId: live!.id, workerPubkey: workerKey() });
    assert.ok(await readSealToken(env.client, sealTokenId, env.devnet.ids.packageId));
  });

  test("registry: admin sets endpoint and enclave key", async () => {
    const admin = new ChainSession(env.client, keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);
    const enclave = workerKey();
    await admin.setRegistry({ endpoint: "https://cp.example:8443", enclavePubkey: enclave });
    const reg = await readRegistry(env.client, env.devnet.ids.registryId, env.devnet.ids.packageId);
    assert.equal(reg.endpoint, "https://cp.example:8443");
    assert.equal(reg.enclavePubkey, enclave);
  });
});
