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
