// The conformance table: one list of scenarios over the k3s_daas package, run twice, as Move
// unit tests through test_scenario (move/tests/conformance_tests.move, generated from this
// table by ./to-move.ts) and against the devnet through @mysten/sui (../conformance.test.ts).
// Both sides start from the same pool (min stake 1 SUI, lock 2 epochs), run the same steps and
// must end the same way: the same abort (module and constant), or the same fields and balances.

export type Actor = "ADMIN" | "ALICE" | "BOB";

export const SUI = 1_000_000_000n;
export const POOL = { minNodeStakeMist: SUI, lockEpochs: 2n } as const;

/** Byte strings the scenarios pass as keys (the same bytes on both sides). */
export const KEYS = {
  worker: Uint8Array.from({ length: 32 }, (_, i) => i),
  enclave: Uint8Array.from({ length: 32 }, (_, i) => 255 - i),
  short: Uint8Array.from([1, 2, 3]),
} as const;
export type KeyName = keyof typeof KEYS;

export type Step =
  | { op: "stake"; by: Actor; node: string; amount: bigint }
  /** Withdraw the latest stake; the coin goes to the sender. */
  | { op: "withdraw"; by: Actor }
  /** Top up the latest stake with a fresh coin of `amount` (staking::add_stake). */
  | { op: "add"; by: Actor; amount: bigint }
  /** Withdraw `amount` of the latest stake (staking::withdraw_partial); the coin goes to the sender. */
  | { op: "reduce"; by: Actor; amount: bigint }
  | { op: "slash"; by: Actor; amount: bigint; reason: string }
  | { op: "mint"; by: Actor; key: KeyName }
  | { op: "revoke"; by: Actor }
  | { op: "set_pool_params"; by: Actor; minNodeStake: bigint; lockEpochs: bigint }
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
  /** The coin the withdrawal (full or partial) sent to its sender holds this much. */
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
const reduce = (amount: bigint, by: Actor = "ALICE"): Step => ({ op: "reduce", by, amount });
const epochs = (count: number): Step => ({ op: "next_epoch", count });
const abort = (module: "staking" | "k8s_gateway", name: string): Outcome => ({ abort: { module, name } });
const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** 7 billion SUI: three of these top-ups add up past u64::MAX (the whole supply, 10 billion, does not). */
const BIG = 7_000_000_000n * SUI;
const OK: Outcome = { ok: true };

export const SCENARIOS: Scenario[] = [
  {
    id: "stake",
    steps: [stake("ALICE", 2n * SUI)],
    outcome: OK,
    expect: {
      record: { pool_id: { id: "pool" }, staker: { who: "ALICE" }, node_id: "worker-1", amount: 2n * SUI, status: 1, staked_at: 0n, locked_until: 2n },
      pool: { balance: 2n * SUI, slashed: 0n, min_node_stake: SUI, lock_epochs: 2n, node_stakes: { size: 1n }, total_staked: 2n * SUI, total_slashed: 0n, active_stakes: 1n },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  { id: "duplicate_node_id", steps: [stake("ALICE"), stake("BOB")], outcome: abort("staking", "ENodeAlreadyStaked") },
  { id: "below_minimum", steps: [stake("ALICE", SUI / 2n)], outcome: abort("staking", "EInsufficientStake") },
  { id: "empty_node_id", steps: [stake("ALICE", SUI, "")], outcome: abort("staking", "EInvalidNodeId") },
  { id: "withdraw_before_lock", steps: [stake("ALICE"), epochs(1), { op: "withdraw", by: "ALICE" }], outcome: abort("staking", "EStakeLocked") },
  {
    id: "withdraw_after_lock",
    steps: [stake("ALICE", 3n * SUI), epochs(2), { op: "withdraw", by: "ALICE" }],
    outcome: OK,
    expect: {
      withdrawn: 3n * SUI,
      record: { amount: 0n, status: 3, locked_until: 2n },
      pool: { balance: 0n, node_stakes: { size: 0n }, total_staked: 0n, active_stakes: 0n },
      nodeStake: { node: "worker-1", is: "none" },
    },
  },
  {
    id: "withdraw_twice",
    steps: [stake("ALICE"), epochs(2), { op: "withdraw", by: "ALICE" }, { op: "withdraw", by: "ALICE" }],
    outcome: abort("staking", "EAlreadyWithdrawn"),
  },
  {
    id: "slash",
    steps: [stake("ALICE", 3n * SUI), slash(SUI)],
    outcome: OK,
    expect: {
      record: { amount: 2n * SUI, status: 2 },
      pool: { balance: 2n * SUI, slashed: SUI, total_staked: 2n * SUI, total_slashed: SUI, active_stakes: 0n, node_stakes: { size: 1n } },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  { id: "slash_twice", steps: [stake("ALICE", 3n * SUI), slash(1n), slash(1n)], outcome: abort("staking", "EStakeNotActive") },
  { id: "slash_more_than_stake", steps: [stake("ALICE"), slash(SUI + 1n)], outcome: abort("staking", "EInvalidSlashAmount") },
  {
    id: "withdraw_after_slash",
    steps: [stake("ALICE", 3n * SUI), slash(SUI), epochs(2), { op: "withdraw", by: "ALICE" }],
    outcome: OK,
    expect: {
      withdrawn: 2n * SUI,
      record: { amount: 0n, status: 3 },
      pool: { balance: 0n, slashed: SUI, total_staked: 0n, total_slashed: SUI, active_stakes: 0n, node_stakes: { size: 0n } },
      nodeStake: { node: "worker-1", is: "none" },
    },
  },
  // Stake changed in place: top-up (any time the stake is active) and partial withdrawal (after
  // the lock, keeping the pool minimum). The lock does not move on a top-up.
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
  { id: "top_up_withdrawn", steps: [stake("ALICE"), epochs(2), { op: "withdraw", by: "ALICE" }, add(SUI)], outcome: abort("staking", "EStakeNotActive") },
  { id: "reduce_before_lock", steps: [stake("ALICE", 3n * SUI), epochs(1), reduce(SUI)], outcome: abort("staking", "EStakeLocked") },
  {
    id: "reduce_after_lock",
    steps: [stake("ALICE", 3n * SUI), epochs(2), reduce(SUI)],
    outcome: OK,
    expect: {
      withdrawn: SUI,
      record: { amount: 2n * SUI, status: 1, staked_at: 0n, locked_until: 2n },
      pool: { balance: 2n * SUI, node_stakes: { size: 1n }, total_staked: 2n * SUI, active_stakes: 1n },
      nodeStake: { node: "worker-1", is: "record" },
    },
  },
  {
    id: "reduce_to_minimum",
    steps: [stake("ALICE", 3n * SUI), epochs(2), reduce(2n * SUI)],
    outcome: OK,
    expect: { withdrawn: 2n * SUI, record: { amount: SUI, status: 1 }, pool: { balance: SUI, total_staked: SUI, active_stakes: 1n } },
  },
  // total_staked is the SUI in live stakes (= balance), not SUI ever staked: the same coin topped
  // up and taken back again, over and over, leaves it where it was. (When it only grew, three
  // rounds of 7 billion SUI pushed it past u64::MAX and every later stake aborted on overflow.)
  {
    id: "top_up_reduce_cycle",
    funds: { ALICE: BIG },
    steps: [stake("ALICE"), epochs(2), add(BIG), reduce(BIG), add(BIG), reduce(BIG), add(BIG), reduce(BIG)],
    outcome: OK,
    expect: {
      withdrawn: BIG,
      record: { amount: SUI, status: 1 },
      pool: { balance: SUI, total_staked: SUI, active_stakes: 1n, node_stakes: { size: 1n } },
    },
  },
  // u64 arithmetic fails as Move's does (MovePrimitiveRuntimeError, no abort code): a lock so
  // long that `epoch + lock_epochs` passes u64::MAX makes stake_for_node fail there.
  {
    id: "stake_lock_overflow",
    steps: [{ op: "set_pool_params", by: "ADMIN", minNodeStake: SUI, lockEpochs: U64_MAX }, epochs(1), stake("ALICE")],
    outcome: { arithmetic: { module: "staking", functionName: "stake_for_node" } },
  },
  { id: "reduce_below_minimum", steps: [stake("ALICE", 3n * SUI), epochs(2), reduce(2n * SUI + 1n)], outcome: abort("staking", "ERemainderBelowMinimum") },
  { id: "reduce_more_than_stake", steps: [stake("ALICE", 3n * SUI), epochs(2), reduce(4n * SUI)], outcome: abort("staking", "ERemainderBelowMinimum") },
  { id: "reduce_zero", steps: [stake("ALICE", 3n * SUI), epochs(2), reduce(0n)], outcome: abort("staking", "EZeroAmount") },
  { id: "reduce_slashed", steps: [stake("ALICE", 3n * SUI), slash(SUI), epochs(2), reduce(SUI / 2n)], outcome: abort("staking", "EStakeNotActive") },
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
  { id: "mint_short_key", steps: [stake("ALICE"), { op: "mint", by: "ALICE", key: "short" }], outcome: abort("k8s_gateway", "EInvalidWorkerKey") },
  {
    id: "revoke",
    steps: [stake("ALICE"), { op: "mint", by: "ALICE", key: "worker" }, { op: "revoke", by: "ALICE" }],
    outcome: OK,
    expect: { tokenGone: true, record: { status: 1 } },
  },
  {
    id: "set_pool_params",
    steps: [{ op: "set_pool_params", by: "ADMIN", minNodeStake: 5n * SUI, lockEpochs: 9n }],
    outcome: OK,
    expect: { pool: { min_node_stake: 5n * SUI, lock_epochs: 9n } },
  },
  {
    id: "set_registry",
    steps: [{ op: "set_registry", by: "ADMIN", endpoint: "https://cp.example:8443", key: "enclave" }],
    outcome: OK,
    expect: { registry: { endpoint: "https://cp.example:8443", enclave_pubkey: { key: "enclave" }, updated_at: 0n } },
  },
  { id: "set_registry_bad_key", steps: [{ op: "set_registry", by: "ADMIN", endpoint: "https://cp", key: "short" }], outcome: abort("k8s_gateway", "EInvalidEnclaveKey") },
  // Every call from the wrong sender.
  { id: "wrong_sender_withdraw", steps: [stake("ALICE"), epochs(2), { op: "withdraw", by: "BOB" }], outcome: abort("staking", "ENotStaker") },
  { id: "wrong_sender_top_up", steps: [stake("ALICE"), add(SUI, "BOB")], outcome: abort("staking", "ENotStaker") },
  { id: "wrong_sender_reduce", steps: [stake("ALICE", 3n * SUI), epochs(2), reduce(SUI, "BOB")], outcome: abort("staking", "ENotStaker") },
  { id: "wrong_sender_mint", steps: [stake("ALICE"), { op: "mint", by: "BOB", key: "worker" }], outcome: abort("k8s_gateway", "ENotStaker") },
  { id: "wrong_sender_slash", steps: [stake("ALICE"), slash(SUI, "BOB")], outcome: { notOwner: "AdminCap" } },
  {
    id: "wrong_sender_revoke",
    steps: [stake("ALICE"), { op: "mint", by: "ALICE", key: "worker" }, { op: "revoke", by: "BOB" }],
    outcome: { notOwner: "SealToken" },
  },
  { id: "wrong_sender_set_pool_params", steps: [{ op: "set_pool_params", by: "BOB", minNodeStake: SUI, lockEpochs: 1n }], outcome: { notOwner: "AdminCap" } },
  { id: "wrong_sender_set_registry", steps: [{ op: "set_registry", by: "BOB", endpoint: "https://evil", key: "enclave" }], outcome: { notOwner: "AdminCap" } },
];
