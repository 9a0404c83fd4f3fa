// Shapes src/sui hands to the rest of the project (see docs/contracts.md). Amounts and epochs
// are bigint; ids are normalized 0x-prefixed 64-hex addresses.

export interface ChainIds {
  packageId: string;
  poolId: string;
  adminCapId: string;
  registryId: string;
}

/**
 * "leaving": the staker requested a full withdrawal; the node no longer serves, the SUI is still
 * staked (and slashable) until the request is claimed after the pool's cool-down.
 */
export type StakeStatus = "active" | "slashed" | "withdrawn" | "leaving";

export interface StakeRecord {
  id: string;
  version: string;
  poolId: string;
  staker: string;
  nodeId: string;
  /** MIST still staked (0 after withdrawal; reduced by slashing and by a claimed partial withdrawal). */
  amountMist: bigint;
  status: StakeStatus;
  stakedAtEpoch: bigint;
  lockedUntilEpoch: bigint;
  /** MIST requested out and not yet claimed; 0n when no withdrawal is pending. */
  withdrawalRequestedMist: bigint;
  /** The epoch from which the pending withdrawal can be claimed; 0n when none is pending. */
  claimableAtEpoch: bigint;
}

export interface SealToken {
  id: string;
  version: string;
  owner: string;
  stakeId: string;
  nodeId: string;
  /** base64 of the 32-byte ed25519 public key. */
  workerPubkey: string;
  permissions: string[];
  issuedAtEpoch: bigint;
  expiresAtEpoch: bigint;
}

export interface NautilusRegistry {
  id: string;
  endpoint: string;
  /** base64 of the enclave's 32-byte ed25519 public key; "" until the admin sets it. */
  enclavePubkey: string;
  updatedAtEpoch: bigint;
}

export interface StakingPool {
  id: string;
  balanceMist: bigint;
  slashedMist: bigint;
  minNodeStakeMist: bigint;
  lockEpochs: bigint;
  /** Epochs between a withdrawal request and its claim. */
  withdrawalCooldownEpochs: bigint;
  nodeStakesTableId: string;
  nodeStakesCount: bigint;
  totalStakedMist: bigint;
  totalSlashedMist: bigint;
  activeStakes: bigint;
}

/** Gas figures of one executed transaction, from its effects. */
export interface GasUsed {
  computationCost: bigint;
  storageCost: bigint;
  storageRebate: bigint;
  /** What the sender's balance lost to gas: computation + storage - rebate. */
  netMist: bigint;
}
