#[test_only]
module k3s_daas::k8s_gateway_tests;

use k3s_daas::k8s_gateway::{Self, NautilusRegistry, SealToken};
use k3s_daas::staking::{Self, AdminCap, StakeRecord, StakingPool};
use std::string::utf8;
use sui::coin;
use sui::sui::SUI;
use sui::test_scenario::{Self as ts, Scenario};

const ADMIN: address = @0xAD;
const ALICE: address = @0xA1;
const BOB: address = @0xB0;
const SUI_1: u64 = 1_000_000_000;

fun key32(): vector<u8> {
    let mut v = vector[];
    let mut i = 0;
    while (i < 32) { v.push_back(i as u8); i = i + 1; };
    v
}

/// Pool + registry, and one active stake by ALICE for "worker-1".
fun setup(): Scenario {
    let mut s = ts::begin(ADMIN);
    let (pool, cap) = staking::new_pool_for_testing(s.ctx());
    staking::share_pool_for_testing(pool);
    transfer::public_transfer(cap, ADMIN);
    k8s_gateway::init_for_testing(s.ctx());
    s.next_tx(ALICE);
    let mut pool = s.take_shared<StakingPool>();
    staking::stake_for_node(&mut pool, coin::mint_for_testing<SUI>(SUI_1, s.ctx()), utf8(b"worker-1"), s.ctx());
    ts::return_shared(pool);
    s
}

fun mint(s: &mut Scenario, who: address, key: vector<u8>) {
    s.next_tx(who);
    let record = s.take_shared<StakeRecord>();
    k8s_gateway::create_worker_seal_token(&record, key, s.ctx());
    ts::return_shared(record);
}

#[test]
fun staker_mints_token_with_worker_key_then_revokes() {
    let mut s = setup();
    mint(&mut s, ALICE, key32());
    s.next_tx(ALICE);
    let record = s.take_shared<StakeRecord>();
    let token = s.take_from_sender<SealToken>();
    assert!(k8s_gateway::token_stake_id(&token) == object::id(&record));
    assert!(k8s_gateway::token_node_id(&token) == utf8(b"worker-1"));
    assert!(k8s_gateway::token_worker_pubkey(&token) == key32());
    assert!(k8s_gateway::token_expires_at(&token) == 30);
    ts::return_shared(record);
    k8s_gateway::revoke_seal_token(token);
    s.next_tx(ALICE);
    assert!(!ts::has_most_recent_for_sender<SealToken>(&s));
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::ENotStaker)]
fun other_address_cannot_mint() {
    let mut s = setup();
    mint(&mut s, BOB, key32());
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::EInvalidWorkerKey)]
fun short_worker_key_aborts() {
    let mut s = setup();
    mint(&mut s, ALICE, vector[1, 2, 3]);
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::EStakeNotActive)]
fun slashed_stake_cannot_mint() {
    let mut s = setup();
    s.next_tx(ADMIN);
    {
        let cap = s.take_from_sender<AdminCap>();
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::slash_stake(&cap, &mut pool, &mut record, 1, utf8(b"x"), s.ctx());
        s.return_to_sender(cap);
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    mint(&mut s, ALICE, key32());
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::EStakeNotActive)]
/// A full withdrawal request turns the stake LEAVING: not active, so no seal token.
fun leaving_stake_cannot_mint() {
    let mut s = setup();
    // Past the publish default lock (7 epochs).
    let mut i: u64 = 0;
    while (i < 7) { s.next_epoch(ADMIN); i = i + 1; };
    s.next_tx(ALICE);
    {
        let mut pool = s.take_shared<StakingPool>();
        let mut record = s.take_shared<StakeRecord>();
        staking::request_withdrawal(&mut pool, &mut record, SUI_1, s.ctx());
        assert!(staking::status(&record) == staking::status_leaving());
        assert!(!staking::is_active(&record));
        ts::return_shared(record);
        ts::return_shared(pool);
    };
    mint(&mut s, ALICE, key32());
    s.end();
}

fun transfer_to_bob(s: &mut Scenario) {
    s.next_tx(ALICE);
    let pool = s.take_shared<StakingPool>();
    let mut record = s.take_shared<StakeRecord>();
    staking::transfer_stake(&pool, &mut record, BOB, s.ctx());
    ts::return_shared(record);
    ts::return_shared(pool);
}

#[test]
/// After a transfer the new staker mints; the old staker's token stays with the old staker,
/// who is no longer the stake's staker (every reader refuses such a token).
fun after_a_transfer_the_new_staker_mints() {
    let mut s = setup();
    mint(&mut s, ALICE, key32());
    transfer_to_bob(&mut s);
    mint(&mut s, BOB, key32());
    s.next_tx(BOB);
    let record = s.take_shared<StakeRecord>();
    let token = s.take_from_sender<SealToken>();
    assert!(k8s_gateway::token_stake_id(&token) == object::id(&record));
    assert!(staking::staker(&record) == BOB);
    ts::return_shared(record);
    s.return_to_sender(token);
    s.next_tx(ALICE);
    assert!(ts::has_most_recent_for_sender<SealToken>(&s));
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::ENotStaker)]
fun after_a_transfer_the_old_staker_cannot_mint() {
    let mut s = setup();
    transfer_to_bob(&mut s);
    mint(&mut s, ALICE, key32());
    s.end();
}

#[test]
fun admin_sets_registry() {
    let mut s = setup();
    s.next_tx(ADMIN);
    let cap = s.take_from_sender<AdminCap>();
    let pool = s.take_shared<StakingPool>();
    let mut reg = s.take_shared<NautilusRegistry>();
    k8s_gateway::set_registry(&cap, &pool, &mut reg, utf8(b"https://cp:8443"), key32(), s.ctx());
    assert!(k8s_gateway::endpoint(&reg) == utf8(b"https://cp:8443"));
    assert!(k8s_gateway::enclave_pubkey(&reg) == key32());
    s.return_to_sender(cap);
    ts::return_shared(pool);
    ts::return_shared(reg);
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::EInvalidEnclaveKey)]
fun registry_rejects_bad_enclave_key() {
    let mut s = setup();
    s.next_tx(ADMIN);
    let cap = s.take_from_sender<AdminCap>();
    let pool = s.take_shared<StakingPool>();
    let mut reg = s.take_shared<NautilusRegistry>();
    k8s_gateway::set_registry(&cap, &pool, &mut reg, utf8(b"https://cp:8443"), vector[1], s.ctx());
    s.return_to_sender(cap);
    ts::return_shared(pool);
    ts::return_shared(reg);
    s.end();
}

#[test, expected_failure(abort_code = k8s_gateway::EInvalidEndpoint)]
fun registry_rejects_empty_endpoint() {
    let mut s = setup();
    s.next_tx(ADMIN);
    let cap = s.take_from_sender<AdminCap>();
    let pool = s.take_shared<StakingPool>();
    let mut reg = s.take_shared<NautilusRegistry>();
    k8s_gateway::set_registry(&cap, &pool, &mut reg, utf8(b""), key32(), s.ctx());
    s.return_to_sender(cap);
    ts::return_shared(pool);
    ts::return_shared(reg);
    s.end();
}
