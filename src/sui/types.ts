// Shapes src/sui hands to the rest of the project (see docs/contracts.md). Amounts and epochs
// are bigint; ids are normalized 0x-prefixed 64-hex addresses.

export interface ChainIds {
  packageId: string;
  poolId: string;
  adminCapId: string;
  registryId: string;
}

export type StakeStatus = "active" | "slashed" | "withdrawn";

export interface StakeRecord {
  id: string;
  version: string;
  poolId: string;
  staker: string;
  nodeId: string;
  /** MIST still staked (0 after withdrawal; reduced by slashing). */
  amountMist: bigint;
  status: StakeStatus;
  stakedAtEpoch: bigint;
  lockedUntilEpoch: bigint;
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
