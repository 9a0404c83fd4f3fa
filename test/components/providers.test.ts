// The dynamic providers' logic (check/diff/create/read/update/delete) against the devnet chain,
// called the way the engine calls them. Under Pulumi mocks a dynamic resource never reaches its
// provider, so the provider objects are exercised directly here.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { stakeProvider, type StakeInputs, type StakeOutputs } from "../../src/components/runtime/stake";
import { sealTokenProvider, type SealTokenInputs, type SealTokenOutputs } from "../../src/components/runtime/seal-token";
import { ChainSession, readStakeRecord, readSealToken, keypairFromSecret, readPool, currentEpoch, stakeIdForNode } from "../../src/sui";
import { sessionFor } from "../../src/components/runtime/sessions";
import { holdsSlot, releaseSlot } from "../../src/components/runtime/rollout";
import { startEnv, fundedWallet, balanceOf, workerKey, ONE_SUI, type Env } from "../chain/helpers";

let env: Env;
let wallet: Ed25519Keypair;
let walletKey: string;

before(async () => {
  env = await startEnv({ lockEpochs: 2 });
  wallet = await fundedWallet(env);
  walletKey = wallet.getSecretKey();
});
after(async () => env?.devnet.close());

function stakeInputs(nodeId: string, amountMist = 2n * ONE_SUI): StakeInputs {
  const { packageId, poolId, registryId } = env.devnet.ids;
  return { rpcUrl: env.devnet.url, transport: "grpc", packageId, poolId, registryId, walletKey, nodeId, amountMist: amountMist.toString() };
}

describe("stake provider", () => {
  test("check names each bad field and never quotes the wallet key", async () => {
    const bad = { ...stakeInputs("Bad_Node"), amountMist: "-5", walletKey: "not-a-key-SECRET123", poolId: "pool" };
    const res = await stakeProvider.check({}, bad);
    const props = (res.failures ?? []).map((f) => f.property).sort();
    assert.deepEqual(props, ["amountMist", "nodeId", "poolId", "walletKey"]);
    assert.equal(JSON.stringify(res.failures).includes("SECRET123"), false);
    const ok = await stakeProvider.check({}, stakeInputs("worker-a"));
    assert.equal(ok.failures, undefined);
  });

  test("check refuses unknown inputs by name", async () => {
    const res = await stakeProvider.check({}, { ...stakeInputs("worker-a"), amountSui: "1" });
    assert.match(JSON.stringify(res.failures), /amountSui/);
  });

  test("check: a rollout fleet comes with its limits (the stake has no defaults of its own for them)", async () => {
    const res = await stakeProvider.check({}, { ...stakeInputs("worker-a"), rolloutFleet: "fleet" });
    assert.deepEqual(res.failures, [{ property: "rolloutFleet", reason: "rolloutFleet needs maxUnavailable and rolloutTimeoutSeconds (the fleet's rollout limits)" }]);
    assert.equal((await stakeProvider.check({}, { ...stakeInputs("worker-a"), rolloutFleet: "fleet", maxUnavailable: 1, rolloutTimeoutSeconds: 480 })).failures, undefined);
  });

  test("diff: the amount and the wallet change in place; node id and pool replace, creating the new stake first; same is no change", async () => {
    const olds = { ...stakeInputs("worker-a"), stakeId: "0x1", staker: "0x2", status: "active", stakedMist: (2n * ONE_SUI).toString(), lockedUntilEpoch: "1", adopted: false } as StakeOutputs;
    assert.deepEqual(await stakeProvider.diff("0x1", olds, stakeInputs("worker-a")), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await stakeProvider.diff("0x1", olds, stakeInputs("worker-a", 3n * ONE_SUI)), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await stakeProvider.diff("0x1", olds, stakeInputs("worker-a", ONE_SUI)), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await stakeProvider.diff("0x1", olds, stakeInputs("worker-b", 3n * ONE_SUI)), { changes: true, replaces: ["nodeId"], deleteBeforeReplace: false });
    const otherPool = { ...stakeInputs("worker-a"), poolId: "0xabc", packageId: "0xdef" };
    assert.deepEqual(await stakeProvider.diff("0x1", olds, otherPool), { changes: true, replaces: ["packageId", "poolId"], deleteBeforeReplace: false });
    // Another wallet: a migration, run by update within the worker's rollout slot.
    const newWallet = { ...stakeInputs("worker-a"), walletKey: Ed25519Keypair.generate().getSecretKey(), allowWalletMigration: true };
    assert.deepEqual(await stakeProvider.diff("0x1", olds, newWallet), { changes: true, replaces: [], deleteBeforeReplace: false });
    const moved = await stakeProvider.diff("0x1", olds, { ...stakeInputs("worker-a"), rpcUrl: "http://127.0.0.2:9000" });
    assert.deepEqual(moved, { changes: true, replaces: [], deleteBeforeReplace: false });
    // A refresh that found another amount on chain (an adopted stake of another size) converges.
    assert.deepEqual(await stakeProvider.diff("0x1", { ...olds, stakedMist: (5n * ONE_SUI).toString() }, stakeInputs("worker-a")), { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  test("create stakes from the wallet and reports the on-chain record", async () => {
    const before = await balanceOf(env, wallet.toSuiAddress());
    const { id, outs } = await stakeProvider.create(stakeInputs("worker-create"));
    assert.equal(outs.stakeId, id);
    assert.equal(outs.status, "active");
    assert.equal(outs.stakedMist, (2n * ONE_SUI).toString());
    assert.equal(outs.staker, wallet.toSuiAddress());
    assert.equal(outs.adopted, false);
    const rec = await readStakeRecord(env.client, id, env.devnet.ids.packageId);
    assert.equal(rec?.nodeId, "worker-create");
    assert.ok((await balanceOf(env, wallet.toSuiAddress())) < before - 2n * ONE_SUI);
  });

  test("create adopts a live stake an earlier, crashed run already made", async () => {
    // The crashed run: the transaction went through, the engine never recorded it.
    const crashed = new ChainSession(env.client, keypairFromSecret(walletKey), env.devnet.ids);
    const { stakeId } = await crashed.stakeForNode({ nodeId: "worker-crash", amountMist: 2n * ONE_SUI });
    const poolBefore = await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);
    const { id, outs } = await stakeProvider.create(stakeInputs("worker-crash"));
    assert.equal(id, stakeId);
    assert.equal(outs.adopted, true);
    const poolAfter = await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);
    assert.equal(poolAfter.activeStakes, poolBefore.activeStakes, "no second stake was made");
  });

  test("read shows a slash as drift", async () => {
    const { id, outs } = await stakeProvider.create(stakeInputs("worker-slashed"));
    const admin = new ChainSession(env.client, keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);
    await admin.slashStake({ stakeId: id, amountMist: ONE_SUI, reason: "test misbehaviour" });
    const read = await stakeProvider.read(id, outs);
    assert.equal(read.id, id);
    assert.equal((read.props as StakeOutputs).status, "slashed");
    assert.equal((read.props as StakeOutputs).stakedMist, ONE_SUI.toString());
    const d = await stakeProvider.diff(id, read.props as StakeOutputs, stakeInputs("worker-slashed"));
    assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false }, "the slash is drift");
    // Drift alone leaves the chain alone; a new amount for a slashed stake is refused, by name.
    const kept = await stakeProvider.update(id, read.props as StakeOutputs, stakeInputs("worker-slashed"));
    assert.equal(kept.outs.status, "slashed");
    await assert.rejects(stakeProvider.update(id, read.props as StakeOutputs, stakeInputs("worker-slashed", 3n * ONE_SUI)),
      /stake for node worker-slashed is slashed, so its amount cannot change \(it holds 1 SUI\); replace the worker/);
  });

  test("wallet migration: the stake record moves to the new wallet in place (no withdrawal, the node id never free), within a rollout slot", async () => {
    const oldWallet = await fundedWallet(env);
    const newWallet = Ed25519Keypair.generate();
    const on = (w: Ed25519Keypair, over: Partial<StakeInputs> = {}): StakeInputs => ({ ...stakeInputs("worker-migrate"), walletKey: w.getSecretKey(), ...over });
    const created = await stakeProvider.create(on(oldWallet));
    const migrate = on(newWallet, { allowWalletMigration: true, rolloutFleet: "migration-test", maxUnavailable: 1, rolloutTimeoutSeconds: 5 });
    assert.equal((await stakeProvider.check(created.outs, on(newWallet))).failures?.[0]?.property, "walletKey", "refused without the option");
    assert.equal((await stakeProvider.check(created.outs, migrate)).failures, undefined);

    // Inside the lock, and the new wallet still empty: a transfer moves no SUI and the old wallet
    // pays its gas, so neither matters.
    const oldBefore = await balanceOf(env, oldWallet.toSuiAddress());
    const { outs } = await stakeProvider.update(created.id, created.outs, migrate);
    assert.equal(outs.stakeId, created.id, "the same record");
    assert.equal(outs.staker, newWallet.toSuiAddress());
    assert.equal(outs.stakedMist, (2n * ONE_SUI).toString());
    assert.equal(outs.lockedUntilEpoch, created.outs.lockedUntilEpoch, "the lock is the record's, unchanged");
    const rec = await readStakeRecord(env.client, created.id, env.devnet.ids.packageId);
    assert.equal(rec?.status, "active");
    assert.equal(rec?.staker, newWallet.toSuiAddress());
    assert.equal(await stakeIdForNode(env.client, env.devnet.ids, "worker-migrate"), created.id, "the node id stayed with the record throughout");
    const oldAfter = await balanceOf(env, oldWallet.toSuiAddress());
    assert.ok(oldAfter < oldBefore && oldAfter > oldBefore - 20_000_000n, "the old wallet paid the transfer's gas and got no stake back");
    assert.ok(holdsSlot("migration-test", "worker-migrate"), "the worker holds its rollout slot until HostState sees it healthy");
    releaseSlot("migration-test", "worker-migrate", 1);
    // A re-run (the state still has the old key) finds the record already the new wallet's.
    assert.equal((await stakeProvider.update(created.id, created.outs, migrate)).outs.staker, newWallet.toSuiAddress());
    // The old wallet can no longer touch it; the new one withdraws it, to itself.
    await assert.rejects(stakeProvider.delete(created.id, created.outs), new RegExp(`belongs to ${newWallet.toSuiAddress()}, not this stack's wallet ${oldWallet.toSuiAddress()}`));
    await env.devnet.faucet(newWallet.toSuiAddress(), 2n * ONE_SUI); // gas for its own transactions
    env.devnet.advanceEpoch(2);
    const newBefore = await balanceOf(env, newWallet.toSuiAddress());
    await stakeProvider.delete(created.id, outs);
    assert.equal((await readStakeRecord(env.client, created.id, env.devnet.ids.packageId))?.status, "withdrawn");
    assert.ok((await balanceOf(env, newWallet.toSuiAddress())) > newBefore + ONE_SUI, "the stake went to the new wallet");
  });

  test("an up blocked by someone else's stake for its node id fails naming the owner and what to do; nothing is staked", async () => {
    const squatter = await fundedWallet(env);
    const { outs: theirs } = await stakeProvider.create({ ...stakeInputs("worker-squatted"), walletKey: squatter.getSecretKey() });
    const before = await balanceOf(env, wallet.toSuiAddress());
    await assert.rejects(stakeProvider.create(stakeInputs("worker-squatted")), (e: Error) => {
      assert.match(e.message, new RegExp(`^node id worker-squatted is already staked in this pool by ${squatter.toSuiAddress()} \\(stake ${theirs.stakeId}, active, 2 SUI\\), not by this stack's wallet ${wallet.toSuiAddress()}\\. `));
      assert.match(e.message, /give this host another name \(hosts\[\]\.name\)/);
      assert.match(e.message, /Nothing was staked$/);
      return true;
    });
    assert.equal(await balanceOf(env, wallet.toSuiAddress()), before, "no transaction was sent");
  });

  test("delete while locked says when it can be withdrawn; after the lock it returns the coin", async () => {
    const { id, outs } = await stakeProvider.create(stakeInputs("worker-withdraw"));
    await assert.rejects(stakeProvider.delete(id, outs), /locked until epoch \d+ \(now \d+\).*destroy. again/s);
    env.devnet.advanceEpoch(2);
    const before = await balanceOf(env, wallet.toSuiAddress());
    await stakeProvider.delete(id, outs);
    const rec = await readStakeRecord(env.client, id, env.devnet.ids.packageId);
    assert.equal(rec?.status, "withdrawn");
    const after = await balanceOf(env, wallet.toSuiAddress());
    assert.ok(after > before + ONE_SUI, "the stake came back to the wallet (minus gas)");
    await stakeProvider.delete(id, outs); // idempotent: already withdrawn
  });

  test("amount 2 -> 3 SUI tops up in place; 3 -> 2 inside the lock fails naming the epoch and changes nothing; after the lock it succeeds", async () => {
    // A wallet of its own, so its transactions (and their gas) are the only ones it pays for.
    const own = await fundedWallet(env);
    const inputs = (amountMist: bigint): StakeInputs => ({ ...stakeInputs("worker-resize", amountMist), walletKey: own.getSecretKey() });
    const addr = own.toSuiAddress();
    const lastTxGas = async (objectId: string) => {
      const { object } = await env.client.core.getObject({ objectId, include: { previousTransaction: true } });
      const { Transaction: tx } = await env.client.core.getTransaction({ digest: object.previousTransaction!, include: { effects: true } }) as never as
        { Transaction: { effects: { gasUsed: { computationCost: string; storageCost: string; storageRebate: string } } } };
      const g = tx.effects.gasUsed;
      return BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate);
    };
    const flush = () => sessionFor(inputs(2n * ONE_SUI)).session.flush();

    const created = await stakeProvider.create(inputs(2n * ONE_SUI));
    const id = created.id;
    // check names the live stake among the inputs, so a preview of the update knows its id.
    assert.equal((await stakeProvider.check({}, inputs(3n * ONE_SUI))).inputs.stakeId, id);
    assert.equal((await stakeProvider.check({}, { ...inputs(3n * ONE_SUI), nodeId: "worker-resize-2" })).inputs.stakeId, undefined);
    const diffUp = await stakeProvider.diff(id, created.outs, inputs(3n * ONE_SUI));
    assert.deepEqual(diffUp, { changes: true, replaces: [], deleteBeforeReplace: false }, "an update, not a replace");

    await flush();
    const beforeUp = await balanceOf(env, addr);
    const poolBefore = await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);
    const up = await stakeProvider.update(id, created.outs, inputs(3n * ONE_SUI));
    await flush();
    assert.equal(up.outs.stakeId, id, "the same stake");
    assert.equal(up.outs.stakedMist, (3n * ONE_SUI).toString());
    assert.equal(up.outs.amountMist, (3n * ONE_SUI).toString());
    assert.equal(up.outs.lockedUntilEpoch, created.outs.lockedUntilEpoch);
    assert.equal((await readStakeRecord(env.client, id, env.devnet.ids.packageId))?.amountMist, 3n * ONE_SUI);
    assert.equal((await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId)).balanceMist, poolBefore.balanceMist + ONE_SUI);
    assert.equal(await balanceOf(env, addr), beforeUp - ONE_SUI - (await lastTxGas(id)), "the wallet paid the top-up and its gas, to the MIST");
    assert.deepEqual(await stakeProvider.diff(id, up.outs, inputs(3n * ONE_SUI)), { changes: false, replaces: [], deleteBeforeReplace: false });

    // Back down to 2 SUI while the lock holds: refused before any transaction.
    const epoch = await currentEpoch(env.client);
    const lockedUntil = BigInt(up.outs.lockedUntilEpoch);
    assert.ok(epoch < lockedUntil);
    const beforeDown = await balanceOf(env, addr);
    await assert.rejects(stakeProvider.update(id, up.outs, inputs(2n * ONE_SUI)), (e: Error) => {
      assert.equal(e.message, `stake for node worker-resize is locked until epoch ${lockedUntil} (current epoch ${epoch}); the reduction can run at epoch ${lockedUntil}`);
      return true;
    });
    assert.equal((await readStakeRecord(env.client, id, env.devnet.ids.packageId))?.amountMist, 3n * ONE_SUI, "the stake is unchanged");
    assert.equal(await balanceOf(env, addr), beforeDown, "no gas was spent");
    const refreshed = await stakeProvider.read(id, up.outs);
    assert.deepEqual(refreshed.props, up.outs, "a refresh finds the outputs as they were");
    // Below the pool minimum is refused too, naming both amounts.
    env.devnet.advanceEpoch(Number(lockedUntil - epoch));
    await assert.rejects(stakeProvider.update(id, up.outs, inputs(ONE_SUI / 2n)),
      /withdrawing 2.5 SUI from the stake for node worker-resize would leave 0.5 SUI, below the pool minimum 1 SUI/);

    // After the lock: the reduction runs; the coin comes back, less its gas.
    const beforeAfterLock = await balanceOf(env, addr);
    const down = await stakeProvider.update(id, up.outs, inputs(2n * ONE_SUI));
    await flush();
    assert.equal(down.outs.stakedMist, (2n * ONE_SUI).toString());
    assert.equal(down.outs.status, "active");
    assert.equal((await readStakeRecord(env.client, id, env.devnet.ids.packageId))?.amountMist, 2n * ONE_SUI);
    // Two transactions (request, then claim: this pool has no cool-down), each paying its gas.
    const back = (await balanceOf(env, addr)) - beforeAfterLock;
    assert.ok(back <= ONE_SUI - (await lastTxGas(id)) && back > ONE_SUI - 20_000_000n, `the reduction came back to the wallet, less the gas of two transactions (got ${back} MIST)`);
    assert.equal(((await stakeProvider.read(id, down.outs)).props as StakeOutputs).stakedMist, (2n * ONE_SUI).toString(), "refresh reports the on-chain amount");
  });

  test("many creates from one wallet at once do not collide on gas coins", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => stakeProvider.create(stakeInputs(`worker-par-${i}`))));
    assert.equal(new Set(results.map((r) => r.id)).size, 8);
    for (const r of results) assert.equal(r.outs.status, "active");
  });
});

describe("seal token provider", () => {
  let stake: { id: string; outs: StakeOutputs };
  before(async () => {
    stake = await stakeProvider.create(stakeInputs("worker-seal"));
  });

  function sealInputs(pubkey = workerKey()): SealTokenInputs {
    const { packageId, poolId, registryId } = env.devnet.ids;
    return { rpcUrl: env.devnet.url, transport: "grpc", packageId, poolId, registryId, walletKey, nodeId: "worker-seal", stakeId: stake.id, workerPubkey: pubkey };
  }

  test("check refuses a worker key that is not 32 bytes of base64", async () => {
    const res = await sealTokenProvider.check({}, { ...sealInputs(), workerPubkey: "abc" });
    assert.deepEqual(res.failures?.map((f) => f.property), ["workerPubkey"]);
  });

  test("create mints for the worker key; read reports expiry; delete revokes; read then drops it", async () => {
    const pubkey = workerKey();
    const { id, outs } = await sealTokenProvider.create(sealInputs(pubkey));
    const token = await readSealToken(env.client, id, env.devnet.ids.packageId);
    assert.equal(token?.workerPubkey, pubkey);
    assert.equal(token?.nodeId, "worker-seal");
    assert.equal(outs.sealStatus, "active");
    const read = await sealTokenProvider.read(id, outs as SealTokenOutputs);
    assert.equal(read.id, id);
    assert.equal((read.props as SealTokenOutputs).expiresAtEpoch, token?.expiresAtEpoch.toString());
    await sealTokenProvider.delete(id, outs as SealTokenOutputs);
    assert.equal(await readSealToken(env.client, id, env.devnet.ids.packageId), null);
    assert.deepEqual(await sealTokenProvider.read(id, outs as SealTokenOutputs), { id: "", props: {} });
    await sealTokenProvider.delete(id, outs as SealTokenOutputs); // already gone is fine
  });

  test("diff: a new worker key replaces the token, creating the new one first", async () => {
    const olds = { ...sealInputs("AAAA"), sealTokenId: "0x1", expiresAtEpoch: "999", sealStatus: "active" } as SealTokenOutputs;
    const d = await sealTokenProvider.diff("0x1", olds, sealInputs(workerKey()));
    assert.deepEqual(d, { changes: true, replaces: ["workerPubkey"], deleteBeforeReplace: false });
  });

  test("renewal: a token inside its window is drift for refresh and a create-before-delete replace for up; a second token of the same stake mints", async () => {
    const pubkey = workerKey();
    const inputs = { ...sealInputs(pubkey), renewBeforeEpochs: 5 };
    const { id, outs } = await sealTokenProvider.create(inputs);
    const minted = outs as SealTokenOutputs;
    assert.equal(minted.sealStatus, "active");
    assert.equal(BigInt(minted.expiresAtEpoch), (await currentEpoch(env.client)) + 30n);
    assert.deepEqual(await sealTokenProvider.diff(id, minted, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });

    env.devnet.advanceEpoch(24); // 6 epochs left: outside a window of 5
    assert.equal(((await sealTokenProvider.read(id, minted)).props as SealTokenOutputs).sealStatus, "active");
    env.devnet.advanceEpoch(1); // 5 left
    const due = (await sealTokenProvider.read(id, minted)).props as SealTokenOutputs;
    assert.equal(due.sealStatus, "renewal-due");
    // up sees it from the epoch too, without a refresh: the state still says active.
    assert.deepEqual(await sealTokenProvider.diff(id, minted, inputs), { changes: true, replaces: ["sealStatus"], deleteBeforeReplace: false });
    assert.deepEqual(await sealTokenProvider.diff(id, due, inputs), { changes: true, replaces: ["sealStatus"], deleteBeforeReplace: false });
    // A narrower window: the same token is not due yet, and that is an update in place.
    assert.deepEqual(await sealTokenProvider.diff(id, minted, { ...inputs, renewBeforeEpochs: 4 }), { changes: true, replaces: [], deleteBeforeReplace: false });
    // An unreachable chain: the state's status decides (no renewal on a failed read, none missed).
    const away = { ...inputs, rpcUrl: "http://127.0.0.1:9" };
    assert.deepEqual((await sealTokenProvider.diff(id, minted, away)).replaces, []);
    assert.deepEqual((await sealTokenProvider.diff(id, due, away)).replaces, ["sealStatus"]);

    // The replacement: minted while the old one still exists (create before delete).
    const renewed = await sealTokenProvider.create(inputs);
    assert.notEqual(renewed.id, id);
    assert.ok(await readSealToken(env.client, id, env.devnet.ids.packageId), "the old token is still there until its delete");
    assert.equal(BigInt((renewed.outs as SealTokenOutputs).expiresAtEpoch), BigInt(minted.expiresAtEpoch) + 25n);
    await sealTokenProvider.delete(id, minted);
    assert.equal(await readSealToken(env.client, id, env.devnet.ids.packageId), null);

    env.devnet.advanceEpoch(30);
    assert.equal(((await sealTokenProvider.read(renewed.id, renewed.outs as SealTokenOutputs)).props as SealTokenOutputs).sealStatus, "expired");
    await sealTokenProvider.delete(renewed.id, renewed.outs as SealTokenOutputs);
  });

  test("check refuses a renewal window the token's lifetime cannot hold", async () => {
    const res = await sealTokenProvider.check({}, { ...sealInputs(), renewBeforeEpochs: 30 });
    assert.deepEqual(res.failures?.map((f) => f.property), ["renewBeforeEpochs"]);
  });
});

describe("check during preview", () => {
  test("inputs not known yet are not validated, known ones still are", async () => {
    const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const { packageId, poolId, registryId } = env.devnet.ids;
    const base = { rpcUrl: env.devnet.url, transport: "grpc", packageId, poolId, registryId, walletKey, nodeId: "worker-preview", __provider: "serialized" };
    const ok = await sealTokenProvider.check({}, { ...base, stakeId: UNKNOWN, workerPubkey: UNKNOWN });
    assert.equal(ok.failures, undefined);
    assert.equal(ok.inputs.stakeId, UNKNOWN);
    const bad = await sealTokenProvider.check({}, { ...base, nodeId: "Bad!", stakeId: UNKNOWN, workerPubkey: UNKNOWN });
    assert.deepEqual(bad.failures?.map((f) => f.property), ["nodeId"]);
  });
});
