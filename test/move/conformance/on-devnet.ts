// Runs one conformance scenario against a fresh devnet through @mysten/sui's transport-neutral
// core API (client.core): real transactions, signed by three wallets (the devnet's admin, ALICE
// and BOB), objects read back from their BCS with src/sui's own layouts.
import assert from "node:assert/strict";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Transaction } from "@mysten/sui/transactions";
import type { SuiClientTypes } from "@mysten/sui/client";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import { bcs, type BcsType } from "@mysten/sui/bcs";
import { NautilusRegistryBcs, SealTokenBcs, StakeRecordBcs, StakingPoolBcs } from "../../../src/sui/layouts.js";
import { stakeIdForNode } from "../../../src/sui/index.js";
import { fundedWallet, startEnv, type Env } from "../../chain/helpers.js";
import { compiledModule } from "../../../devnet/chain/compiled.js";
import { KEYS, POOL, type Actor, type Scenario, type Step, type Value } from "./table.js";

const SUI_COIN = "0x0000000000000000000000000000000000000000000000000000000000000002::coin::Coin<0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI>";
const CoinBcs = bcs.struct("Coin", { id: bcs.Address, balance: bcs.u64() });

interface World {
  env: Env;
  keys: Record<Actor, Ed25519Keypair>;
  recordId?: string;
  tokenId?: string;
  withdrawnCoinId?: string;
}

type Result = SuiClientTypes.Transaction<{ effects: true; objectTypes: true }>;

type Args = NonNullable<Parameters<Transaction["moveCall"]>[0]["arguments"]>;
function call(w: World, tx: Transaction, module: string, fn: string, args: Args) {
  return tx.moveCall({ target: `${w.env.devnet.ids.packageId}::${module}::${fn}`, arguments: args });
}

/**
 * An explicit object input: a shared ref with its mutability, or an owned/immutable ref at its
 * current version. Fully resolved transactions build offline; left to the node (tx.object), a
 * gRPC node simulates first and the SDK refuses to build one that aborts, so the abort would
 * never reach the chain's effects, where the Move side's abort is compared.
 */
async function objArg(w: World, tx: Transaction, id: string, mutable: boolean) {
  const { object } = await w.env.client.core.getObject({ objectId: id });
  const owner = object.owner as { $kind: string; Shared?: { initialSharedVersion: string } };
  if (owner.$kind === "Shared") return tx.sharedObjectRef({ objectId: id, initialSharedVersion: owner.Shared!.initialSharedVersion, mutable });
  return tx.objectRef({ objectId: object.objectId, version: object.version, digest: object.digest });
}

/** The transaction of one step (null for an epoch change, which is the network's business). */
async function build(w: World, st: Exclude<Step, { op: "next_epoch" }>): Promise<Transaction> {
  const ids = w.env.devnet.ids;
  const tx = new Transaction();
  const o = (id: string, mutable: boolean) => objArg(w, tx, id, mutable);
  const need = (id: string | undefined, what: string) => {
    if (!id) throw new Error(`scenario uses a ${what} before creating one`);
    return id;
  };
  switch (st.op) {
    case "stake": {
      const [coin] = tx.splitCoins(tx.gas, [tx.pure.u64(st.amount)]);
      call(w, tx, "staking", "stake_for_node", [await o(ids.poolId, true), coin!, tx.pure.string(st.node)]);
      break;
    }
    case "request":
      call(w, tx, "staking", "request_withdrawal", [await o(ids.poolId, true), await o(need(w.recordId, "stake"), true), tx.pure.u64(st.amount)]);
      break;
    case "claim": {
      const c = call(w, tx, "staking", "claim_withdrawal", [await o(ids.poolId, true), await o(need(w.recordId, "stake"), true)]);
      tx.transferObjects([c], w.keys[st.by].toSuiAddress());
      break;
    }
    case "transfer":
      call(w, tx, "staking", "transfer_stake", [await o(ids.poolId, false), await o(need(w.recordId, "stake"), true), tx.pure.address(w.keys[st.to].toSuiAddress())]);
      break;
    case "add": {
      const [coin] = tx.splitCoins(tx.gas, [tx.pure.u64(st.amount)]);
      call(w, tx, "staking", "add_stake", [await o(ids.poolId, true), await o(need(w.recordId, "stake"), true), coin!]);
      break;
    }
    case "slash":
      call(w, tx, "staking", "slash_stake", [await o(ids.adminCapId, false), await o(ids.poolId, true), await o(need(w.recordId, "stake"), true), tx.pure.u64(st.amount), tx.pure.string(st.reason)]);
      break;
    case "mint":
      call(w, tx, "k8s_gateway", "create_worker_seal_token", [await o(need(w.recordId, "stake"), false), tx.pure.vector("u8", Array.from(KEYS[st.key]))]);
      break;
    case "revoke":
      call(w, tx, "k8s_gateway", "revoke_seal_token", [await o(need(w.tokenId, "seal token"), false)]);
      break;
    case "set_pool_params":
      call(w, tx, "staking", "set_pool_params", [await o(ids.adminCapId, false), await o(ids.poolId, true), tx.pure.u64(st.minNodeStake), tx.pure.u64(st.lockEpochs), tx.pure.u64(st.withdrawalCooldownEpochs)]);
      break;
    case "set_registry":
      call(w, tx, "k8s_gateway", "set_registry", [await o(ids.adminCapId, false), await o(ids.poolId, false), await o(ids.registryId, true), tx.pure.string(st.endpoint), tx.pure.vector("u8", Array.from(KEYS[st.key]))]);
      break;
  }
  return tx;
}

async function run(w: World, st: Exclude<Step, { op: "next_epoch" }>): Promise<Result> {
  const tx = await build(w, st);
  const sender = w.keys[st.by].toSuiAddress();
  const { objects: coins } = await w.env.client.core.listCoins({ owner: sender });
  tx.setSender(sender);
  tx.setGasPayment(coins.map((c) => ({ objectId: c.objectId, version: c.version, digest: c.digest })));
  tx.setGasPrice(BigInt((await w.env.client.core.getReferenceGasPrice()).referenceGasPrice));
  tx.setGasBudget(50_000_000n);
  const r = await w.env.client.core.signAndExecuteTransaction({
    transaction: tx, signer: w.keys[st.by], include: { effects: true, objectTypes: true },
  });
  // Executed either way (a Move abort is a failed transaction with effects, gas charged).
  return r.$kind === "Transaction" ? r.Transaction : r.FailedTransaction;
}

/** Remember the ids a step created, as the Move side finds them by type. */
function track(w: World, st: Step, r: Result) {
  const pkg = normalizeSuiAddress(w.env.devnet.ids.packageId);
  const created = (r.effects?.changedObjects ?? []).filter((c) => c.idOperation === "Created").map((c) => c.objectId);
  const ofType = (t: string) => created.find((id) => r.objectTypes?.[id] === t);
  if (st.op === "stake") w.recordId = ofType(`${pkg}::staking::StakeRecord`);
  if (st.op === "mint") w.tokenId = ofType(`${pkg}::k8s_gateway::SealToken`);
  if (st.op === "claim") w.withdrawnCoinId = ofType(SUI_COIN);
}

async function contents(w: World, id: string): Promise<Uint8Array> {
  const { object } = await w.env.client.core.getObject({ objectId: id, include: { content: true } });
  return object.content as Uint8Array;
}

/** Compare one parsed field with the table's value (symbolic ids resolved on this side). */
function same(w: World, field: string, got: unknown, want: Value) {
  const at = `field ${field}`;
  if (typeof want === "bigint") return assert.equal(BigInt(got as string), want, at);
  if (typeof want === "number") return assert.equal(Number(got), want, at);
  if (typeof want === "string" || Array.isArray(want)) return assert.deepEqual(got, want, at);
  if ("who" in want) return assert.equal(normalizeSuiAddress(got as string), w.keys[want.who].toSuiAddress(), at);
  if ("id" in want) return assert.equal(normalizeSuiAddress(got as string), want.id === "pool" ? w.env.devnet.ids.poolId : w.recordId, at);
  if ("key" in want) return assert.deepEqual(Buffer.from(got as Uint8Array), Buffer.from(KEYS[want.key]), at);
  if ("size" in want) return assert.equal(BigInt((got as { size: string }).size), want.size, at);
}

async function checkObject(w: World, id: string | undefined, layout: BcsType<Record<string, unknown>>, want: Record<string, Value>) {
  assert.ok(id, "the scenario's object was not created");
  const parsed = layout.parse(await contents(w, id));
  for (const [k, v] of Object.entries(want)) {
    assert.ok(k in parsed, `src/sui's layout has no field ${k}`);
    same(w, k, parsed[k], v);
  }
}

/** Run a scenario on a fresh devnet and assert its outcome and expectations. */
export async function runOnDevnet(sc: Scenario): Promise<void> {
  const env = await startEnv({
    lockEpochs: Number(POOL.lockEpochs), withdrawalCooldownEpochs: Number(POOL.withdrawalCooldownEpochs), minStakeMist: POOL.minNodeStakeMist,
  });
  try {
    const keys = { ADMIN: Ed25519Keypair.fromSecretKey(env.devnet.adminSecretKey), ALICE: await fundedWallet(env), BOB: await fundedWallet(env) };
    for (const [who, mist] of Object.entries(sc.funds ?? {})) await env.devnet.faucet(keys[who as Actor].toSuiAddress(), mist);
    const w: World = { env, keys };
    for (const [i, st] of sc.steps.entries()) {
      if (st.op === "next_epoch") { env.devnet.advanceEpoch(st.count); continue; }
      const last = i === sc.steps.length - 1;
      if (last && "notOwner" in sc.outcome) {
        // Refused before execution: the sender does not own the AdminCap / SealToken.
        const owned = sc.outcome.notOwner === "AdminCap" ? env.devnet.ids.adminCapId : w.tokenId!;
        await assert.rejects(run(w, st), (e: Error) => {
          assert.match(e.message, new RegExp(normalizeSuiAddress(owned)), "the refusal names the object");
          assert.match(e.message, /owned by|owner/i);
          return true;
        });
        return;
      }
      const r = await run(w, st);
      if (last && "abort" in sc.outcome) {
        const { module, name } = sc.outcome.abort;
        assert.equal(r.status.success, false, `step ${i} (${st.op}) should abort with ${module}::${name}`);
        const err = r.status.error!;
        assert.equal(err.$kind, "MoveAbort", err.message);
        const abort = (err as unknown as { MoveAbort: { abortCode: string; location?: { module: string; functionName?: string } } }).MoveAbort;
        assert.equal(Number(abort.abortCode), compiledModule(module).aborts[name], `abort code of ${module}::${name}`);
        assert.equal(abort.location?.module, module);
        return;
      }
      if (last && "arithmetic" in sc.outcome) {
        const { module, functionName } = sc.outcome.arithmetic;
        assert.equal(r.status.success, false, `step ${i} (${st.op}) should fail with an arithmetic error in ${module}::${functionName}`);
        // The effects say what it was (the core API shows any located failure as a MoveAbort).
        const status = bcs.TransactionEffects.parse(r.effects!.bcs!).V2!.status;
        const loc = (status.Failure?.error as { MovePrimitiveRuntimeError?: { module: { address: string; name: string }; functionName: string | null } } | undefined)?.MovePrimitiveRuntimeError;
        assert.ok(loc, `not an arithmetic error: ${JSON.stringify(status, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
        assert.equal(normalizeSuiAddress(loc.module.address), normalizeSuiAddress(env.devnet.ids.packageId));
        assert.equal(loc.module.name, module);
        assert.equal(loc.functionName, functionName);
        return;
      }
      assert.equal(r.status.success, true, `step ${i} (${st.op}) failed: ${r.status.error?.message}`);
      track(w, st, r);
    }
    const e = sc.expect ?? {};
    const ids = env.devnet.ids;
    if (e.record) await checkObject(w, w.recordId, StakeRecordBcs as never, e.record);
    if (e.pool) await checkObject(w, ids.poolId, StakingPoolBcs as never, e.pool);
    if (e.token) await checkObject(w, w.tokenId, SealTokenBcs as never, e.token);
    if (e.registry) await checkObject(w, ids.registryId, NautilusRegistryBcs as never, e.registry);
    if (e.withdrawn !== undefined) {
      assert.ok(w.withdrawnCoinId, "withdraw created no coin");
      const { object } = await env.client.core.getObject({ objectId: w.withdrawnCoinId, include: { content: true } });
      assert.equal(object.type, SUI_COIN);
      assert.equal(normalizeSuiAddress((object.owner as { AddressOwner?: string }).AddressOwner ?? ""), keys.ALICE.toSuiAddress());
      assert.equal(BigInt(CoinBcs.parse(object.content as Uint8Array).balance), e.withdrawn);
    }
    if (e.nodeStake) assert.equal(await stakeIdForNode(env.client, ids, e.nodeStake.node), e.nodeStake.is === "record" ? w.recordId : null);
    if (e.tokenGone) {
      const { objects } = await env.client.core.listOwnedObjects({ owner: keys.ALICE.toSuiAddress(), type: `${ids.packageId}::k8s_gateway::SealToken` });
      assert.equal(objects.length, 0, "ALICE still holds a seal token");
    }
  } finally {
    await env.devnet.close();
  }
}
