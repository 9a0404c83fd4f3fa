// Executable model of the k3s_daas Move package (move/sources/staking.move and
// k8s_gateway.move), function by function. Same checks, in the same order, with the same abort
// codes, and u64 arithmetic that fails where Move's does (never an unbounded integer), so a
// client sees the same failures here as on a real network. move/README.md maps
// each Move function to its model here; change both together.
import type { StoredObject } from "./objects.js";
import { abortCodes } from "./compiled.js";

/** Thrown by a model function: becomes a MoveAbort in the transaction's effects. */
export class MoveAbort extends Error {
  constructor(
    readonly module: "staking" | "k8s_gateway",
    readonly functionName: string,
    readonly code: number,
    /**
     * Which abort of the function this is, counting from 1 in source order. The executor maps
     * it to the compiled function's abort site (its real instruction offset) and checks that
     * the compiled code aborts there with the same code.
     */
    readonly site: number,
  ) {
    super(`MoveAbort in ${module}::${functionName} with code ${code}`);
  }
}

/** The largest u64: Move's integers do not grow past it, they fail. */
export const U64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * Move's arithmetic error (a u64 that would overflow or go below zero): on chain the transaction
 * fails with MovePrimitiveRuntimeError at the instruction, not with a MoveAbort. For the
 * package's own code, `site` counts the function's arithmetic instructions in code order from 1
 * (compiled.ts `arithmeticSites`); the executor checks the compiled instruction there is `op`
 * and reports its offset. `framework` is a failure inside a framework function the package
 * calls (sui::balance::join adding past u64::MAX).
 */
export class ArithmeticError extends Error {
  constructor(
    readonly module: "staking" | "k8s_gateway",
    readonly functionName: string,
    readonly site: number,
    readonly op: "Add" | "Sub",
    readonly framework?: { module: string; functionName: string },
  ) {
    super(`arithmetic error (u64 ${op === "Add" ? "overflow" : "underflow"}) in ${framework ? `sui::${framework.module}::${framework.functionName}` : `${module}::${functionName}`}`);
  }
}

/**
 * u64 arithmetic as Move does it, for one function of the package: `add(a, b, site)` fails
 * past u64::MAX, `sub` below zero, both with the function's arithmetic error at `site`.
 * `join` is sui::balance::join (its own overflow check, located in the framework).
 */
function u64(module: "staking" | "k8s_gateway", fn: string) {
  return {
    add(a: bigint, b: bigint, site: number): bigint {
      const r = a + b;
      if (r > U64_MAX) throw new ArithmeticError(module, fn, site, "Add");
      return r;
    },
    sub(a: bigint, b: bigint, site: number): bigint {
      if (b > a) throw new ArithmeticError(module, fn, site, "Sub");
      return a - b;
    },
    join(balance: bigint, value: bigint): bigint {
      const r = balance + value;
      if (r > U64_MAX) throw new ArithmeticError(module, fn, 0, "Add", { module: "balance", functionName: "join" });
      return r;
    },
    /** balance::split: the package only splits what a live stake holds, so the pool always has it. */
    split(balance: bigint, value: bigint): bigint {
      if (value > balance) throw new Error(`devnet model bug: ${module}::${fn} splits ${value} from a balance of ${balance}`);
      return balance - value;
    },
  };
}

// Abort codes by name, with their values from the compiled modules (compiled.ts): the model
// names the constant it aborts with, as the Move source does, and the number follows move/.
export const STAKING = abortCodes("staking", [
  "EInsufficientStake", "ENodeAlreadyStaked", "EInvalidNodeId", "ENotStaker", "EStakeLocked",
  "EStakeNotActive", "EAlreadyWithdrawn", "EInvalidSlashAmount", "EWrongPool", "EInvalidParams",
  "EZeroAmount", "ERemainderBelowMinimum", "EWithdrawalPending", "ENoWithdrawalRequested",
  "EWithdrawalCoolingDown", "ESameStaker",
] as const);
export const GATEWAY = abortCodes("k8s_gateway", [
  "ENotStaker", "EStakeNotActive", "EInvalidWorkerKey", "EInvalidEndpoint", "EInvalidEnclaveKey", "EWrongPool",
] as const);

export const STATUS_ACTIVE = 1;
export const STATUS_SLASHED = 2;
export const STATUS_WITHDRAWN = 3;
/** A full withdrawal was requested: no longer active, still slashable until claimed. */
export const STATUS_LEAVING = 4;
export const MAX_NODE_ID_BYTES = 64;
export const SEAL_TOKEN_VALIDITY_EPOCHS = 30n;
export const SEAL_TOKEN_PERMISSIONS = ["node:join", "node:heartbeat"];
export const DEFAULT_MIN_NODE_STAKE = 1_000_000_000n;
export const DEFAULT_LOCK_EPOCHS = 7n;
export const DEFAULT_WITHDRAWAL_COOLDOWN_EPOCHS = 2n;

/** What a Move function can do to the world: the executor implements it over a working set. */
export interface MoveCtx {
  sender: string;
  epoch: bigint;
  packageId: string;
  freshId(): string;
  /** New object; owner is set by share/transfer (an unowned one left at the end is an error). */
  create(layout: StoredObject["layout"], typeName: string, fields: Record<string, unknown>): StoredObject;
  share(obj: StoredObject): void;
  transfer(obj: StoredObject, to: string): void;
  destroy(obj: StoredObject): void;
  emit(module: string, eventName: string, fields: Record<string, unknown>): void;
  tableAdd(tableId: string, key: string, value: string): void;
  tableRemove(tableId: string, key: string): void;
  tableGet(tableId: string, key: string): string | undefined;
}

type Pool = {
  id: string; balance: bigint; slashed: bigint; min_node_stake: bigint; lock_epochs: bigint; withdrawal_cooldown_epochs: bigint;
  node_stakes: { id: string; size: bigint }; total_staked: bigint; total_slashed: bigint; active_stakes: bigint;
};
type Record_ = {
  id: string; pool_id: string; staker: string; node_id: string; amount: bigint;
  status: number; staked_at: bigint; locked_until: bigint; withdrawal_requested: bigint; claimable_at: bigint;
};
const f = <T>(o: StoredObject) => o.fields as unknown as T;

// ---- staking ----------------------------------------------------------------------------

/** staking::init: one pool (defaults) shared, its AdminCap to the publisher. */
export function stakingInit(ctx: MoveCtx): { pool: StoredObject; cap: StoredObject } {
  const pool = ctx.create("StakingPool", "staking::StakingPool", {
    id: ctx.freshId(), balance: 0n, slashed: 0n, min_node_stake: DEFAULT_MIN_NODE_STAKE,
    lock_epochs: DEFAULT_LOCK_EPOCHS, withdrawal_cooldown_epochs: DEFAULT_WITHDRAWAL_COOLDOWN_EPOCHS, node_stakes: { id: ctx.freshId(), size: 0n },
    total_staked: 0n, total_slashed: 0n, active_stakes: 0n,
  });
  const cap = ctx.create("AdminCap", "staking::AdminCap", { id: ctx.freshId(), pool_id: pool.id });
  ctx.share(pool);
  ctx.transfer(cap, ctx.sender);
  return { pool, cap };
}

/** staking::set_pool_params(cap, pool, min_node_stake, lock_epochs, withdrawal_cooldown_epochs) */
export function setPoolParams(
  ctx: MoveCtx, cap: StoredObject, poolObj: StoredObject, minNodeStake: bigint, lockEpochs: bigint, withdrawalCooldownEpochs: bigint,
) {
  const fn = "set_pool_params";
  const pool = f<Pool>(poolObj);
  if (f<{ pool_id: string }>(cap).pool_id !== pool.id) throw new MoveAbort("staking", fn, STAKING.EWrongPool, 1);
  if (minNodeStake === 0n) throw new MoveAbort("staking", fn, STAKING.EInvalidParams, 2);
  pool.min_node_stake = minNodeStake;
  pool.lock_epochs = lockEpochs;
  pool.withdrawal_cooldown_epochs = withdrawalCooldownEpochs;
  ctx.emit("staking", "PoolParamsUpdated", {
    pool_id: pool.id, min_node_stake: minNodeStake, lock_epochs: lockEpochs, withdrawal_cooldown_epochs: withdrawalCooldownEpochs,
  });
}

/** staking::stake_for_node(pool, payment, node_id, ctx) */
export function stakeForNode(ctx: MoveCtx, poolObj: StoredObject, payment: StoredObject, nodeId: string) {
  const fn = "stake_for_node";
  const pool = f<Pool>(poolObj);
  const amount = f<{ balance: bigint }>(payment).balance;
  const nodeIdLen = new TextEncoder().encode(nodeId).length;
  if (nodeIdLen === 0 || nodeIdLen > MAX_NODE_ID_BYTES) throw new MoveAbort("staking", fn, STAKING.EInvalidNodeId, 1);
  if (amount < pool.min_node_stake) throw new MoveAbort("staking", fn, STAKING.EInsufficientStake, 2);
  if (ctx.tableGet(pool.node_stakes.id, nodeId) !== undefined) throw new MoveAbort("staking", fn, STAKING.ENodeAlreadyStaked, 3);

  const m = u64("staking", fn);
  const lockedUntil = m.add(ctx.epoch, pool.lock_epochs, 1);
  const record = ctx.create("StakeRecord", "staking::StakeRecord", {
    id: ctx.freshId(), pool_id: pool.id, staker: ctx.sender, node_id: nodeId, amount,
    status: STATUS_ACTIVE, staked_at: ctx.epoch, locked_until: lockedUntil, withdrawal_requested: 0n, claimable_at: 0n,
  });
  ctx.destroy(payment); // coin::into_balance + balance::join
  pool.balance = m.join(pool.balance, amount);
  pool.total_staked = m.add(pool.total_staked, amount, 2);
  pool.active_stakes = m.add(pool.active_stakes, 1n, 3);
  ctx.tableAdd(pool.node_stakes.id, nodeId, record.id);
  pool.node_stakes.size += 1n;
  ctx.emit("staking", "StakeCreated", {
    stake_id: record.id, pool_id: pool.id, staker: ctx.sender, node_id: nodeId,
    amount: amount, locked_until: lockedUntil,
  });
  ctx.share(record);
}

/** staking::add_stake(pool, record, payment, ctx): a top-up in place; the lock does not move. */
export function addStake(ctx: MoveCtx, poolObj: StoredObject, recordObj: StoredObject, payment: StoredObject) {
  const fn = "add_stake";
  const pool = f<Pool>(poolObj);
  const rec = f<Record_>(recordObj);
  if (rec.pool_id !== pool.id) throw new MoveAbort("staking", fn, STAKING.EWrongPool, 1);
  if (rec.staker !== ctx.sender) throw new MoveAbort("staking", fn, STAKING.ENotStaker, 2);
  if (rec.status !== STATUS_ACTIVE) throw new MoveAbort("staking", fn, STAKING.EStakeNotActive, 3);
  const amount = f<{ balance: bigint }>(payment).balance;
  if (amount === 0n) throw new MoveAbort("staking", fn, STAKING.EZeroAmount, 4);

  const m = u64("staking", fn);
  ctx.destroy(payment); // coin::into_balance + balance::join
  pool.balance = m.join(pool.balance, amount);
  pool.total_staked = m.add(pool.total_staked, amount, 1);
  rec.amount = m.add(rec.amount, amount, 2);
  ctx.emit("staking", "StakeAdded", {
    stake_id: rec.id, pool_id: pool.id, staker: rec.staker, node_id: rec.node_id, amount, total: rec.amount,
  });
}

/**
 * staking::request_withdrawal(pool, record, amount, ctx): after the lock; the SUI stays in the
 * pool (slashable) until claim_withdrawal after the pool's cool-down. The whole amount turns an
 * active stake LEAVING; a part (active only) keeps the pool minimum staked.
 */
export function requestWithdrawal(ctx: MoveCtx, poolObj: StoredObject, recordObj: StoredObject, amount: bigint) {
  const fn = "request_withdrawal";
  const pool = f<Pool>(poolObj);
  const rec = f<Record_>(recordObj);
  if (rec.pool_id !== pool.id) throw new MoveAbort("staking", fn, STAKING.EWrongPool, 1);
  if (rec.staker !== ctx.sender) throw new MoveAbort("staking", fn, STAKING.ENotStaker, 2);
  if (rec.status !== STATUS_ACTIVE && rec.status !== STATUS_SLASHED) throw new MoveAbort("staking", fn, STAKING.EStakeNotActive, 3);
  if (rec.withdrawal_requested !== 0n) throw new MoveAbort("staking", fn, STAKING.EWithdrawalPending, 4);
  const epoch = ctx.epoch;
  if (epoch < rec.locked_until) throw new MoveAbort("staking", fn, STAKING.EStakeLocked, 5);
  if (amount === 0n) throw new MoveAbort("staking", fn, STAKING.EZeroAmount, 6);

  const m = u64("staking", fn);
  if (amount === rec.amount) {
    if (rec.status === STATUS_ACTIVE) {
      rec.status = STATUS_LEAVING;
      pool.active_stakes = m.sub(pool.active_stakes, 1n, 1);
    }
  } else if (!(rec.status === STATUS_ACTIVE && amount < rec.amount && m.sub(rec.amount, amount, 2) >= pool.min_node_stake)) {
    // A slashed stake can only ask for its whole remainder; `amount < rec.amount` first, as in
    // Move, so the subtraction (site 2) cannot underflow.
    throw new MoveAbort("staking", fn, STAKING.ERemainderBelowMinimum, 7);
  }
  const claimableAt = m.add(epoch, pool.withdrawal_cooldown_epochs, 3);
  rec.withdrawal_requested = amount;
  rec.claimable_at = claimableAt;
  ctx.emit("staking", "WithdrawalRequested", {
    stake_id: rec.id, pool_id: pool.id, staker: rec.staker, node_id: rec.node_id, amount, claimable_at: claimableAt,
  });
}

/**
 * staking::claim_withdrawal(pool, record, ctx): Coin<SUI>; the pending request once its
 * cool-down has passed. The whole amount withdraws the stake and frees its node id.
 */
export function claimWithdrawal(ctx: MoveCtx, poolObj: StoredObject, recordObj: StoredObject): StoredObject {
  const fn = "claim_withdrawal";
  const pool = f<Pool>(poolObj);
  const rec = f<Record_>(recordObj);
  if (rec.pool_id !== pool.id) throw new MoveAbort("staking", fn, STAKING.EWrongPool, 1);
  if (rec.staker !== ctx.sender) throw new MoveAbort("staking", fn, STAKING.ENotStaker, 2);
  if (rec.withdrawal_requested === 0n) throw new MoveAbort("staking", fn, STAKING.ENoWithdrawalRequested, 3);
  if (ctx.epoch < rec.claimable_at) throw new MoveAbort("staking", fn, STAKING.EWithdrawalCoolingDown, 4);

  const m = u64("staking", fn);
  const amount = rec.withdrawal_requested;
  if (amount === rec.amount) {
    rec.amount = 0n;
    rec.status = STATUS_WITHDRAWN;
    ctx.tableRemove(pool.node_stakes.id, rec.node_id);
    pool.node_stakes.size -= 1n;
    ctx.emit("staking", "StakeWithdrawn", {
      stake_id: rec.id, pool_id: pool.id, staker: rec.staker, node_id: rec.node_id, amount,
    });
  } else {
    rec.amount = m.sub(rec.amount, amount, 1);
    ctx.emit("staking", "StakeReduced", {
      stake_id: rec.id, pool_id: pool.id, staker: rec.staker, node_id: rec.node_id, amount, remaining: rec.amount,
    });
  }
  rec.withdrawal_requested = 0n;
  rec.claimable_at = 0n;
  pool.total_staked = m.sub(pool.total_staked, amount, 2);
  pool.balance = m.split(pool.balance, amount);
  return ctx.create("Coin", "coin", { id: ctx.freshId(), balance: amount });
}

/**
 * staking::transfer_stake(pool, record, new_staker, ctx): the stake changes hands in place
 * (same record, amount, lock, node id), so the node id is never free during a wallet migration.
 */
export function transferStake(ctx: MoveCtx, poolObj: StoredObject, recordObj: StoredObject, newStaker: string) {
  const fn = "transfer_stake";
  const pool = f<Pool>(poolObj);
  const rec = f<Record_>(recordObj);
  if (rec.pool_id !== pool.id) throw new MoveAbort("staking", fn, STAKING.EWrongPool, 1);
  if (rec.staker !== ctx.sender) throw new MoveAbort("staking", fn, STAKING.ENotStaker, 2);
  if (rec.status !== STATUS_ACTIVE) throw new MoveAbort("staking", fn, STAKING.EStakeNotActive, 3);
  if (rec.withdrawal_requested !== 0n) throw new MoveAbort("staking", fn, STAKING.EWithdrawalPending, 4);
  if (newStaker === rec.staker) throw new MoveAbort("staking", fn, STAKING.ESameStaker, 5);

  const from = rec.staker;
  rec.staker = newStaker;
  ctx.emit("staking", "StakeTransferred", { stake_id: rec.id, pool_id: pool.id, node_id: rec.node_id, from, to: newStaker });
}

/**
 * staking::slash_stake(cap, pool, record, amount, reason, ctx): an active or leaving stake
 * (slashable until claimed). A pending request becomes one for the whole remainder; a slash of
 * the whole amount frees the node id at once.
 */
export function slashStake(ctx: MoveCtx, cap: StoredObject, poolObj: StoredObject, recordObj: StoredObject, amount: bigint, reason: string) {
  const fn = "slash_stake";
  const pool = f<Pool>(poolObj);
  const rec = f<Record_>(recordObj);
  if (f<{ pool_id: string }>(cap).pool_id !== pool.id || rec.pool_id !== pool.id) throw new MoveAbort("staking", fn, STAKING.EWrongPool, 1);
  if (rec.status !== STATUS_ACTIVE && rec.status !== STATUS_LEAVING) throw new MoveAbort("staking", fn, STAKING.EStakeNotActive, 2);
  if (amount === 0n || amount > rec.amount) throw new MoveAbort("staking", fn, STAKING.EInvalidSlashAmount, 3);

  const m = u64("staking", fn);
  pool.balance = m.split(pool.balance, amount);
  pool.slashed = m.join(pool.slashed, amount);
  pool.total_staked = m.sub(pool.total_staked, amount, 1);
  pool.total_slashed = m.add(pool.total_slashed, amount, 2);
  if (rec.status === STATUS_ACTIVE) pool.active_stakes = m.sub(pool.active_stakes, 1n, 3);
  rec.amount = m.sub(rec.amount, amount, 4);
  rec.status = STATUS_SLASHED;
  if (rec.amount === 0n) {
    // Nothing left to claim: the node id is free at once, and no request stays pending.
    ctx.tableRemove(pool.node_stakes.id, rec.node_id);
    pool.node_stakes.size -= 1n;
    rec.withdrawal_requested = 0n;
    rec.claimable_at = 0n;
  } else if (rec.withdrawal_requested > 0n) {
    // A pending request is now for the whole remainder (same claimable_at).
    rec.withdrawal_requested = rec.amount;
  }
  // Otherwise the node id stays taken until the staker claims the remainder: a slashed node
  // cannot rejoin under a fresh stake while its slashed record is still live.
  ctx.emit("staking", "StakeSlashed", {
    stake_id: rec.id, pool_id: pool.id, node_id: rec.node_id, amount: amount,
    remaining: rec.amount, reason,
  });
}

// ---- k8s_gateway ------------------------------------------------------------------------

/** k8s_gateway::init: the registry, empty until the admin sets it. */
export function gatewayInit(ctx: MoveCtx): StoredObject {
  const reg = ctx.create("NautilusRegistry", "k8s_gateway::NautilusRegistry", {
    id: ctx.freshId(), endpoint: "", enclave_pubkey: new Uint8Array(), updated_at: 0n,
  });
  ctx.share(reg);
  return reg;
}

/** k8s_gateway::create_worker_seal_token(record, worker_pubkey, ctx) */
export function createWorkerSealToken(ctx: MoveCtx, recordObj: StoredObject, workerPubkey: Uint8Array) {
  const fn = "create_worker_seal_token";
  const rec = f<Record_>(recordObj);
  if (rec.staker !== ctx.sender) throw new MoveAbort("k8s_gateway", fn, GATEWAY.ENotStaker, 1);
  if (rec.status !== STATUS_ACTIVE) throw new MoveAbort("k8s_gateway", fn, GATEWAY.EStakeNotActive, 2);
  if (workerPubkey.length !== 32) throw new MoveAbort("k8s_gateway", fn, GATEWAY.EInvalidWorkerKey, 3);
  const expiresAt = u64("k8s_gateway", fn).add(ctx.epoch, SEAL_TOKEN_VALIDITY_EPOCHS, 1);
  const token = ctx.create("SealToken", "k8s_gateway::SealToken", {
    id: ctx.freshId(), stake_id: rec.id, node_id: rec.node_id, worker_pubkey: workerPubkey,
    permissions: [...SEAL_TOKEN_PERMISSIONS], issued_at: ctx.epoch, expires_at: expiresAt,
  });
  token.hasPublicTransfer = false; // key only: soulbound to the staker
  ctx.emit("k8s_gateway", "SealTokenCreated", {
    token_id: token.id, stake_id: rec.id, node_id: rec.node_id, owner: ctx.sender,
    expires_at: expiresAt,
  });
  ctx.transfer(token, ctx.sender);
}

/** k8s_gateway::revoke_seal_token(token) */
export function revokeSealToken(ctx: MoveCtx, token: StoredObject) {
  const t = token.fields as { id: string; stake_id: string; node_id: string };
  ctx.emit("k8s_gateway", "SealTokenRevoked", { token_id: t.id, stake_id: t.stake_id, node_id: t.node_id });
  ctx.destroy(token);
}

/** k8s_gateway::set_registry(cap, pool, registry, endpoint, enclave_pubkey, ctx) */
export function setRegistry(ctx: MoveCtx, cap: StoredObject, poolObj: StoredObject, regObj: StoredObject, endpoint: string, enclavePubkey: Uint8Array) {
  const fn = "set_registry";
  if (f<{ pool_id: string }>(cap).pool_id !== f<Pool>(poolObj).id) throw new MoveAbort("k8s_gateway", fn, GATEWAY.EWrongPool, 1);
  const len = new TextEncoder().encode(endpoint).length;
  if (len === 0 || len > 256) throw new MoveAbort("k8s_gateway", fn, GATEWAY.EInvalidEndpoint, 2);
  if (enclavePubkey.length !== 32) throw new MoveAbort("k8s_gateway", fn, GATEWAY.EInvalidEnclaveKey, 3);
  const reg = regObj.fields as { id: string; endpoint: string; enclave_pubkey: Uint8Array; updated_at: bigint };
  reg.endpoint = endpoint;
  reg.enclave_pubkey = enclavePubkey;
  reg.updated_at = ctx.epoch;
  ctx.emit("k8s_gateway", "RegistryUpdated", { registry_id: reg.id, endpoint, updated_at: ctx.epoch });
}
