/// Seal tokens (a worker's permission to join, minted from an active stake) and the registry
/// naming the Nautilus control plane.
///
/// `SealToken` has `key` only: it can be moved solely by this module, so it stays with the
/// staker who minted it. A token counts only while its owner is its stake's staker (every reader
/// checks that): after `staking::transfer_stake` the old staker's tokens no longer count, and
/// only the new staker can mint. A stake that is leaving (full withdrawal requested), slashed
/// or withdrawn is not active and mints nothing. It holds the worker's own ed25519 public key (generated on the host);
/// the control plane checks request signatures against it. Object data is public on chain, so
/// nothing secret belongs in a token.
///
/// The devnet executes a TypeScript model of this module (devnet/chain/model.ts).
module k3s_daas::k8s_gateway;

use k3s_daas::staking::{Self, AdminCap, StakeRecord, StakingPool};
use std::string::{Self, String};
use sui::event;

// === Abort codes ===
const ENotStaker: u64 = 1;
const EStakeNotActive: u64 = 2;
const EInvalidWorkerKey: u64 = 3;
const EInvalidEndpoint: u64 = 4;
const EInvalidEnclaveKey: u64 = 5;
const EWrongPool: u64 = 6;

const ED25519_KEY_BYTES: u64 = 32;
const MAX_ENDPOINT_BYTES: u64 = 256;
/// A token must be re-minted after this many epochs (about a month on testnet).
const SEAL_TOKEN_VALIDITY_EPOCHS: u64 = 30;

public struct SealToken has key {
    id: UID,
    stake_id: ID,
    node_id: String,
    worker_pubkey: vector<u8>,
    permissions: vector<String>,
    issued_at: u64,
    expires_at: u64,
}

public struct NautilusRegistry has key {
    id: UID,
    endpoint: String,
    enclave_pubkey: vector<u8>,
    updated_at: u64,
}

public struct SealTokenCreated has copy, drop {
    token_id: ID,
    stake_id: ID,
    node_id: String,
    owner: address,
    expires_at: u64,
}

public struct SealTokenRevoked has copy, drop {
    token_id: ID,
    stake_id: ID,
    node_id: String,
}

public struct RegistryUpdated has copy, drop {
    registry_id: ID,
    endpoint: String,
    updated_at: u64,
}

fun init(ctx: &mut TxContext) {
    transfer::share_object(NautilusRegistry {
        id: object::new(ctx),
        endpoint: string::utf8(b""),
        enclave_pubkey: vector[],
        updated_at: 0,
    });
}

/// Mint a seal token for the node of `record`, sent to the staker. The stake must be active
/// (`staking::is_active`: not leaving, slashed or withdrawn).
public fun create_worker_seal_token(
    record: &StakeRecord,
    worker_pubkey: vector<u8>,
    ctx: &mut TxContext,
) {
    assert!(staking::staker(record) == ctx.sender(), ENotStaker);
    assert!(staking::is_active(record), EStakeNotActive);
    assert!(worker_pubkey.length() == ED25519_KEY_BYTES, EInvalidWorkerKey);

    let epoch = ctx.epoch();
    let token = SealToken {
        id: object::new(ctx),
        stake_id: object::id(record),
        node_id: staking::node_id(record),
        worker_pubkey,
        permissions: vector[string::utf8(b"node:join"), string::utf8(b"node:heartbeat")],
        issued_at: epoch,
        expires_at: epoch + SEAL_TOKEN_VALIDITY_EPOCHS,
    };
    event::emit(SealTokenCreated {
        token_id: object::id(&token),
        stake_id: token.stake_id,
        node_id: token.node_id,
        owner: ctx.sender(),
        expires_at: token.expires_at,
    });
    transfer::transfer(token, ctx.sender());
}

/// Delete a seal token. Only its owner can pass an owned object, so only the staker can revoke.
public fun revoke_seal_token(token: SealToken) {
    let SealToken { id, stake_id, node_id, .. } = token;
    event::emit(SealTokenRevoked { token_id: id.to_inner(), stake_id, node_id });
    id.delete();
}

/// Admin: name the control plane's endpoint and its enclave's ed25519 public key.
public fun set_registry(
    cap: &AdminCap,
    pool: &StakingPool,
    registry: &mut NautilusRegistry,
    endpoint: String,
    enclave_pubkey: vector<u8>,
    ctx: &mut TxContext,
) {
    assert!(staking::cap_pool_id(cap) == object::id(pool), EWrongPool);
    let len = endpoint.length();
    assert!(len > 0 && len <= MAX_ENDPOINT_BYTES, EInvalidEndpoint);
    assert!(enclave_pubkey.length() == ED25519_KEY_BYTES, EInvalidEnclaveKey);
    registry.endpoint = endpoint;
    registry.enclave_pubkey = enclave_pubkey;
    registry.updated_at = ctx.epoch();
    event::emit(RegistryUpdated { registry_id: object::id(registry), endpoint, updated_at: ctx.epoch() });
}

// === Read accessors ===

public fun token_stake_id(token: &SealToken): ID { token.stake_id }
public fun token_node_id(token: &SealToken): String { token.node_id }
public fun token_worker_pubkey(token: &SealToken): vector<u8> { token.worker_pubkey }
public fun token_expires_at(token: &SealToken): u64 { token.expires_at }
public fun endpoint(registry: &NautilusRegistry): String { registry.endpoint }
public fun enclave_pubkey(registry: &NautilusRegistry): vector<u8> { registry.enclave_pubkey }

#[test_only]
public fun init_for_testing(ctx: &mut TxContext) { init(ctx) }
