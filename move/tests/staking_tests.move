#[test_only]
module k3s_daas::staking_tests;

use k3s_daas::staking::{Self, AdminCap, StakeRecord, StakingPool};
use std::string::utf8;
use sui::coin;
use sui::sui::SUI;
use sui::test_scenario::{Self as ts, Scenario};

const ADMIN: address = @0xAD;
const ALICE: address = @0xA1;
const BOB: address = @0xB0;
const SUI_1: u64 = 1_000_000_000;

/// Pool with min stake 1 SUI and a 2-epoch lock, shared; AdminCap with ADMIN.
fun setup(): Scenario {
    let mut s = ts::begin(ADMIN);
    let (mut pool, cap) = staking::new_pool_for_testing(s.ctx());
    staking::set_pool_params(&cap, &mut pool, SUI_1, 2, s.ctx());
    staking::share_pool_for_testing(pool);
    transfer::public_transfer(cap, ADMIN);
    s
}

fun stake(s: &mut Scenario, who: address, node: vector<u8>, amount: u64) {
    s.next_tx(who);
    let mut pool = s.take_shared<StakingPool>();
    let payment = coin::mint_for_testing<SUI>(amount, s.ctx());
    staking::stake_for_node(&mut pool, payment, utf8(node), s.ctx());
    ts::return_shared(pool);
}

#[test]
fun stake_creates_shared_record_and_indexes_node() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 2 * SUI_1);
    s.next_tx(ALICE);
    let pool = s.take_shared<StakingPool>();
    let record = s.take_shared<StakeRecord>();
    assert!(staking::staker(&record) == ALICE);
    assert!(staking::node_id(&record) == utf8(b"worker-1"));
    assert!(staking::amount(&record) == 2 * SUI_1);
    assert!(staking::status(&record) == staking::status_active());
    assert!(staking::locked_until(&record) == 2);
    assert!(staking::pool_balance(&pool) == 2 * SUI_1);
    assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
    ts::return_shared(record);
    ts::return_shared(pool);
    s.end();
}

#[test, expected_failure(abort_code = staking::EInsufficientStake)]
fun stake_below_minimum_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-3", SUI_1 / 2);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENodeAlreadyStaked)]
fun second_live_stake_for_node_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    stake(&mut s, BOB, b"worker-1", SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::EInvalidNodeId)]
fun empty_node_id_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"", SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeLocked)]
fun withdraw_before_lock_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    s.next_tx(ALICE);
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    let c = staking::withdraw_stake(&mut pool, &mut record, s.ctx());
    coin::burn_for_testing(c);
    ts::return_shared(record);
    ts::return_shared(pool);
    s.end();
}

#[test]
fun withdraw_after_lock_returns_coin_and_frees_node() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    s.next_epoch(ALICE);
    s.next_epoch(ALICE);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::withdraw_stake(&mut pool, &mut record, s.ctx());
        assert!(c.value() == 3 * SUI_1);
        assert!(staking::status(&record) == staking::status_withdrawn());
        assert!(staking::amount(&record) == 0);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_none());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    // The node id can be staked again.
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker)]
fun withdraw_by_other_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    s.next_epoch(BOB);
    s.next_epoch(BOB);
    s.next_tx(BOB);
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    let c = staking::withdraw_stake(&mut pool, &mut record, s.ctx());
    coin::burn_for_testing(c);
    ts::return_shared(record);
    ts::return_shared(pool);
    s.end();
}

#[test]
fun slash_sets_status_keeps_node_and_remainder_is_withdrawable() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, SUI_1, utf8(b"missed heartbeats"), s.ctx());
        assert!(staking::status(&record) == staking::status_slashed());
        assert!(staking::amount(&record) == 2 * SUI_1);
        assert!(staking::slashed_balance(&pool) == SUI_1);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_some());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ALICE);
    s.next_epoch(ALICE);
    s.next_tx(ALICE);
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    let c = staking::withdraw_stake(&mut pool, &mut record, s.ctx());
    assert!(c.value() == 2 * SUI_1);
    coin::burn_for_testing(c);
    ts::return_shared(record);
    ts::return_shared(pool);
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive)]
fun slash_twice_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    s.next_tx(ADMIN);
    let cap = s.take_from_sender<AdminCap>();
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    staking::slash_stake(&cap, &mut pool, &mut record, 1, utf8(b"a"), s.ctx());
    staking::slash_stake(&cap, &mut pool, &mut record, 1, utf8(b"b"), s.ctx());
    s.return_to_sender(cap);
    ts::return_shared(record);
    ts::return_shared(pool);
    s.end();
}

#[test, expected_failure(abort_code = staking::EInvalidSlashAmount)]
fun slash_more_than_stake_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    s.next_tx(ADMIN);
    let cap = s.take_from_sender<AdminCap>();
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    staking::slash_stake(&cap, &mut pool, &mut record, SUI_1 + 1, utf8(b"x"), s.ctx());
    s.return_to_sender(cap);
    ts::return_shared(record);
    ts::return_shared(pool);
    s.end();
}

#[test, expected_failure(abort_code = staking::EWrongPool)]
fun cap_of_other_pool_cannot_set_params() {
    let mut s = setup();
    s.next_tx(ADMIN);
    let (other_pool, other_cap) = staking::new_pool_for_testing(s.ctx());
    let mut pool = s.take_shared<StakingPool>();
    staking::set_pool_params(&other_cap, &mut pool, SUI_1, 1, s.ctx());
    ts::return_shared(pool);
    staking::share_pool_for_testing(other_pool);
    transfer::public_transfer(other_cap, ADMIN);
    s.end();
}

#[test, expected_failure(abort_code = staking::EInvalidParams)]
fun zero_min_stake_aborts() {
    let mut s = setup();
    s.next_tx(ADMIN);
    let cap = s.take_from_sender<AdminCap>();
    let mut pool = s.take_shared<StakingPool>();
    staking::set_pool_params(&cap, &mut pool, 0, 1, s.ctx());
    s.return_to_sender(cap);
    ts::return_shared(pool);
    s.end();
}

fun top_up(s: &mut Scenario, who: address, amount: u64) {
    s.next_tx(who);
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(amount, s.ctx()), s.ctx());
    ts::return_shared(record);
    ts::return_shared(pool);
}

fun reduce(s: &mut Scenario, who: address, amount: u64): u64 {
    s.next_tx(who);
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    let c = staking::withdraw_partial(&mut pool, &mut record, amount, s.ctx());
    let value = c.value();
    coin::burn_for_testing(c);
    ts::return_shared(record);
    ts::return_shared(pool);
    value
}

#[test]
fun add_stake_tops_up_in_place_without_moving_the_lock() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 2 * SUI_1);
    s.next_epoch(ALICE);
    top_up(&mut s, ALICE, SUI_1);
    s.next_tx(ALICE);
    let pool = s.take_shared<StakingPool>();
    let record = s.take_shared<StakeRecord>();
    assert!(staking::amount(&record) == 3 * SUI_1);
    assert!(staking::status(&record) == staking::status_active());
    assert!(staking::locked_until(&record) == 2);
    assert!(staking::pool_balance(&pool) == 3 * SUI_1);
    assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
    ts::return_shared(record);
    ts::return_shared(pool);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker)]
fun add_stake_by_other_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    top_up(&mut s, BOB, SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::EZeroAmount)]
fun add_stake_of_nothing_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    top_up(&mut s, ALICE, 0);
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive)]
fun add_stake_to_withdrawn_stake_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    s.next_epoch(ALICE);
    s.next_epoch(ALICE);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        coin::burn_for_testing(staking::withdraw_stake(&mut pool, &mut record, s.ctx()));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    top_up(&mut s, ALICE, SUI_1);
    s.end();
}

#[test]
fun withdraw_partial_after_lock_keeps_the_record_live() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    s.next_epoch(ALICE);
    s.next_epoch(ALICE);
    assert!(reduce(&mut s, ALICE, SUI_1) == SUI_1);
    // Down to exactly the minimum is allowed.
    assert!(reduce(&mut s, ALICE, SUI_1) == SUI_1);
    s.next_tx(ALICE);
    let pool = s.take_shared<StakingPool>();
    let record = s.take_shared<StakeRecord>();
    assert!(staking::amount(&record) == SUI_1);
    assert!(staking::status(&record) == staking::status_active());
    assert!(staking::pool_balance(&pool) == SUI_1);
    assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
    ts::return_shared(record);
    ts::return_shared(pool);
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeLocked)]
fun withdraw_partial_before_lock_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    s.next_epoch(ALICE);
    reduce(&mut s, ALICE, SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ERemainderBelowMinimum)]
fun withdraw_partial_below_minimum_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    s.next_epoch(ALICE);
    s.next_epoch(ALICE);
    reduce(&mut s, ALICE, 2 * SUI_1 + 1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ERemainderBelowMinimum)]
fun withdraw_partial_of_everything_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    s.next_epoch(ALICE);
    s.next_epoch(ALICE);
    reduce(&mut s, ALICE, 4 * SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker)]
fun withdraw_partial_by_other_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    s.next_epoch(ALICE);
    s.next_epoch(ALICE);
    reduce(&mut s, BOB, SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::EZeroAmount)]
fun withdraw_partial_of_nothing_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    s.next_epoch(ALICE);
    s.next_epoch(ALICE);
    reduce(&mut s, ALICE, 0);
    s.end();
}

// === total_staked: the SUI in live stakes, never SUI ever staked ===

const U64_MAX: u64 = 18_446_744_073_709_551_615;

fun assert_totals(s: &mut Scenario, total: u64) {
    s.next_tx(ADMIN);
    let pool = s.take_shared<StakingPool>();
    assert!(staking::total_staked(&pool) == total);
    assert!(staking::pool_balance(&pool) == total);
    ts::return_shared(pool);
}

#[test]
/// The freeze of issue 23: a top-up and a partial withdrawal of the same coin, repeated. When
/// total_staked only grew, the second round of the largest coin a pool can take overflowed it
/// and every later stake_for_node / add_stake aborted. Now each round leaves it where it was.
fun top_up_then_partial_withdrawal_cycles_do_not_grow_the_total() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    s.next_epoch(ALICE);
    s.next_epoch(ALICE);
    let big = U64_MAX - SUI_1; // the pool's balance reaches u64::MAX on each top-up
    let mut round = 0;
    while (round < 5) {
        top_up(&mut s, ALICE, big);
        assert_totals(&mut s, U64_MAX);
        assert!(reduce(&mut s, ALICE, big) == big);
        assert_totals(&mut s, SUI_1);
        round = round + 1;
    };
    // The pool still takes new stakes.
    stake(&mut s, BOB, b"worker-2", SUI_1);
    assert_totals(&mut s, 2 * SUI_1);
    s.end();
}

#[test]
/// total_staked follows every movement of live stake: stakes and top-ups add, partial and full
/// withdrawals and slashes subtract; it always equals the pool's balance.
fun total_staked_is_the_sum_of_live_stakes() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    stake(&mut s, BOB, b"worker-2", 2 * SUI_1);
    assert_totals(&mut s, 5 * SUI_1);
    top_up(&mut s, BOB, SUI_1);
    assert_totals(&mut s, 6 * SUI_1);
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    // Slash 1 SUI of BOB's 3: his 2 SUI remainder is still live (withdrawable), the slashed SUI is not.
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared_by_id<StakeRecord>(option::destroy_some(staking::stake_id_for_node(&pool, utf8(b"worker-2"))));
        staking::slash_stake(&cap, &mut pool, &mut record, SUI_1, utf8(b"test"), s.ctx());
        assert!(staking::slashed_balance(&pool) == SUI_1);
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 5 * SUI_1);
    // ALICE takes 2 SUI back and keeps the minimum staked.
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared_by_id<StakeRecord>(option::destroy_some(staking::stake_id_for_node(&pool, utf8(b"worker-1"))));
        coin::burn_for_testing(staking::withdraw_partial(&mut pool, &mut record, 2 * SUI_1, s.ctx()));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 3 * SUI_1);
    // BOB withdraws his slashed remainder, ALICE her last SUI: nothing is live any more.
    s.next_tx(BOB);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared_by_id<StakeRecord>(option::destroy_some(staking::stake_id_for_node(&pool, utf8(b"worker-2"))));
        assert!(coin::burn_for_testing(staking::withdraw_stake(&mut pool, &mut record, s.ctx())) == 2 * SUI_1);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, SUI_1);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared_by_id<StakeRecord>(option::destroy_some(staking::stake_id_for_node(&pool, utf8(b"worker-1"))));
        assert!(coin::burn_for_testing(staking::withdraw_stake(&mut pool, &mut record, s.ctx())) == SUI_1);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 0);
    s.end();
}

#[test, expected_failure(arithmetic_error, location = sui::balance)]
/// u64 arithmetic fails, it does not wrap: a top-up that would take the pool past u64::MAX
/// fails where the balance is joined (sui::balance::join), before any total is touched.
fun top_up_past_u64_max_fails_with_an_arithmetic_error() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    top_up(&mut s, ALICE, U64_MAX - SUI_1 + 1);
    s.end();
}

#[test, expected_failure(arithmetic_error, location = staking)]
/// A lock so long that `epoch + lock_epochs` passes u64::MAX: stake_for_node fails with an
/// arithmetic error there (also a conformance row, stake_lock_overflow, on the devnet).
fun lock_past_u64_max_fails_with_an_arithmetic_error() {
    let mut s = setup();
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        staking::set_pool_params(&cap, &mut pool, SUI_1, U64_MAX, s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    s.end();
}
