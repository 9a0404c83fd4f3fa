// GENERATED from test/move/conformance/table.ts by test/move/conformance/to-move.ts
// (npm run move:conformance). Do not edit: change the table and regenerate; test/move checks
// this file is up to date and runs the same table against the devnet.
#[test_only]
module k3s_daas::conformance_tests;

use k3s_daas::k8s_gateway::{Self, NautilusRegistry, SealToken};
use k3s_daas::staking::{Self, AdminCap, StakeRecord, StakingPool};
use std::string::utf8;
use sui::bcs;
use sui::coin::{Self, Coin};
use sui::sui::SUI;
use sui::test_scenario::{Self as ts, Scenario};

const ADMIN: address = @0xAD;
const ALICE: address = @0xA1;
const BOB: address = @0xB0;

/// The pool every scenario starts from (as the devnet's genesis makes it), and the registry.
fun setup(): Scenario {
    let mut s = ts::begin(ADMIN);
    {
        let (mut pool, cap) = staking::new_pool_for_testing(s.ctx());
        staking::set_pool_params(&cap, &mut pool, 1000000000, 2, 1, s.ctx());
        staking::share_pool_for_testing(pool);
        transfer::public_transfer(cap, ADMIN);
        k8s_gateway::init_for_testing(s.ctx());
    };
    s
}

#[test]
fun conformance_stake() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(2000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            assert!(b.peel_address() == object::id(&pool).to_address()); // pool_id
            assert!(b.peel_address() == ALICE); // staker
            assert!(b.peel_vec_u8() == b"worker-1"); // node_id
            assert!(b.peel_u64() == 2000000000); // amount
            assert!(b.peel_u8() == 1); // status
            assert!(b.peel_u64() == 0); // staked_at
            assert!(b.peel_u64() == 2); // locked_until
            assert!(b.peel_u64() == 0); // withdrawal_requested
            assert!(b.peel_u64() == 0); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 2000000000); // balance
            assert!(b.peel_u64() == 0); // slashed
            assert!(b.peel_u64() == 1000000000); // min_node_stake
            assert!(b.peel_u64() == 2); // lock_epochs
            assert!(b.peel_u64() == 1); // withdrawal_cooldown_epochs
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 2000000000); // total_staked
            assert!(b.peel_u64() == 0); // total_slashed
            assert!(b.peel_u64() == 1); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ENodeAlreadyStaked, location = k3s_daas::staking)]
fun conformance_duplicate_node_id() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(BOB);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EInsufficientStake, location = k3s_daas::staking)]
fun conformance_below_minimum() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(500000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EInvalidNodeId, location = k3s_daas::staking)]
fun conformance_empty_node_id() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b""), s.ctx());
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeLocked, location = k3s_daas::staking)]
fun conformance_request_before_lock() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_request_full() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 3000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 3000000000); // amount
            assert!(b.peel_u8() == 4); // status
            b.peel_u64();
            assert!(b.peel_u64() == 2); // locked_until
            assert!(b.peel_u64() == 3000000000); // withdrawal_requested
            assert!(b.peel_u64() == 3); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 3000000000); // balance
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 3000000000); // total_staked
            b.peel_u64();
            assert!(b.peel_u64() == 0); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EWithdrawalCoolingDown, location = k3s_daas::staking)]
fun conformance_claim_too_early() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_claim_after_cooldown() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 3000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        let withdrawn = s.take_from_sender<Coin<SUI>>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 0); // amount
            assert!(b.peel_u8() == 3); // status
            b.peel_u64();
            assert!(b.peel_u64() == 2); // locked_until
            assert!(b.peel_u64() == 0); // withdrawal_requested
            assert!(b.peel_u64() == 0); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 0); // balance
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 0);
            assert!(b.peel_u64() == 0); // total_staked
            b.peel_u64();
            assert!(b.peel_u64() == 0); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(withdrawn.value() == 3000000000);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_none());
        s.return_to_sender(withdrawn);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ENoWithdrawalRequested, location = k3s_daas::staking)]
fun conformance_claim_without_request() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ENoWithdrawalRequested, location = k3s_daas::staking)]
fun conformance_claim_twice() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EWithdrawalPending, location = k3s_daas::staking)]
fun conformance_request_twice() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive, location = k3s_daas::staking)]
fun conformance_request_leaving() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive, location = k3s_daas::staking)]
fun conformance_request_withdrawn() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(arithmetic_error, location = k3s_daas::staking)]
fun conformance_request_cooldown_overflow() {
    let mut s = setup();
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        staking::set_pool_params(&cap, &mut pool, 1000000000, 2, 18446744073709551615, s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_slash() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 2000000000); // amount
            assert!(b.peel_u8() == 2); // status
            b.peel_u64();
            b.peel_u64();
            assert!(b.peel_u64() == 0); // withdrawal_requested
            assert!(b.peel_u64() == 0); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 2000000000); // balance
            assert!(b.peel_u64() == 1000000000); // slashed
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 2000000000); // total_staked
            assert!(b.peel_u64() == 1000000000); // total_slashed
            assert!(b.peel_u64() == 0); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive, location = k3s_daas::staking)]
fun conformance_slash_twice() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EInvalidSlashAmount, location = k3s_daas::staking)]
fun conformance_slash_more_than_stake() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1000000001, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive, location = k3s_daas::staking)]
fun conformance_slash_withdrawn() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_claim_after_slash() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 2000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        let withdrawn = s.take_from_sender<Coin<SUI>>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 0); // amount
            assert!(b.peel_u8() == 3); // status
            b.peel_u64();
            b.peel_u64();
            assert!(b.peel_u64() == 0); // withdrawal_requested
            assert!(b.peel_u64() == 0); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 0); // balance
            assert!(b.peel_u64() == 1000000000); // slashed
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 0);
            assert!(b.peel_u64() == 0); // total_staked
            assert!(b.peel_u64() == 1000000000); // total_slashed
            assert!(b.peel_u64() == 0); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(withdrawn.value() == 2000000000);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_none());
        s.return_to_sender(withdrawn);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_slash_during_cooldown() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 3000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 2000000000); // amount
            assert!(b.peel_u8() == 2); // status
            b.peel_u64();
            b.peel_u64();
            assert!(b.peel_u64() == 2000000000); // withdrawal_requested
            assert!(b.peel_u64() == 3); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 2000000000); // balance
            assert!(b.peel_u64() == 1000000000); // slashed
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 2000000000); // total_staked
            assert!(b.peel_u64() == 1000000000); // total_slashed
            assert!(b.peel_u64() == 0); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_slash_during_cooldown_then_claim() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 3000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        let withdrawn = s.take_from_sender<Coin<SUI>>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 0); // amount
            assert!(b.peel_u8() == 3); // status
            b.peel_u64();
            b.peel_u64();
            assert!(b.peel_u64() == 0); // withdrawal_requested
            assert!(b.peel_u64() == 0); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 0); // balance
            assert!(b.peel_u64() == 1000000000); // slashed
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 0);
            assert!(b.peel_u64() == 0); // total_staked
            assert!(b.peel_u64() == 1000000000); // total_slashed
            assert!(b.peel_u64() == 0); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(withdrawn.value() == 2000000000);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_none());
        s.return_to_sender(withdrawn);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_slash_during_partial_cooldown() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 2000000000); // amount
            assert!(b.peel_u8() == 2); // status
            b.peel_u64();
            b.peel_u64();
            assert!(b.peel_u64() == 2000000000); // withdrawal_requested
            assert!(b.peel_u64() == 3); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 2000000000); // balance
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 2000000000); // total_staked
            b.peel_u64();
            assert!(b.peel_u64() == 0); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_slash_whole_amount() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 3000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 3000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 0); // amount
            assert!(b.peel_u8() == 2); // status
            b.peel_u64();
            b.peel_u64();
            assert!(b.peel_u64() == 0); // withdrawal_requested
            assert!(b.peel_u64() == 0); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 0); // balance
            assert!(b.peel_u64() == 3000000000); // slashed
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 0);
            assert!(b.peel_u64() == 0); // total_staked
            assert!(b.peel_u64() == 3000000000); // total_slashed
            assert!(b.peel_u64() == 0); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_none());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_slash_whole_amount_frees_node() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 3000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(BOB);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            assert!(b.peel_address() == BOB); // staker
            assert!(b.peel_vec_u8() == b"worker-1"); // node_id
            assert!(b.peel_u64() == 1000000000); // amount
            assert!(b.peel_u8() == 1); // status
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 1000000000); // balance
            assert!(b.peel_u64() == 3000000000); // slashed
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 1000000000); // total_staked
            b.peel_u64();
            assert!(b.peel_u64() == 1); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ENoWithdrawalRequested, location = k3s_daas::staking)]
fun conformance_claim_after_whole_amount_slash() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_top_up() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(2000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(1000000000, s.ctx()), s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            assert!(b.peel_address() == object::id(&pool).to_address()); // pool_id
            assert!(b.peel_address() == ALICE); // staker
            assert!(b.peel_vec_u8() == b"worker-1"); // node_id
            assert!(b.peel_u64() == 3000000000); // amount
            assert!(b.peel_u8() == 1); // status
            assert!(b.peel_u64() == 0); // staked_at
            assert!(b.peel_u64() == 2); // locked_until
            b.peel_u64();
            b.peel_u64();
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 3000000000); // balance
            assert!(b.peel_u64() == 0); // slashed
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 3000000000); // total_staked
            b.peel_u64();
            assert!(b.peel_u64() == 1); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EZeroAmount, location = k3s_daas::staking)]
fun conformance_top_up_zero() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(0, s.ctx()), s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive, location = k3s_daas::staking)]
fun conformance_top_up_slashed() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(1000000000, s.ctx()), s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive, location = k3s_daas::staking)]
fun conformance_top_up_leaving() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(1000000000, s.ctx()), s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive, location = k3s_daas::staking)]
fun conformance_top_up_withdrawn() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(1000000000, s.ctx()), s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_request_partial() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 3000000000); // amount
            assert!(b.peel_u8() == 1); // status
            b.peel_u64();
            b.peel_u64();
            assert!(b.peel_u64() == 1000000000); // withdrawal_requested
            assert!(b.peel_u64() == 3); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 3000000000); // balance
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 3000000000); // total_staked
            b.peel_u64();
            assert!(b.peel_u64() == 1); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_partial_claim() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        let withdrawn = s.take_from_sender<Coin<SUI>>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 2000000000); // amount
            assert!(b.peel_u8() == 1); // status
            assert!(b.peel_u64() == 0); // staked_at
            assert!(b.peel_u64() == 2); // locked_until
            assert!(b.peel_u64() == 0); // withdrawal_requested
            assert!(b.peel_u64() == 0); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 2000000000); // balance
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 2000000000); // total_staked
            b.peel_u64();
            assert!(b.peel_u64() == 1); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(withdrawn.value() == 1000000000);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
        s.return_to_sender(withdrawn);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_partial_claim_to_minimum() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 2000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        let withdrawn = s.take_from_sender<Coin<SUI>>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 1000000000); // amount
            assert!(b.peel_u8() == 1); // status
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 1000000000); // balance
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            b.peel_u64();
            assert!(b.peel_u64() == 1000000000); // total_staked
            b.peel_u64();
            assert!(b.peel_u64() == 1); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(withdrawn.value() == 2000000000);
        s.return_to_sender(withdrawn);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_top_up_reduce_cycle() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(7000000000000000000, s.ctx()), s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 7000000000000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(7000000000000000000, s.ctx()), s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 7000000000000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(7000000000000000000, s.ctx()), s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 7000000000000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        let withdrawn = s.take_from_sender<Coin<SUI>>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            assert!(b.peel_u64() == 1000000000); // amount
            assert!(b.peel_u8() == 1); // status
            b.peel_u64();
            b.peel_u64();
            assert!(b.peel_u64() == 0); // withdrawal_requested
            b.peel_u64();
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 1000000000); // balance
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 1000000000); // total_staked
            b.peel_u64();
            assert!(b.peel_u64() == 1); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(withdrawn.value() == 7000000000000000000);
        s.return_to_sender(withdrawn);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(arithmetic_error, location = k3s_daas::staking)]
fun conformance_stake_lock_overflow() {
    let mut s = setup();
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        staking::set_pool_params(&cap, &mut pool, 1000000000, 18446744073709551615, 1, s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ERemainderBelowMinimum, location = k3s_daas::staking)]
fun conformance_request_below_minimum() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 2000000001, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ERemainderBelowMinimum, location = k3s_daas::staking)]
fun conformance_request_more_than_stake() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 4000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EZeroAmount, location = k3s_daas::staking)]
fun conformance_request_zero() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 0, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ERemainderBelowMinimum, location = k3s_daas::staking)]
fun conformance_request_slashed_part() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 500000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_transfer() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::transfer_stake(&pool, &mut record, BOB, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            assert!(b.peel_address() == object::id(&pool).to_address()); // pool_id
            assert!(b.peel_address() == BOB); // staker
            assert!(b.peel_vec_u8() == b"worker-1"); // node_id
            assert!(b.peel_u64() == 3000000000); // amount
            assert!(b.peel_u8() == 1); // status
            assert!(b.peel_u64() == 0); // staked_at
            assert!(b.peel_u64() == 2); // locked_until
            assert!(b.peel_u64() == 0); // withdrawal_requested
            assert!(b.peel_u64() == 0); // claimable_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 3000000000); // balance
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 1);
            assert!(b.peel_u64() == 3000000000); // total_staked
            b.peel_u64();
            assert!(b.peel_u64() == 1); // active_stakes
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")) == option::some(object::id(&record)));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ENodeAlreadyStaked, location = k3s_daas::staking)]
fun conformance_transfer_keeps_node_taken() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::transfer_stake(&pool, &mut record, BOB, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_transfer_then_new_staker_withdraws() {
    let mut s = setup();
    s.next_tx(BOB);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(2000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(BOB);
    {
        let pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::transfer_stake(&pool, &mut record, ALICE, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 2000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, ALICE);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        let withdrawn = s.take_from_sender<Coin<SUI>>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            assert!(b.peel_address() == ALICE); // staker
            b.peel_vec_u8();
            assert!(b.peel_u64() == 0); // amount
            assert!(b.peel_u8() == 3); // status
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            assert!(b.peel_u64() == 0); // balance
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_address();
            assert!(b.peel_u64() == 0);
            assert!(b.peel_u64() == 0); // total_staked
            b.peel_u64();
            b.peel_u64();
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(withdrawn.value() == 2000000000);
        assert!(staking::stake_id_for_node(&pool, utf8(b"worker-1")).is_none());
        s.return_to_sender(withdrawn);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker, location = k3s_daas::staking)]
fun conformance_transfer_old_staker_requests() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::transfer_stake(&pool, &mut record, BOB, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ESameStaker, location = k3s_daas::staking)]
fun conformance_transfer_to_self() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::transfer_stake(&pool, &mut record, ALICE, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EWithdrawalPending, location = k3s_daas::staking)]
fun conformance_transfer_pending() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::transfer_stake(&pool, &mut record, BOB, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::EStakeNotActive, location = k3s_daas::staking)]
fun conformance_transfer_slashed() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(3000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1000000000, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::transfer_stake(&pool, &mut record, BOB, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_mint_active() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let record = s.take_shared<StakeRecord>();
        k8s_gateway::create_worker_seal_token(&record, x"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", s.ctx());
        ts::return_shared(record);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        let token = s.take_from_sender<SealToken>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            b.peel_u64();
            assert!(b.peel_u8() == 1); // status
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            assert!(b.into_remainder_bytes().is_empty());
        };
        {
            let mut b = bcs::new(bcs::to_bytes(&token));
            b.peel_address();
            assert!(b.peel_address() == object::id(&record).to_address()); // stake_id
            assert!(b.peel_vec_u8() == b"worker-1"); // node_id
            assert!(b.peel_vec_u8() == x"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"); // worker_pubkey
            assert!(b.peel_vec_length() == 2);
            assert!(b.peel_vec_u8() == b"node:join");
            assert!(b.peel_vec_u8() == b"node:heartbeat");
            assert!(b.peel_u64() == 0); // issued_at
            assert!(b.peel_u64() == 30); // expires_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        s.return_to_sender(token);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::EStakeNotActive, location = k3s_daas::k8s_gateway)]
fun conformance_mint_slashed() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1, utf8(b"missed heartbeats"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let record = s.take_shared<StakeRecord>();
        k8s_gateway::create_worker_seal_token(&record, x"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", s.ctx());
        ts::return_shared(record);
    };
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::EStakeNotActive, location = k3s_daas::k8s_gateway)]
fun conformance_mint_leaving() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let record = s.take_shared<StakeRecord>();
        k8s_gateway::create_worker_seal_token(&record, x"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", s.ctx());
        ts::return_shared(record);
    };
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::ENotStaker, location = k3s_daas::k8s_gateway)]
fun conformance_mint_after_transfer_old_staker() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::transfer_stake(&pool, &mut record, BOB, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let record = s.take_shared<StakeRecord>();
        k8s_gateway::create_worker_seal_token(&record, x"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", s.ctx());
        ts::return_shared(record);
    };
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::EInvalidWorkerKey, location = k3s_daas::k8s_gateway)]
fun conformance_mint_short_key() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let record = s.take_shared<StakeRecord>();
        k8s_gateway::create_worker_seal_token(&record, x"010203", s.ctx());
        ts::return_shared(record);
    };
    s.end();
}

#[test]
fun conformance_revoke() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let record = s.take_shared<StakeRecord>();
        k8s_gateway::create_worker_seal_token(&record, x"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", s.ctx());
        ts::return_shared(record);
    };
    s.next_tx(ALICE);
    {
        let token = s.take_from_sender<SealToken>();
        k8s_gateway::revoke_seal_token(token);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let record = s.take_shared<StakeRecord>();
        {
            let mut b = bcs::new(bcs::to_bytes(&record));
            b.peel_address();
            b.peel_address();
            b.peel_address();
            b.peel_vec_u8();
            b.peel_u64();
            assert!(b.peel_u8() == 1); // status
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            assert!(b.into_remainder_bytes().is_empty());
        };
        assert!(!ts::has_most_recent_for_sender<SealToken>(&s));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_set_pool_params() {
    let mut s = setup();
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        staking::set_pool_params(&cap, &mut pool, 5000000000, 9, 4, s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        {
            let mut b = bcs::new(bcs::to_bytes(&pool));
            b.peel_address();
            b.peel_u64();
            b.peel_u64();
            assert!(b.peel_u64() == 5000000000); // min_node_stake
            assert!(b.peel_u64() == 9); // lock_epochs
            assert!(b.peel_u64() == 4); // withdrawal_cooldown_epochs
            b.peel_address();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            b.peel_u64();
            assert!(b.into_remainder_bytes().is_empty());
        };
        ts::return_shared(pool);
    };
    s.end();
}

#[test]
fun conformance_set_registry() {
    let mut s = setup();
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let pool = s.take_shared<StakingPool>();
        let mut registry = s.take_shared<NautilusRegistry>();
        k8s_gateway::set_registry(&cap, &pool, &mut registry, utf8(b"https://cp.example:8443"), x"fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0", s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(pool);
        ts::return_shared(registry);
    };
    s.next_tx(ALICE);
    {
        let pool = s.take_shared<StakingPool>();
        let registry = s.take_shared<NautilusRegistry>();
        {
            let mut b = bcs::new(bcs::to_bytes(&registry));
            b.peel_address();
            assert!(b.peel_vec_u8() == b"https://cp.example:8443"); // endpoint
            assert!(b.peel_vec_u8() == x"fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0"); // enclave_pubkey
            assert!(b.peel_u64() == 0); // updated_at
            assert!(b.into_remainder_bytes().is_empty());
        };
        ts::return_shared(registry);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::EInvalidEnclaveKey, location = k3s_daas::k8s_gateway)]
fun conformance_set_registry_bad_key() {
    let mut s = setup();
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let pool = s.take_shared<StakingPool>();
        let mut registry = s.take_shared<NautilusRegistry>();
        k8s_gateway::set_registry(&cap, &pool, &mut registry, utf8(b"https://cp"), x"010203", s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(pool);
        ts::return_shared(registry);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker, location = k3s_daas::staking)]
fun conformance_wrong_sender_request() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(BOB);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker, location = k3s_daas::staking)]
fun conformance_wrong_sender_claim() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_epoch(ADMIN);
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, 1000000000, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.next_epoch(ADMIN);
    s.next_tx(BOB);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        let c = staking::claim_withdrawal(&mut pool, &mut record, s.ctx());
        transfer::public_transfer(c, BOB);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker, location = k3s_daas::staking)]
fun conformance_wrong_sender_top_up() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(BOB);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::add_stake(&mut pool, &mut record, coin::mint_for_testing<SUI>(1000000000, s.ctx()), s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = staking::ENotStaker, location = k3s_daas::staking)]
fun conformance_wrong_sender_transfer() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(BOB);
    {
        let pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::transfer_stake(&pool, &mut record, BOB, s.ctx());
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::ENotStaker, location = k3s_daas::k8s_gateway)]
fun conformance_wrong_sender_mint() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(BOB);
    {
        let record = s.take_shared<StakeRecord>();
        k8s_gateway::create_worker_seal_token(&record, x"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", s.ctx());
        ts::return_shared(record);
    };
    s.end();
}

#[test]
fun conformance_wrong_sender_slash() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(BOB);
    assert!(!ts::has_most_recent_for_sender<AdminCap>(&s));
    s.end();
}

#[test]
fun conformance_wrong_sender_revoke() {
    let mut s = setup();
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(1000000000, s.ctx()), utf8(b"worker-1"), s.ctx());
        ts::return_shared(pool);
    };
    s.next_tx(ALICE);
    {
        let record = s.take_shared<StakeRecord>();
        k8s_gateway::create_worker_seal_token(&record, x"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", s.ctx());
        ts::return_shared(record);
    };
    s.next_tx(BOB);
    assert!(!ts::has_most_recent_for_sender<SealToken>(&s));
    s.end();
}

#[test]
fun conformance_wrong_sender_set_pool_params() {
    let mut s = setup();
    s.next_tx(BOB);
    assert!(!ts::has_most_recent_for_sender<AdminCap>(&s));
    s.end();
}

#[test]
fun conformance_wrong_sender_set_registry() {
    let mut s = setup();
    s.next_tx(BOB);
    assert!(!ts::has_most_recent_for_sender<AdminCap>(&s));
    s.end();
}
