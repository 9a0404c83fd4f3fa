/// Stake-gated membership for K3s-DaaS worker nodes.
///
/// One shared `StakingPool` holds every stake. A stake is a shared `StakeRecord` (shared so
/// both the staker, who withdraws, and the admin, who slashes, can use it in transactions).
/// `node_stakes` maps a node id to its live record, so one node id cannot hold two live stakes.
///
/// Withdrawal takes two steps with a cool-down between them. `request_withdrawal` (after
/// `locked_until`) names the amount; `claim_withdrawal` pays it out once
/// `withdrawal_cooldown_epochs` have passed since the request. Until it is claimed the SUI stays
/// in the pool and stays slashable: a full request turns an active stake LEAVING (the node no
/// longer serves, it cannot mint seal tokens) and `slash_stake` still reaches it. Before this, a
/// withdrawal was instant once the lock had passed, so slashing could be dodged once the lock
/// had passed: a staker who expected a slash withdrew first.
///
/// A slashed stake keeps its node id taken until the staker claims what is left: a node that
/// was slashed cannot rejoin under a fresh stake while its slashed record is still live. A slash
/// that takes the whole amount leaves nothing to claim, so it frees the node id at once (status
/// SLASHED, amount 0).
///
/// `transfer_stake` hands a stake to another address in place (same record, amount, lock and
/// node id), for a wallet migration: the node id is never free in between, as it would be
/// between a withdrawal and a fresh stake from the new wallet. Seal tokens minted by the old
/// staker stop counting, since every reader requires a token's owner to be its stake's staker.
///
/// Accounting: `total_staked` is the MIST held by live stakes (active and leaving ones, and what
/// is left of slashed ones, until it is claimed), so it always equals `balance`: every function
/// that moves SUI into or out of `balance` moves `total_staked` by the same amount (a request
/// moves nothing; the claim does). (Up to the first release it only grew, so a top-up and a
/// partial withdrawal of the same coin, repeated, could push it to u64::MAX and make every later
/// stake abort on overflow.)
///
/// The devnet executes a TypeScript model of this module (devnet/chain/model.ts); keep both in
/// step, abort codes included (see move/README.md).
module k3s_daas::staking;

use std::string::String;
use sui::balance::{Self, Balance};
use sui::coin::{Self, Coin};
use sui::event;
use sui::sui::SUI;
use sui::table::{Self, Table};

// === Abort codes ===
const EInsufficientStake: u64 = 1;
const ENodeAlreadyStaked: u64 = 2;
const EInvalidNodeId: u64 = 3;
const ENotStaker: u64 = 4;
const EStakeLocked: u64 = 5;
const EStakeNotActive: u64 = 6;
/// No function aborts with it since withdraw_stake was replaced by request/claim; kept so no
/// code is ever reused with another meaning.
#[allow(unused_const)]
const EAlreadyWithdrawn: u64 = 7;
const EInvalidSlashAmount: u64 = 8;
const EWrongPool: u64 = 9;
const EInvalidParams: u64 = 10;
const EZeroAmount: u64 = 11;
const ERemainderBelowMinimum: u64 = 12;
const EWithdrawalPending: u64 = 13;
const ENoWithdrawalRequested: u64 = 14;
const EWithdrawalCoolingDown: u64 = 15;
const ESameStaker: u64 = 16;

// === Stake status ===
const STATUS_ACTIVE: u8 = 1;
const STATUS_SLASHED: u8 = 2;
const STATUS_WITHDRAWN: u8 = 3;
/// A full withdrawal was requested: the node no longer serves; still slashable until claimed.
const STATUS_LEAVING: u8 = 4;

const MAX_NODE_ID_BYTES: u64 = 64;
/// Defaults at publish; the admin tunes them with `set_pool_params`.
const DEFAULT_MIN_NODE_STAKE: u64 = 1_000_000_000; // 1 SUI
const DEFAULT_LOCK_EPOCHS: u64 = 7; // a week on testnet/mainnet (24 h epochs)
const DEFAULT_WITHDRAWAL_COOLDOWN_EPOCHS: u64 = 2;

public struct StakingPool has key {
    id: UID,
    /// Live stakes (active, leaving, and the unslashed remainder of slashed ones).
    balance: Balance<SUI>,
    /// Slashed funds; stay in the pool (no withdrawal path in this version).
    slashed: Balance<SUI>,
    min_node_stake: u64,
    lock_epochs: u64,
    /// Epochs between a withdrawal request and the earliest claim.
    withdrawal_cooldown_epochs: u64,
    node_stakes: Table<String, ID>,
    /// MIST in live stakes: always equal to `balance` (see the module's accounting note).
    total_staked: u64,
    total_slashed: u64,
    active_stakes: u64,
}

/// Authority to slash and to set pool and registry parameters. Bound to one pool.
public struct AdminCap has key, store {
    id: UID,
    pool_id: ID,
}

public struct StakeRecord has key {
    id: UID,
    pool_id: ID,
    staker: address,
    node_id: String,
    /// MIST still staked: reduced by slashing and by a claimed withdrawal, 0 once withdrawn.
    amount: u64,
    status: u8,
    staked_at: u64,
    locked_until: u64,
    /// MIST requested out and not yet claimed; 0 when no request is pending.
    withdrawal_requested: u64,
    /// The epoch from which the pending request can be claimed; 0 when none is pending.
    claimable_at: u64,
}

public struct StakeCreated has copy, drop {
    stake_id: ID,
    pool_id: ID,
    staker: address,
    node_id: String,
    amount: u64,
    locked_until: u64,
}

public struct StakeWithdrawn has copy, drop {
    stake_id: ID,
    pool_id: ID,
    staker: address,
    node_id: String,
    amount: u64,
}

public struct StakeSlashed has copy, drop {
    stake_id: ID,
    pool_id: ID,
    node_id: String,
    amount: u64,
    remaining: u64,
    reason: String,
}

public struct StakeAdded has copy, drop {
    stake_id: ID,
    pool_id: ID,
    staker: address,
    node_id: String,
    amount: u64,
    /// The stake's amount after the top-up.
    total: u64,
}

public struct StakeReduced has copy, drop {
    stake_id: ID,
    pool_id: ID,
    staker: address,
    node_id: String,
    amount: u64,
    /// What stays staked (at least the pool's minimum).
    remaining: u64,
}

public struct WithdrawalRequested has copy, drop {
    stake_id: ID,
    pool_id: ID,
    staker: address,
    node_id: String,
    amount: u64,
    claimable_at: u64,
}

public struct StakeTransferred has copy, drop {
    stake_id: ID,
    pool_id: ID,
    node_id: String,
    from: address,
    to: address,
}

public struct PoolParamsUpdated has copy, drop {
    pool_id: ID,
    min_node_stake: u64,
    lock_epochs: u64,
    withdrawal_cooldown_epochs: u64,
}

fun init(ctx: &mut TxContext) {
    let (pool, cap) = new_pool(ctx);
    transfer::share_object(pool);
    transfer::transfer(cap, ctx.sender());
}

fun new_pool(ctx: &mut TxContext): (StakingPool, AdminCap) {
    let pool = StakingPool {
        id: object::new(ctx),
        balance: balance::zero(),
        slashed: balance::zero(),
        min_node_stake: DEFAULT_MIN_NODE_STAKE,
        lock_epochs: DEFAULT_LOCK_EPOCHS,
        withdrawal_cooldown_epochs: DEFAULT_WITHDRAWAL_COOLDOWN_EPOCHS,
        node_stakes: table::new(ctx),
        total_staked: 0,
        total_slashed: 0,
        active_stakes: 0,
    };
    let cap = AdminCap { id: object::new(ctx), pool_id: object::id(&pool) };
    (pool, cap)
}

/// Stake `payment` for `node_id`. The record is shared; its id is in the StakeCreated event.
public fun stake_for_node(
    pool: &mut StakingPool,
    payment: Coin<SUI>,
    node_id: String,
    ctx: &mut TxContext,
) {
    let len = node_id.length();
    assert!(len > 0 && len <= MAX_NODE_ID_BYTES, EInvalidNodeId);
    let amount = payment.value();
    assert!(amount >= pool.min_node_stake, EInsufficientStake);
    assert!(!pool.node_stakes.contains(node_id), ENodeAlreadyStaked);

    let epoch = ctx.epoch();
    let locked_until = epoch + pool.lock_epochs;
    let record = StakeRecord {
        id: object::new(ctx),
        pool_id: object::id(pool),
        staker: ctx.sender(),
        node_id,
        amount,
        status: STATUS_ACTIVE,
        staked_at: epoch,
        locked_until,
        withdrawal_requested: 0,
        claimable_at: 0,
    };
    let stake_id = object::id(&record);
    pool.balance.join(payment.into_balance());
    pool.total_staked = pool.total_staked + amount;
    pool.active_stakes = pool.active_stakes + 1;
    pool.node_stakes.add(node_id, stake_id);
    event::emit(StakeCreated {
        stake_id,
        pool_id: object::id(pool),
        staker: ctx.sender(),
        node_id,
        amount,
        locked_until,
    });
    transfer::share_object(record);
}

/// Add `payment` to an active stake (staker only), in place: same record, same node id. The lock
/// is not moved: once it has passed, the whole stake can be requested out at any time anyway
/// (and stays slashable through the cool-down), so restarting it for a top-up would hold nothing
/// more at risk.
public fun add_stake(
    pool: &mut StakingPool,
    record: &mut StakeRecord,
    payment: Coin<SUI>,
    ctx: &mut TxContext,
) {
    assert!(record.pool_id == object::id(pool), EWrongPool);
    assert!(record.staker == ctx.sender(), ENotStaker);
    assert!(record.status == STATUS_ACTIVE, EStakeNotActive);
    let amount = payment.value();
    assert!(amount > 0, EZeroAmount);

    pool.balance.join(payment.into_balance());
    pool.total_staked = pool.total_staked + amount;
    record.amount = record.amount + amount;
    event::emit(StakeAdded {
        stake_id: object::id(record),
        pool_id: object::id(pool),
        staker: record.staker,
        node_id: record.node_id,
        amount,
        total: record.amount,
    });
}

/// Ask for `amount` of a stake back (staker only), once the lock has passed. The SUI stays in
/// the pool, slashable, until `claim_withdrawal` after the pool's cool-down. The whole amount: an
/// active stake turns LEAVING (no longer active: the node stops serving), a slashed one stays
/// slashed. A part (active stakes only): at least the pool's current minimum must stay staked,
/// and the stake stays active. One request at a time.
public fun request_withdrawal(
    pool: &mut StakingPool,
    record: &mut StakeRecord,
    amount: u64,
    ctx: &mut TxContext,
) {
    assert!(record.pool_id == object::id(pool), EWrongPool);
    assert!(record.staker == ctx.sender(), ENotStaker);
    assert!(record.status == STATUS_ACTIVE || record.status == STATUS_SLASHED, EStakeNotActive);
    assert!(record.withdrawal_requested == 0, EWithdrawalPending);
    let epoch = ctx.epoch();
    assert!(epoch >= record.locked_until, EStakeLocked);
    assert!(amount > 0, EZeroAmount);

    if (amount == record.amount) {
        if (record.status == STATUS_ACTIVE) {
            record.status = STATUS_LEAVING;
            pool.active_stakes = pool.active_stakes - 1;
        };
    } else {
        // A slashed stake can only ask for its whole remainder. `amount < record.amount` before
        // the subtraction, so it cannot underflow.
        assert!(
            record.status == STATUS_ACTIVE && amount < record.amount && record.amount - amount >= pool.min_node_stake,
            ERemainderBelowMinimum,
        );
    };
    let claimable_at = epoch + pool.withdrawal_cooldown_epochs;
    record.withdrawal_requested = amount;
    record.claimable_at = claimable_at;
    event::emit(WithdrawalRequested {
        stake_id: object::id(record),
        pool_id: object::id(pool),
        staker: record.staker,
        node_id: record.node_id,
        amount,
        claimable_at,
    });
}

/// Pay out a pending withdrawal request (staker only) once its cool-down has passed. The whole
/// amount (a leaving or slashed stake): the stake is withdrawn and frees its node id. A part: the
/// stake stays active with the rest.
public fun claim_withdrawal(
    pool: &mut StakingPool,
    record: &mut StakeRecord,
    ctx: &mut TxContext,
): Coin<SUI> {
    assert!(record.pool_id == object::id(pool), EWrongPool);
    assert!(record.staker == ctx.sender(), ENotStaker);
    assert!(record.withdrawal_requested > 0, ENoWithdrawalRequested);
    assert!(ctx.epoch() >= record.claimable_at, EWithdrawalCoolingDown);

    let amount = record.withdrawal_requested;
    if (amount == record.amount) {
        record.amount = 0;
        record.status = STATUS_WITHDRAWN;
        pool.node_stakes.remove(record.node_id);
        event::emit(StakeWithdrawn {
            stake_id: object::id(record),
            pool_id: object::id(pool),
            staker: record.staker,
            node_id: record.node_id,
            amount,
        });
    } else {
        record.amount = record.amount - amount;
        event::emit(StakeReduced {
            stake_id: object::id(record),
            pool_id: object::id(pool),
            staker: record.staker,
            node_id: record.node_id,
            amount,
            remaining: record.amount,
        });
    };
    record.withdrawal_requested = 0;
    record.claimable_at = 0;
    pool.total_staked = pool.total_staked - amount;
    coin::from_balance(pool.balance.split(amount), ctx)
}

/// Hand an active stake to `new_staker` (staker only), in place: the record, its amount, lock and
/// node id stay as they are, so the node id is never free (a wallet migration without a gap).
/// Not with a withdrawal pending. Seal tokens the old staker holds stop counting for the node:
/// every reader requires a token's owner to be its stake's staker; the new staker mints its own.
public fun transfer_stake(
    pool: &StakingPool,
    record: &mut StakeRecord,
    new_staker: address,
    ctx: &mut TxContext,
) {
    assert!(record.pool_id == object::id(pool), EWrongPool);
    assert!(record.staker == ctx.sender(), ENotStaker);
    assert!(record.status == STATUS_ACTIVE, EStakeNotActive);
    assert!(record.withdrawal_requested == 0, EWithdrawalPending);
    assert!(new_staker != record.staker, ESameStaker);

    let from = record.staker;
    record.staker = new_staker;
    event::emit(StakeTransferred {
        stake_id: object::id(record),
        pool_id: object::id(pool),
        node_id: record.node_id,
        from,
        to: new_staker,
    });
}

/// Admin: take `amount` of an active or leaving stake (slashable until its withdrawal is
/// claimed) into the pool's slashed balance. The stake turns SLASHED; a pending withdrawal
/// request becomes one for the whole remainder (same `claimable_at`). A slash of the whole
/// amount leaves nothing to claim: the node id is freed at once and no request stays pending.
public fun slash_stake(
    cap: &AdminCap,
    pool: &mut StakingPool,
    record: &mut StakeRecord,
    amount: u64,
    reason: String,
    _ctx: &mut TxContext,
) {
    assert!(cap.pool_id == object::id(pool) && record.pool_id == object::id(pool), EWrongPool);
    assert!(record.status == STATUS_ACTIVE || record.status == STATUS_LEAVING, EStakeNotActive);
    assert!(amount > 0 && amount <= record.amount, EInvalidSlashAmount);

    pool.slashed.join(pool.balance.split(amount));
    pool.total_staked = pool.total_staked - amount;
    pool.total_slashed = pool.total_slashed + amount;
    if (record.status == STATUS_ACTIVE) pool.active_stakes = pool.active_stakes - 1;
    record.amount = record.amount - amount;
    record.status = STATUS_SLASHED;
    if (record.amount == 0) {
        pool.node_stakes.remove(record.node_id);
        record.withdrawal_requested = 0;
        record.claimable_at = 0;
    } else if (record.withdrawal_requested > 0) {
        record.withdrawal_requested = record.amount;
    };
    event::emit(StakeSlashed {
        stake_id: object::id(record),
        pool_id: object::id(pool),
        node_id: record.node_id,
        amount,
        remaining: record.amount,
        reason,
    });
}

/// Admin: set the minimum stake and the lock (in epochs) for new stakes, and the cool-down (in
/// epochs) between a withdrawal request and its claim (for requests made from now on).
public fun set_pool_params(
    cap: &AdminCap,
    pool: &mut StakingPool,
    min_node_stake: u64,
    lock_epochs: u64,
    withdrawal_cooldown_epochs: u64,
    _ctx: &mut TxContext,
) {
    assert!(cap.pool_id == object::id(pool), EWrongPool);
    assert!(min_node_stake > 0, EInvalidParams);
    pool.min_node_stake = min_node_stake;
    pool.lock_epochs = lock_epochs;
    pool.withdrawal_cooldown_epochs = withdrawal_cooldown_epochs;
    event::emit(PoolParamsUpdated {
        pool_id: object::id(pool),
        min_node_stake,
        lock_epochs,
        withdrawal_cooldown_epochs,
    });
}

// === Read accessors (used by k8s_gateway and by other packages) ===

public fun staker(record: &StakeRecord): address { record.staker }
public fun node_id(record: &StakeRecord): String { record.node_id }
public fun amount(record: &StakeRecord): u64 { record.amount }
public fun status(record: &StakeRecord): u8 { record.status }
public fun is_active(record: &StakeRecord): bool { record.status == STATUS_ACTIVE }
public fun locked_until(record: &StakeRecord): u64 { record.locked_until }
public fun withdrawal_requested(record: &StakeRecord): u64 { record.withdrawal_requested }
public fun claimable_at(record: &StakeRecord): u64 { record.claimable_at }
public fun record_pool_id(record: &StakeRecord): ID { record.pool_id }
public fun cap_pool_id(cap: &AdminCap): ID { cap.pool_id }
public fun min_node_stake(pool: &StakingPool): u64 { pool.min_node_stake }
public fun lock_epochs(pool: &StakingPool): u64 { pool.lock_epochs }
public fun withdrawal_cooldown_epochs(pool: &StakingPool): u64 { pool.withdrawal_cooldown_epochs }
public fun pool_balance(pool: &StakingPool): u64 { pool.balance.value() }
public fun total_staked(pool: &StakingPool): u64 { pool.total_staked }
public fun slashed_balance(pool: &StakingPool): u64 { pool.slashed.value() }
public fun stake_id_for_node(pool: &StakingPool, node_id: String): Option<ID> {
    if (pool.node_stakes.contains(node_id)) option::some(*pool.node_stakes.borrow(node_id))
    else option::none()
}

#[test_only]
public fun new_pool_for_testing(ctx: &mut TxContext): (StakingPool, AdminCap) { new_pool(ctx) }

#[test_only]
public fun share_pool_for_testing(pool: StakingPool) { transfer::share_object(pool) }

#[test_only]
public fun status_active(): u8 { STATUS_ACTIVE }
#[test_only]
public fun status_slashed(): u8 { STATUS_SLASHED }
#[test_only]
public fun status_withdrawn(): u8 { STATUS_WITHDRAWN }
#[test_only]
public fun status_leaving(): u8 { STATUS_LEAVING }
