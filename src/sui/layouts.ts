// BCS layouts of the k3s_daas Move structs, field for field in declaration order (BCS is
// positional). Objects are parsed from their BCS contents rather than from a transport's JSON
// rendering, because BCS is the same over JSON-RPC, gRPC and GraphQL.
import { bcs } from "@mysten/sui/bcs";

const Table = bcs.struct("Table", { id: bcs.Address, size: bcs.u64() });

export const StakingPoolBcs = bcs.struct("StakingPool", {
  id: bcs.Address,
  balance: bcs.u64(), // Balance<SUI> is a struct with one u64
  slashed: bcs.u64(),
  min_node_stake: bcs.u64(),
  lock_epochs: bcs.u64(),
  withdrawal_cooldown_epochs: bcs.u64(),
  node_stakes: Table,
  total_staked: bcs.u64(),
  total_slashed: bcs.u64(),
  active_stakes: bcs.u64(),
});

export const StakeRecordBcs = bcs.struct("StakeRecord", {
  id: bcs.Address,
  pool_id: bcs.Address,
  staker: bcs.Address,
  node_id: bcs.string(),
  amount: bcs.u64(),
  status: bcs.u8(),
  staked_at: bcs.u64(),
  locked_until: bcs.u64(),
  withdrawal_requested: bcs.u64(),
  claimable_at: bcs.u64(),
});

export const SealTokenBcs = bcs.struct("SealToken", {
  id: bcs.Address,
  stake_id: bcs.Address,
  node_id: bcs.string(),
  worker_pubkey: bcs.byteVector(),
  permissions: bcs.vector(bcs.string()),
  issued_at: bcs.u64(),
  expires_at: bcs.u64(),
});

export const NautilusRegistryBcs = bcs.struct("NautilusRegistry", {
  id: bcs.Address,
  endpoint: bcs.string(),
  enclave_pubkey: bcs.byteVector(),
  updated_at: bcs.u64(),
});

// Events of the in-place stake changes: the session reads the new amount from them, so it does
// not depend on a read that may not see its own transaction yet.
export const StakeAddedBcs = bcs.struct("StakeAdded", {
  stake_id: bcs.Address,
  pool_id: bcs.Address,
  staker: bcs.Address,
  node_id: bcs.string(),
  amount: bcs.u64(),
  total: bcs.u64(),
});

export const StakeReducedBcs = bcs.struct("StakeReduced", {
  stake_id: bcs.Address,
  pool_id: bcs.Address,
  staker: bcs.Address,
  node_id: bcs.string(),
  amount: bcs.u64(),
  remaining: bcs.u64(),
});

export const WithdrawalRequestedBcs = bcs.struct("WithdrawalRequested", {
  stake_id: bcs.Address,
  pool_id: bcs.Address,
  staker: bcs.Address,
  node_id: bcs.string(),
  amount: bcs.u64(),
  claimable_at: bcs.u64(),
});

export const StakeWithdrawnBcs = bcs.struct("StakeWithdrawn", {
  stake_id: bcs.Address,
  pool_id: bcs.Address,
  staker: bcs.Address,
  node_id: bcs.string(),
  amount: bcs.u64(),
});

export const StakeTransferredBcs = bcs.struct("StakeTransferred", {
  stake_id: bcs.Address,
  pool_id: bcs.Address,
  node_id: bcs.string(),
  from: bcs.Address,
  to: bcs.Address,
});

export const STATUS_BY_CODE = { 1: "active", 2: "slashed", 3: "withdrawn", 4: "leaving" } as const;
