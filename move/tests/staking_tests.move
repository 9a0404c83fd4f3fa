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

/// Pool with min stake 1 SUI, a 2-epoch lock and a 1-epoch withdrawal cool-down, shared;
/// AdminCap with ADMIN.
fun setup(): Scenario {
    let mut s = ts::begin(ADMIN);
    let (mut pool, cap) = staking::new_pool_for_testing(s.ctx());
    staking::set_pool_params(&cap, &mut pool, SUI_1, 2, 1, s.ctx());
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
    assert!(staking::withdrawal_requested(&record) == 0);
    assert!(staking::claimable_at(&record) == 0);
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

// === Helpers: withdrawal (request, then claim after the cool-down), slash, transfer ===

fun epochs(s: &mut Scenario, n: u64) {
    let mut i = 0;
    while (i < n) { s.next_epoch(ADMIN); i = i + 1; };
}

/// Request `amount` of the latest stake as `who`.
fun request(s: &mut Scenario, who: address, amount: u64) {
    s.next_tx(who);
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    staking::request_withdrawal(&mut pool, &mut record, amount, s.ctx());
    ts::return_shared(record);
    ts::return_shared(pool);
}

/// Claim the latest stake's pending withdrawal as `who`; returns what the coin held.
fun claim(s: &mut Scenario, who: address): u64 {
    s.next_tx(who);
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
    let value = c.value();
    coin::burn_for_testing(c);
    ts::return_shared(record);
    ts::return_shared(pool);
    value
}

fun slash(s: &mut Scenario, amount: u64) {
    s.next_tx(ADMIN);
    let cap = s.take_from_sender<AdminCap>();
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    staking::slash_stake(&cap, &mut pool, &mut record, amount, utf8(b"missed heartbeats"), s.ctx());
    s.return_to_sender(cap);
    ts::return_shared(record);
    ts::return_shared(pool);
}

fun transfer_to(s: &mut Scenario, who: address, to: address) {
    s.next_tx(who);
    let pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    staking::transfer_stake(&pool, &mut record, to, s.ctx());
    ts::return_shared(record);
    ts::return_shared(pool);
}

fun top_up(s: &mut Scenario, who: address, amount: u64) {
    s.next_tx(who);
    let mut pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(amount, s.ctx()), s.ctx());
    ts::return_shared(record);
    ts::return_shared(pool);
}

/// Request `amount` and claim it once the cool-down has passed; returns what was paid out.
fun withdraw(s: &mut Scenario, who: address, amount: u64): u64 {
    request(s, who, amount);
    epochs(s, 1);
    claim(s, who)
}

const U64_MAX: u64 = 18_446_744_073_709_551_615;

/// total_staked is the SUI in live stakes and always equals the pool's balance.
fun assert_totals(s: &mut Scenario, total: u64) {
    s.next_tx(ADMIN);
    let pool = s.take_shared<StakingPool>();
    assert!(staking::total_staked(&pool) == total);
    assert!(staking::pool_balance(&pool) == total);
    ts::return_shared(pool);
}

// === request_withdrawal / claim_withdrawal ===

#[test, expected_failure(abort_code = staking::EStakeLocked)]
fun request_before_lock_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 1);
    request(&mut s, ALICE, SUI_1);
    s.end();
}

#[test]
fun full_withdrawal_leaves_then_claims_after_the_cooldown_and_frees_node() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, 3 * SUI_1);
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        // Leaving: not active any more, but the SUI stays in the pool and the node id taken.
        assert!(staking::status(&record) == staking::status_leaving());
        assert!(!staking::is_active(&record));
        assert!(staking::amount(&record) == 3 * SUI_1);
        assert!(staking::withdrawal_requested(&record) == 3 * SUI_1);
        assert!(staking::claimable_at(&record) == 3);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 3 * SUI_1);
    epochs(&mut s, 1);
    assert!(claim(&mut s, ALICE) == 3 * SUI_1);
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        assert!(staking::status(&record) == staking::status_withdrawn());
        assert!(staking::amount(&record) == 0);
        assert!(staking::withdrawal_requested(&record) == 0);
        assert!(staking::claimable_at(&record) == 0);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_none());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 0);
    // The node id can be staked again.
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    assert_totals(&mut s, SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::EWithdrawalCoolingDown)]
fun claim_before_claimable_at_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    claim(&mut s, ALICE);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENoWithdrawalRequested)]
fun claim_without_request_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 3);
    claim(&mut s, ALICE);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENoWithdrawalRequested)]
fun claim_twice_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 2);
    withdraw(&mut s, ALICE, SUI_1);
    claim(&mut s, ALICE);
    s.end();
}

#[test, expected_failure(abort_code = staking::EWithdrawalPending)]
fun request_twice_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    request(&mut s, ALICE, SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive)]
/// A leaving stake has its whole amount requested already: no second request (not even after a
/// cool-down that is not claimed).
fun request_of_a_leaving_stake_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    epochs(&mut s, 1);
    request(&mut s, ALICE, SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive)]
fun request_of_a_withdrawn_stake_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 2);
    withdraw(&mut s, ALICE, SUI_1);
    request(&mut s, ALICE, SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker)]
fun request_by_other_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 2);
    request(&mut s, BOB, SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker)]
fun claim_by_other_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    epochs(&mut s, 1);
    claim(&mut s, BOB);
    s.end();
}

#[test, expected_failure(abort_code = staking::EZeroAmount)]
fun request_of_nothing_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, 0);
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive)]
fun leaving_stake_cannot_be_topped_up() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    top_up(&mut s, ALICE, SUI_1);
    s.end();
}

#[test]
fun partial_withdrawal_keeps_the_record_active_and_live() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        assert!(staking::status(&record) == staking::status_active());
        assert!(staking::amount(&record) == 3 * SUI_1);
        assert!(staking::withdrawal_requested(&record) == SUI_1);
        assert!(staking::claimable_at(&record) == 3);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 3 * SUI_1);
    epochs(&mut s, 1);
    assert!(claim(&mut s, ALICE) == SUI_1);
    assert_totals(&mut s, 2 * SUI_1);
    // Down to exactly the minimum is allowed.
    assert!(withdraw(&mut s, ALICE, SUI_1) == SUI_1);
    s.next_tx(ALICE);
    let pool = s.take_shared<StakingPool>();
    let record = s.take_shared<StakeRecord>();
    assert!(staking::amount(&record) == SUI_1);
    assert!(staking::status(&record) == staking::status_active());
    assert!(staking::withdrawal_requested(&record) == 0);
    assert!(staking::claimable_at(&record) == 0);
    assert!(staking::pool_balance(&pool) == SUI_1);
    assert!(staking::total_staked(&pool) == SUI_1);
    assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
    ts::return_shared(record);
    ts::return_shared(pool);
    s.end();
}

#[test, expected_failure(abort_code = staking::ERemainderBelowMinimum)]
fun partial_request_below_minimum_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, 2 * SUI_1 + 1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ERemainderBelowMinimum)]
fun request_of_more_than_the_stake_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, 4 * SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ERemainderBelowMinimum)]
/// A slashed stake can only ask for its whole remainder.
fun slashed_stake_cannot_request_a_part() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    slash(&mut s, SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    s.end();
}

#[test, expected_failure(arithmetic_error, location = staking)]
/// A cool-down so long that `epoch + withdrawal_cooldown_epochs` passes u64::MAX: the request
/// fails with an arithmetic error (set_pool_params does not bound it, as it does not the lock).
fun cooldown_past_u64_max_fails_with_an_arithmetic_error() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        staking::set_pool_params(&cap, &mut pool, SUI_1, 2, U64_MAX, s.ctx());
        assert!(staking::withdrawal_cooldown_epochs(&pool) == U64_MAX);
        s.return_to_sender(cap);
        ts::return_shared(pool);
    };
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    s.end();
}

// === slash_stake ===

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
    assert_totals(&mut s, 2 * SUI_1);
    epochs(&mut s, 2);
    // The whole remainder, through the same cool-down; the slashed record frees the node id then.
    assert!(withdraw(&mut s, ALICE, 2 * SUI_1) == 2 * SUI_1);
    s.next_tx(ALICE);
    let pool = s.take_shared<StakingPool>();
    let record = s.take_shared<StakeRecord>();
    assert!(staking::status(&record) == staking::status_withdrawn());
    assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_none());
    ts::return_shared(record);
    ts::return_shared(pool);
    assert_totals(&mut s, 0);
    s.end();
}

#[test]
/// The finding: once the lock had passed, a staker who expected a slash withdrew first. Now a
/// slash that lands inside the cool-down still takes its amount; the claim pays the rest.
fun slash_inside_the_cooldown_takes_its_amount_and_the_claim_returns_the_rest() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, 3 * SUI_1);
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, SUI_1, utf8(b"caught leaving"), s.ctx());
        assert!(staking::status(&record) == staking::status_slashed());
        assert!(staking::amount(&record) == 2 * SUI_1);
        // Still a request, now for the whole remainder, claimable when it was.
        assert!(staking::withdrawal_requested(&record) == 2 * SUI_1);
        assert!(staking::claimable_at(&record) == 3);
        assert!(staking::slashed_balance(&pool) == SUI_1);
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 2 * SUI_1);
    epochs(&mut s, 1);
    assert!(claim(&mut s, ALICE) == 2 * SUI_1);
    assert_totals(&mut s, 0);
    s.next_tx(ALICE);
    let pool = s.take_shared<StakingPool>();
    let record = s.take_shared<StakeRecord>();
    assert!(staking::status(&record) == staking::status_withdrawn());
    assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_none());
    assert!(staking::slashed_balance(&pool) == SUI_1);
    ts::return_shared(record);
    ts::return_shared(pool);
    s.end();
}

#[test]
/// A slash during a partial request's cool-down turns it into a request for the whole remainder.
fun slash_turns_a_pending_partial_request_into_one_for_the_remainder() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    slash(&mut s, SUI_1 / 2);
    s.next_tx(ALICE);
    {
        let record = s.take_shared<StakeRecord>();
        assert!(staking::status(&record) == staking::status_slashed());
        assert!(staking::withdrawal_requested(&record) == 2 * SUI_1 + SUI_1 / 2);
        ts::return_shared(record);
    };
    epochs(&mut s, 1);
    assert!(claim(&mut s, ALICE) == 2 * SUI_1 + SUI_1 / 2);
    assert_totals(&mut s, 0);
    s.end();
}

#[test]
/// Nothing is left to claim after a slash of the whole amount: the node id is free at once.
fun whole_amount_slash_frees_the_node_id_at_once() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, 3 * SUI_1);
    slash(&mut s, 3 * SUI_1);
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        assert!(staking::status(&record) == staking::status_slashed());
        assert!(staking::amount(&record) == 0);
        assert!(staking::withdrawal_requested(&record) == 0);
        assert!(staking::claimable_at(&record) == 0);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_none());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 0);
    // Anyone can stake for the node id again.
    stake(&mut s, BOB, b"worker-1", SUI_1);
    assert_totals(&mut s, SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENoWithdrawalRequested)]
fun nothing_to_claim_after_a_whole_amount_slash() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    slash(&mut s, SUI_1);
    epochs(&mut s, 1);
    claim(&mut s, ALICE);
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

#[test, expected_failure(abort_code = staking::EStakeNotActive)]
fun slash_of_a_withdrawn_stake_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 2);
    withdraw(&mut s, ALICE, SUI_1);
    slash(&mut s, 1);
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

// === transfer_stake ===

#[test]
/// A wallet migration in place: same record, amount, lock and node id; only the staker changes.
fun transfer_stake_hands_the_stake_over_in_place() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    s.next_tx(ALICE);
    let stake_id = {
        let record = s.take_shared<StakeRecord>();
        let id = object::id(&record);
        ts::return_shared(record);
        id
    };
    transfer_to(&mut s, ALICE, BOB);
    s.next_tx(BOB);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        assert!(object::id(&record) == stake_id);
        assert!(staking::staker(&record) == BOB);
        assert!(staking::node_id(&record) == utf8(b"worker-1"));
        assert!(staking::amount(&record) == 3 * SUI_1);
        assert!(staking::status(&record) == staking::status_active());
        assert!(staking::locked_until(&record) == 2);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(stake_id));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 3 * SUI_1);
    // The new staker withdraws it.
    epochs(&mut s, 2);
    assert!(withdraw(&mut s, BOB, 3 * SUI_1) == 3 * SUI_1);
    assert_totals(&mut s, 0);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENodeAlreadyStaked)]
/// The node id is never free during the migration: nobody can stake for it in between.
fun node_id_stays_taken_through_a_transfer() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    transfer_to(&mut s, ALICE, BOB);
    stake(&mut s, ADMIN, b"worker-1", SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker)]
fun old_staker_cannot_request_after_a_transfer() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    transfer_to(&mut s, ALICE, BOB);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    s.end();
}

#[test, expected_failure(abort_code = staking::ESameStaker)]
fun transfer_to_self_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    transfer_to(&mut s, ALICE, ALICE);
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker)]
fun transfer_by_other_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    transfer_to(&mut s, BOB, BOB);
    s.end();
}

#[test, expected_failure(abort_code = staking::EWithdrawalPending)]
fun transfer_with_a_withdrawal_pending_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    epochs(&mut s, 2);
    request(&mut s, ALICE, SUI_1);
    transfer_to(&mut s, ALICE, BOB);
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive)]
fun transfer_of_a_slashed_stake_aborts() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    slash(&mut s, SUI_1);
    transfer_to(&mut s, ALICE, BOB);
    s.end();
}

// === set_pool_params ===

#[test]
fun set_pool_params_sets_every_parameter() {
    let mut s = setup();
    s.next_tx(ADMIN);
    let cap = s.take_from_sender<AdminCap>();
    let mut pool = s.take_shared<StakingPool>();
    staking::set_pool_params(&cap, &mut pool, 5 * SUI_1, 9, 4, s.ctx());
    assert!(staking::min_node_stake(&pool) == 5 * SUI_1);
    assert!(staking::lock_epochs(&pool) == 9);
    assert!(staking::withdrawal_cooldown_epochs(&pool) == 4);
    s.return_to_sender(cap);
    ts::return_shared(pool);
    s.end();
}

#[test]
fun new_pool_has_the_publish_defaults() {
    let mut s = ts::begin(ADMIN);
    let (pool, cap) = staking::new_pool_for_testing(s.ctx());
    assert!(staking::min_node_stake(&pool) == SUI_1);
    assert!(staking::lock_epochs(&pool) == 7);
    assert!(staking::withdrawal_cooldown_epochs(&pool) == 2);
    staking::share_pool_for_testing(pool);
    transfer::public_transfer(cap, ADMIN);
    s.end();
}

#[test, expected_failure(abort_code = staking::EWrongPool)]
fun cap_of_other_pool_cannot_set_params() {
    let mut s = setup();
    s.next_tx(ADMIN);
    let (other_pool, other_cap) = staking::new_pool_for_testing(s.ctx());
    let mut pool = s.take_shared<StakingPool>();
    staking::set_pool_params(&other_cap, &mut pool, SUI_1, 1, 1, s.ctx());
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
    staking::set_pool_params(&cap, &mut pool, 0, 1, 1, s.ctx());
    s.return_to_sender(cap);
    ts::return_shared(pool);
    s.end();
}

// === add_stake ===

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
    epochs(&mut s, 2);
    withdraw(&mut s, ALICE, SUI_1);
    top_up(&mut s, ALICE, SUI_1);
    s.end();
}

// === total_staked: the SUI in live stakes, never SUI ever staked ===

#[test]
/// The freeze of issue 23: a top-up and a partial withdrawal of the same coin, repeated. When
/// total_staked only grew, the second round of the largest coin a pool can take overflowed it
/// and every later stake_for_node / add_stake aborted. Now each round leaves it where it was.
fun top_up_then_partial_withdrawal_cycles_do_not_grow_the_total() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    epochs(&mut s, 2);
    let big = U64_MAX - SUI_1; // the pool's balance reaches u64::MAX on each top-up
    let mut round = 0;
    while (round < 5) {
        top_up(&mut s, ALICE, big);
        assert_totals(&mut s, U64_MAX);
        request(&mut s, ALICE, big);
        // A request moves no SUI: the totals move when it is claimed.
        assert_totals(&mut s, U64_MAX);
        epochs(&mut s, 1);
        assert!(claim(&mut s, ALICE) == big);
        assert_totals(&mut s, SUI_1);
        round = round + 1;
    };
    // The pool still takes new stakes.
    stake(&mut s, BOB, b"worker-2", SUI_1);
    assert_totals(&mut s, 2 * SUI_1);
    s.end();
}

#[test]
/// total_staked follows every movement of live stake: stakes and top-ups add, claimed partial
/// and full withdrawals and slashes subtract, requests and transfers move nothing; it always
/// equals the pool's balance.
fun total_staked_is_the_sum_of_live_stakes() {
    let mut s = setup();
    stake(&mut s, ALICE, b"worker-1", 3 * SUI_1);
    stake(&mut s, BOB, b"worker-2", 2 * SUI_1);
    assert_totals(&mut s, 5 * SUI_1);
    top_up(&mut s, BOB, SUI_1);
    assert_totals(&mut s, 6 * SUI_1);
    epochs(&mut s, 2);
    // BOB asks for all of his 3 SUI; a slash of 1 SUI lands inside the cool-down.
    s.next_tx(BOB);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared_by_id<StakeRecord>(option::destroy_some(staking::stake_id_for_node(&pool, utf8(b"worker-2"))));
        staking::request_withdrawal(&mut pool, &mut record, 3 * SUI_1, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 6 * SUI_1);
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
    // ALICE asks for 2 SUI back, keeping the minimum staked, and hands her stake to ADMIN's wallet.
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared_by_id<StakeRecord>(option::destroy_some(staking::stake_id_for_node(&pool, utf8(b"worker-1"))));
        staking::request_withdrawal(&mut pool, &mut record, 2 * SUI_1, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 5 * SUI_1);
    epochs(&mut s, 1);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared_by_id<StakeRecord>(option::destroy_some(staking::stake_id_for_node(&pool, utf8(b"worker-1"))));
        assert!(coin::burn_for_testing(staking::claim_withdrawal(&mut pool, &mut record, s.ctx())) == 2 * SUI_1);
        staking::transfer_stake(&pool, &mut record, ADMIN, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, 3 * SUI_1);
    // BOB claims his slashed remainder; ADMIN (the new staker) withdraws the last SUI.
    s.next_tx(BOB);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared_by_id<StakeRecord>(option::destroy_some(staking::stake_id_for_node(&pool, utf8(b"worker-2"))));
        assert!(coin::burn_for_testing(staking::claim_withdrawal(&mut pool, &mut record, s.ctx())) == 2 * SUI_1);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    assert_totals(&mut s, SUI_1);
    let alice_stake = {
        s.next_tx(ADMIN);
        let pool = s.take_shared<StakingPool>();
        let id = option::destroy_some(staking::stake_id_for_node(&pool, utf8(b"worker-1")));
        ts::return_shared(pool);
        id
    };
    s.next_tx(ADMIN);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared_by_id<StakeRecord>(alice_stake);
        staking::request_withdrawal(&mut pool, &mut record, SUI_1, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    epochs(&mut s, 1);
    s.next_tx(ADMIN);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared_by_id<StakeRecord>(alice_stake);
        assert!(coin::burn_for_testing(staking::claim_withdrawal(&mut pool, &mut record, s.ctx())) == SUI_1);
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
        staking::set_pool_params(&cap, &mut pool, SUI_1, U64_MAX, 1, s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    stake(&mut s, ALICE, b"worker-1", SUI_1);
    s.end();
}
