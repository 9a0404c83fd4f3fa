// The conformance table: one list of scenarios over the k3s_daas package, run twice, as Move
// unit tests through test_scenario (move/tests/conformance_tests.move, generated from this
// table by ./to-move.ts) and against the devnet through @mysten/sui (../conformance.test.ts).
// Both sides start from the same pool (min stake 1 SUI, lock 2 epochs, withdrawal cool-down 1
// epoch), run the same steps and must end the same way: the same abort (module and constant),
// or the same fields and balances.

export type Actor = "ADMIN" | "ALICE" | "BOB";

export const SUI = 1_000_000_000n;
export const POOL = { minNodeStakeMist: SUI, lockEpochs: 2n, withdrawalCooldownEpochs: 1n } as const;

/** Byte strings the scenarios pass as keys (the same bytes on both sides). */
export const KEYS = {
  worker: Uint8Array.from({ length: 32 }, (_, i) => i),
  enclave: Uint8Array.from({ length: 32 }, (_, i) => 255 - i),
  short: Uint8Array.from([1, 2, 3]),
} as const;
export type KeyName = keyof typeof KEYS;

export type Step =
  | { op: "stake"; by: Actor; node: string; amount: bigint }
  /** Ask for `amount` of the latest stake back (staking::request_withdrawal). */
  | { op: "request"; by: Actor; amount: bigint }
  /** Claim the latest stake's pending withdrawal (staking::claim_withdrawal); the coin goes to the sender. */
  | { op: "claim"; by: Actor }
  /** Top up the latest stake with a fresh coin of `amount` (staking::add_stake). */
  | { op: "add"; by: Actor; amount: bigint }
  /** Hand the latest stake to `to` in place (staking::transfer_stake). */
  | { op: "transfer"; by: Actor; to: Actor }
  | { op: "slash"; by: Actor; amount: bigint; reason: string }
  | { op: "mint"; by: Actor; key: KeyName }
  | { op: "revoke"; by: Actor }
  | { op: "set_pool_params"; by: Actor; minNodeStake: bigint; lockEpochs: bigint; withdrawalCooldownEpochs: bigint }
  | { op: "set_registry"; by: Actor; endpoint: string; key: KeyName }
  | { op: "next_epoch"; count: number };

/** A value a field must hold. Ids and addresses are symbolic: each side has its own. */
export type Value =
  | bigint // u64 (and Balance<SUI>)
  | number // u8
  | string // String
  | string[] // vector<String>
  | { who: Actor }
  | { id: "record" | "pool" }
  | { key: KeyName } // vector<u8>
  | { size: bigint }; // Table: its entry count

export type Outcome =
  | { ok: true }
  /** The last step aborts with this constant of this module. */
  | { abort: { module: "staking" | "k8s_gateway"; name: string } }
  /**
   * The last step fails with Move's arithmetic error (a u64 overflow) in this function of the
   * package: no abort code; on chain a MovePrimitiveRuntimeError located there.
   */
  | { arithmetic: { module: "staking" | "k8s_gateway"; functionName: string } }
  /**
   * The last step needs an owned object the sender does not own: on chain the transaction is
   * refused before execution; in test_scenario the sender has no such object to take.
   */
  | { notOwner: "AdminCap" | "SealToken" };

export interface Expect {
  record?: Record<string, Value>;
  pool?: Record<string, Value>;
  token?: Record<string, Value>;
  registry?: Record<string, Value>;
  /** ALICE holds no seal token. */
  tokenGone?: true;
  /** What staking::stake_id_for_node answers for this node: the latest record, or none. */
  nodeStake?: { node: string; is: "record" | "none" };
  /** The coin the last claim (full or partial) sent to its sender, ALICE, holds this much. */
  withdrawn?: bigint;
}

export interface Scenario {
  /** The Move test is `conformance_<id>`. */
  id: string;
  steps: Step[];
  outcome: Outcome;
  expect?: Expect;
  /**
   * MIST the devnet's faucet sends these actors before the steps, on top of the 1000 SUI each
   * wallet starts with (the Move side mints every coin it pays with, so it needs none).
   */
  funds?: Partial<Record<Actor, bigint>>;
}

const stake = (by: Actor = "ALICE", amount = SUI, node = "worker-1"): Step => ({ op: "stake", by, node, amount });
const slash = (amount = SUI, by: Actor = "ADMIN"): Step => ({ op: "slash", by, amount, reason: "missed heartbeats" });
const add = (amount: bigint, by: Actor = "ALICE"): Step => ({ op: "add", by, amount });
const request = (amount: bigint, by: Actor = "ALICE"): Step => ({ op: "request", by, amount });
const claim = (by: Actor = "ALICE"): Step => ({ op: "claim", by });
const transfer = (to: Actor, by: Actor = "ALICE"): Step => ({ op: "transfer", by, to });
const epochs = (count: number): Step => ({ op: "next_epoch", count });
const params = (minNodeStake: bigint, lockEpochs: bigint, withdrawalCooldownEpochs: bigint, by: Actor = "ADMIN"): Step =>
  ({ op: "set_pool_params", by, minNodeStake, lockEpochs, withdrawalCooldownEpochs });
const abort = (module: "staking" | "k8s_gateway", name: string): Outcome => ({ abort: { module, name } });
const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** 7 billion SUI: three of these top-ups add up past u64::MAX (the whole supply, 10 billion, does not). */
const BIG = 7_000_000_000n * SUI;
const OK: Outcome = { ok: true };
/** Past the 2-epoch lock. */
const LOCK = epochs(2);
/** Past the 1-epoch cool-down. */
const COOL = epochs(1);

export const SCENARIOS: Scenario[] = [
  {
    id: "stake",
    steps: [stake("ALICE", 2n * SUI)],
    outcome: OK,
    expect: {
      record: {
        pool_id: { id: "pool" }, staker: { who: "ALICE" }, node_id: "worker-1", amount: 2n * SUI, status: 1, staked_at: 0n, locked_until: 2n,
        withdrawal_requested: 0n, claimable_at: 0n,
      },
      pool: {
        balance: 2n * SUI, slashed: 0n, min_node_stake: SUI, lock_epochs: 2n, withdrawal_cooldown_epochs: 1n, node_stakes: { size: 1n },
        total_staked: 2n * SUI, total_slashed: 0n, active_stakes: 1n,
      },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  { id: "duplicate_node_id", steps: [stake("ALICE"), stake("BOB")], outcome: abort("staking", "ENodeAlreadyStaked") },
  { id: "below_minimum", steps: [stake("ALICE", SUI / 2n)], outcome: abort("staking", "EInsufficientStake") },
  { id: "empty_node_id", steps: [stake("ALICE", SUI, "")], outcome: abort("staking", "EInvalidNodeId") },
  // Withdrawal: a request after the lock, a claim after the cool-down. In between the SUI stays
  // in the pool, slashable; a full request turns the stake LEAVING (status 4, not active).
  { id: "request_before_lock", steps: [stake("ALICE"), epochs(1), request(SUI)], outcome: abort("staking", "EStakeLocked") },
  {
    id: "request_full",
    steps: [stake("ALICE", 3n * SUI), LOCK, request(3n * SUI)],
    outcome: OK,
    expect: {
      record: { amount: 3n * SUI, status: 4, locked_until: 2n, withdrawal_requested: 3n * SUI, claimable_at: 3n },
      pool: { balance: 3n * SUI, node_stakes: { size: 1n }, total_staked: 3n * SUI, active_stakes: 0n },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  { id: "claim_too_early", steps: [stake("ALICE"), LOCK, request(SUI), claim()], outcome: abort("staking", "EWithdrawalCoolingDown") },
  {
    id: "claim_after_cooldown",
    steps: [stake("ALICE", 3n * SUI), LOCK, request(3n * SUI), COOL, claim()],
    outcome: OK,
    expect: {
      withdrawn: 3n * SUI,
      record: { amount: 0n, status: 3, locked_until: 2n, withdrawal_requested: 0n, claimable_at: 0n },
      pool: { balance: 0n, node_stakes: { size: 0n }, total_staked: 0n, active_stakes: 0n },
      nodeStake: { node: "worker-1", is: "none" },
    },
  },
  { id: "claim_without_request", steps: [stake("ALICE"), epochs(3), claim()], outcome: abort("staking", "ENoWithdrawalRequested") },
  { id: "claim_twice", steps: [stake("ALICE"), LOCK, request(SUI), COOL, claim(), claim()], outcome: abort("staking", "ENoWithdrawalRequested") },
  { id: "request_twice", steps: [stake("ALICE", 3n * SUI), LOCK, request(SUI), request(SUI)], outcome: abort("staking", "EWithdrawalPending") },
  { id: "request_leaving", steps: [stake("ALICE"), LOCK, request(SUI), COOL, request(SUI)], outcome: abort("staking", "EStakeNotActive") },
  { id: "request_withdrawn", steps: [stake("ALICE"), LOCK, request(SUI), COOL, claim(), request(SUI)], outcome: abort("staking", "EStakeNotActive") },
  // u64 arithmetic fails as Move's does (MovePrimitiveRuntimeError, no abort code): a cool-down
  // so long that `epoch + withdrawal_cooldown_epochs` passes u64::MAX makes the request fail there.
  {
    id: "request_cooldown_overflow",
    steps: [params(SUI, 2n, U64_MAX), stake("ALICE"), LOCK, request(SUI)],
    outcome: { arithmetic: { module: "staking", functionName: "request_withdrawal" } },
  },
  {
    id: "slash",
    steps: [stake("ALICE", 3n * SUI), slash(SUI)],
    outcome: OK,
    expect: {
      record: { amount: 2n * SUI, status: 2, withdrawal_requested: 0n, claimable_at: 0n },
      pool: { balance: 2n * SUI, slashed: SUI, total_staked: 2n * SUI, total_slashed: SUI, active_stakes: 0n, node_stakes: { size: 1n } },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  { id: "slash_twice", steps: [stake("ALICE", 3n * SUI), slash(1n), slash(1n)], outcome: abort("staking", "EStakeNotActive") },
  { id: "slash_more_than_stake", steps: [stake("ALICE"), slash(SUI + 1n)], outcome: abort("staking", "EInvalidSlashAmount") },
  { id: "slash_withdrawn", steps: [stake("ALICE"), LOCK, request(SUI), COOL, claim(), slash(1n)], outcome: abort("staking", "EStakeNotActive") },
  {
    id: "claim_after_slash",
    steps: [stake("ALICE", 3n * SUI), slash(SUI), LOCK, request(2n * SUI), COOL, claim()],
    outcome: OK,
    expect: {
      withdrawn: 2n * SUI,
      record: { amount: 0n, status: 3, withdrawal_requested: 0n, claimable_at: 0n },
      pool: { balance: 0n, slashed: SUI, total_staked: 0n, total_slashed: SUI, active_stakes: 0n, node_stakes: { size: 0n } },
      nodeStake: { node: "worker-1", is: "none" },
    },
  },
  // A slash that lands inside the cool-down still takes its amount (the finding: with an instant
  // withdrawal, a staker who expected a slash withdrew first). The pending request becomes one
  // for the whole remainder, claimable when it was.
  {
    id: "slash_during_cooldown",
    steps: [stake("ALICE", 3n * SUI), LOCK, request(3n * SUI), slash(SUI)],
    outcome: OK,
    expect: {
      record: { amount: 2n * SUI, status: 2, withdrawal_requested: 2n * SUI, claimable_at: 3n },
      pool: { balance: 2n * SUI, slashed: SUI, total_staked: 2n * SUI, total_slashed: SUI, active_stakes: 0n, node_stakes: { size: 1n } },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  {
    id: "slash_during_cooldown_then_claim",
    steps: [stake("ALICE", 3n * SUI), LOCK, request(3n * SUI), slash(SUI), COOL, claim()],
    outcome: OK,
    expect: {
      withdrawn: 2n * SUI,
      record: { amount: 0n, status: 3, withdrawal_requested: 0n, claimable_at: 0n },
      pool: { balance: 0n, slashed: SUI, total_staked: 0n, total_slashed: SUI, active_stakes: 0n, node_stakes: { size: 0n } },
      nodeStake: { node: "worker-1", is: "none" },
    },
  },
  {
    id: "slash_during_partial_cooldown",
    steps: [stake("ALICE", 3n * SUI), LOCK, request(SUI), slash(SUI)],
    outcome: OK,
    expect: {
      record: { amount: 2n * SUI, status: 2, withdrawal_requested: 2n * SUI, claimable_at: 3n },
      pool: { balance: 2n * SUI, total_staked: 2n * SUI, active_stakes: 0n, node_stakes: { size: 1n } },
    },
  },
  // A slash of the whole amount leaves nothing to claim: the node id is free at once.
  {
    id: "slash_whole_amount",
    steps: [stake("ALICE", 3n * SUI), LOCK, request(3n * SUI), slash(3n * SUI)],
    outcome: OK,
    expect: {
      record: { amount: 0n, status: 2, withdrawal_requested: 0n, claimable_at: 0n },
      pool: { balance: 0n, slashed: 3n * SUI, total_staked: 0n, total_slashed: 3n * SUI, active_stakes: 0n, node_stakes: { size: 0n } },
      nodeStake: { node: "worker-1", is: "none" },
    },
  },
  {
    id: "slash_whole_amount_frees_node",
    steps: [stake("ALICE", 3n * SUI), slash(3n * SUI), stake("BOB", SUI)],
    outcome: OK,
    expect: {
      record: { staker: { who: "BOB" }, node_id: "worker-1", amount: SUI, status: 1 },
      pool: { balance: SUI, slashed: 3n * SUI, total_staked: SUI, active_stakes: 1n, node_stakes: { size: 1n } },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  {
    id: "claim_after_whole_amount_slash",
    steps: [stake("ALICE"), LOCK, request(SUI), slash(SUI), COOL, claim()],
    outcome: abort("staking", "ENoWithdrawalRequested"),
  },
  // Stake changed in place: top-up (any time the stake is active) and partial withdrawal (after
  // the lock, keeping the pool minimum, claimed after the cool-down). The lock does not move on
  // a top-up.
  {
    id: "top_up",
    steps: [stake("ALICE", 2n * SUI), epochs(1), add(SUI)],
    outcome: OK,
    expect: {
      record: { pool_id: { id: "pool" }, staker: { who: "ALICE" }, node_id: "worker-1", amount: 3n * SUI, status: 1, staked_at: 0n, locked_until: 2n },
      pool: { balance: 3n * SUI, slashed: 0n, node_stakes: { size: 1n }, total_staked: 3n * SUI, active_stakes: 1n },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  { id: "top_up_zero", steps: [stake("ALICE"), add(0n)], outcome: abort("staking", "EZeroAmount") },
  { id: "top_up_slashed", steps: [stake("ALICE", 3n * SUI), slash(SUI), add(SUI)], outcome: abort("staking", "EStakeNotActive") },
  { id: "top_up_leaving", steps: [stake("ALICE"), LOCK, request(SUI), add(SUI)], outcome: abort("staking", "EStakeNotActive") },
  { id: "top_up_withdrawn", steps: [stake("ALICE"), LOCK, request(SUI), COOL, claim(), add(SUI)], outcome: abort("staking", "EStakeNotActive") },
  {
    id: "request_partial",
    steps: [stake("ALICE", 3n * SUI), LOCK, request(SUI)],
    outcome: OK,
    expect: {
      record: { amount: 3n * SUI, status: 1, withdrawal_requested: SUI, claimable_at: 3n },
      pool: { balance: 3n * SUI, total_staked: 3n * SUI, active_stakes: 1n, node_stakes: { size: 1n } },
    },
  },
  {
    id: "partial_claim",
    steps: [stake("ALICE", 3n * SUI), LOCK, request(SUI), COOL, claim()],
    outcome: OK,
    expect: {
      withdrawn: SUI,
      record: { amount: 2n * SUI, status: 1, staked_at: 0n, locked_until: 2n, withdrawal_requested: 0n, claimable_at: 0n },
      pool: { balance: 2n * SUI, node_stakes: { size: 1n }, total_staked: 2n * SUI, active_stakes: 1n },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  {
    id: "partial_claim_to_minimum",
    steps: [stake("ALICE", 3n * SUI), LOCK, request(2n * SUI), COOL, claim()],
    outcome: OK,
    expect: { withdrawn: 2n * SUI, record: { amount: SUI, status: 1 }, pool: { balance: SUI, total_staked: SUI, active_stakes: 1n } },
  },
  // total_staked is the SUI in live stakes (= balance), not SUI ever staked: the same coin topped
  // up and taken back again, over and over, leaves it where it was. (When it only grew, three
  // rounds of 7 billion SUI pushed it past u64::MAX and every later stake aborted on overflow.)
  {
    id: "top_up_reduce_cycle",
    funds: { ALICE: BIG },
    steps: [stake("ALICE"), LOCK, ...[1, 2, 3].flatMap(() => [add(BIG), request(BIG), COOL, claim()])],
    outcome: OK,
    expect: {
      withdrawn: BIG,
      record: { amount: SUI, status: 1, withdrawal_requested: 0n },
      pool: { balance: SUI, total_staked: SUI, active_stakes: 1n, node_stakes: { size: 1n } },
    },
  },
  // A lock so long that `epoch + lock_epochs` passes u64::MAX makes stake_for_node fail there.
  {
    id: "stake_lock_overflow",
    steps: [params(SUI, U64_MAX, 1n), epochs(1), stake("ALICE")],
    outcome: { arithmetic: { module: "staking", functionName: "stake_for_node" } },
  },
  { id: "request_below_minimum", steps: [stake("ALICE", 3n * SUI), LOCK, request(2n * SUI + 1n)], outcome: abort("staking", "ERemainderBelowMinimum") },
  { id: "request_more_than_stake", steps: [stake("ALICE", 3n * SUI), LOCK, request(4n * SUI)], outcome: abort("staking", "ERemainderBelowMinimum") },
  { id: "request_zero", steps: [stake("ALICE", 3n * SUI), LOCK, request(0n)], outcome: abort("staking", "EZeroAmount") },
  // A slashed stake can only ask for its whole remainder.
  { id: "request_slashed_part", steps: [stake("ALICE", 3n * SUI), slash(SUI), LOCK, request(SUI / 2n)], outcome: abort("staking", "ERemainderBelowMinimum") },
  // Wallet migration in place: the record, its amount, lock and node id stay; only the staker
  // changes, so the node id is never free.
  {
    id: "transfer",
    steps: [stake("ALICE", 3n * SUI), epochs(1), transfer("BOB")],
    outcome: OK,
    expect: {
      record: {
        pool_id: { id: "pool" }, staker: { who: "BOB" }, node_id: "worker-1", amount: 3n * SUI, status: 1, staked_at: 0n, locked_until: 2n,
        withdrawal_requested: 0n, claimable_at: 0n,
      },
      pool: { balance: 3n * SUI, total_staked: 3n * SUI, active_stakes: 1n, node_stakes: { size: 1n } },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  { id: "transfer_keeps_node_taken", steps: [stake("ALICE"), transfer("BOB"), stake("ALICE")], outcome: abort("staking", "ENodeAlreadyStaked") },
  {
    id: "transfer_then_new_staker_withdraws",
    steps: [stake("BOB", 2n * SUI), transfer("ALICE", "BOB"), LOCK, request(2n * SUI, "ALICE"), COOL, claim("ALICE")],
    outcome: OK,
    expect: {
      withdrawn: 2n * SUI,
      record: { staker: { who: "ALICE" }, amount: 0n, status: 3 },
      pool: { balance: 0n, total_staked: 0n, node_stakes: { size: 0n } },
      nodeStake: { node: "worker-1", is: "none" },
    },
  },
  { id: "transfer_old_staker_requests", steps: [stake("ALICE"), transfer("BOB"), LOCK, request(SUI, "ALICE")], outcome: abort("staking", "ENotStaker") },
  { id: "transfer_to_self", steps: [stake("ALICE"), transfer("ALICE")], outcome: abort("staking", "ESameStaker") },
  { id: "transfer_pending", steps: [stake("ALICE", 3n * SUI), LOCK, request(SUI), transfer("BOB")], outcome: abort("staking", "EWithdrawalPending") },
  { id: "transfer_slashed", steps: [stake("ALICE", 3n * SUI), slash(SUI), transfer("BOB")], outcome: abort("staking", "EStakeNotActive") },
  {
    id: "mint_active",
    steps: [stake("ALICE"), { op: "mint", by: "ALICE", key: "worker" }],
    outcome: OK,
    expect: {
      token: { stake_id: { id: "record" }, node_id: "worker-1", worker_pubkey: { key: "worker" }, permissions: ["node:join", "node:heartbeat"], issued_at: 0n, expires_at: 30n },
      record: { status: 1 },
    },
  },
  { id: "mint_slashed", steps: [stake("ALICE"), slash(1n), { op: "mint", by: "ALICE", key: "worker" }], outcome: abort("k8s_gateway", "EStakeNotActive") },
  { id: "mint_leaving", steps: [stake("ALICE"), LOCK, request(SUI), { op: "mint", by: "ALICE", key: "worker" }], outcome: abort("k8s_gateway", "EStakeNotActive") },
  { id: "mint_after_transfer_old_staker", steps: [stake("ALICE"), transfer("BOB"), { op: "mint", by: "ALICE", key: "worker" }], outcome: abort("k8s_gateway", "ENotStaker") },
  { id: "mint_short_key", steps: [stake("ALICE"), { op: "mint", by: "ALICE", key: "short" }], outcome: abort("k8s_gateway", "EInvalidWorkerKey") },
  {
    id: "revoke",
    steps: [stake("ALICE"), { op: "mint", by: "ALICE", key: "worker" }, { op: "revoke", by: "ALICE" }],
    outcome: OK,
    expect: { tokenGone: true, record: { status: 1 } },
  },
  {
    id: "set_pool_params",
    steps: [params(5n * SUI, 9n, 4n)],
    outcome: OK,
    expect: { pool: { min_node_stake: 5n * SUI, lock_epochs: 9n, withdrawal_cooldown_epochs: 4n } },
  },
  {
    id: "set_registry",
    steps: [{ op: "set_registry", by: "ADMIN", endpoint: "https://cp.example:8443", key: "enclave" }],
    outcome: OK,
    expect: { registry: { endpoint: "https://cp.example:8443", enclave_pubkey: { key: "enclave" }, updated_at: 0n } },
  },
  { id: "set_registry_bad_key", steps: [{ op: "set_registry", by: "ADMIN", endpoint: "https://cp", key: "short" }], outcome: abort("k8s_gateway", "EInvalidEnclaveKey") },
  // Every call from the wrong sender.
  { id: "wrong_sender_request", steps: [stake("ALICE"), LOCK, request(SUI, "BOB")], outcome: abort("staking", "ENotStaker") },
  { id: "wrong_sender_claim", steps: [stake("ALICE"), LOCK, request(SUI), COOL, claim("BOB")], outcome: abort("staking", "ENotStaker") },
  { id: "wrong_sender_top_up", steps: [stake("ALICE"), add(SUI, "BOB")], outcome: abort("staking", "ENotStaker") },
  { id: "wrong_sender_transfer", steps: [stake("ALICE"), transfer("BOB", "BOB")], outcome: abort("staking", "ENotStaker") },
  { id: "wrong_sender_mint", steps: [stake("ALICE"), { op: "mint", by: "BOB", key: "worker" }], outcome: abort("k8s_gateway", "ENotStaker") },
  { id: "wrong_sender_slash", steps: [stake("ALICE"), slash(SUI, "BOB")], outcome: { notOwner: "AdminCap" } },
  {
    id: "wrong_sender_revoke",
    steps: [stake("ALICE"), { op: "mint", by: "ALICE", key: "worker" }, { op: "revoke", by: "BOB" }],
    outcome: { notOwner: "SealToken" },
  },
  { id: "wrong_sender_set_pool_params", steps: [params(SUI, 1n, 1n, "BOB")], outcome: { notOwner: "AdminCap" } },
  { id: "wrong_sender_set_registry", steps: [{ op: "set_registry", by: "BOB", endpoint: "https://evil", key: "enclave" }], outcome: { notOwner: "AdminCap" } },
];
