// The agent's read-only view of the chain. The real implementation (chain-sui.ts) delegates to
// src/sui, the only code that parses Move objects; tests may substitute their own.
/**
 * "leaving": the staker asked for the whole stake back (a full withdrawal request, claimable after
 * the pool's cool-down); like slashed and withdrawn it is not active, so the node must stop.
 */
export type StakeStatus = "active" | "slashed" | "withdrawn" | "leaving";

export interface StakeView {
  id: string;
  nodeId: string;
  /** The address that staked (normalized): the only one a seal token of this stake may belong to. */
  staker: string;
  amountMist: bigint;
  status: StakeStatus;
  /** The epoch until which the stake cannot be withdrawn; absent from readers that do not know it. */
  lockedUntilEpoch?: bigint;
}

export interface SealTokenView {
  id: string;
  /** The address that owns the token (normalized); "" if it is not owned by an address. */
  owner: string;
  stakeId: string;
  nodeId: string;
  workerPubkey: string;
  expiresAtEpoch: bigint;
}

export interface RegistryView {
  endpoint: string;
  enclavePubkey: string;
}

export interface WorkerIds {
  stakeId: string;
  sealTokenId: string;
  registryId: string;
}

/** Everything the agent watches, as of one read. */
export interface WorkerView {
  stake: StakeView | null;
  sealToken: SealTokenView | null;
  registry: RegistryView;
}

export interface WatchHandlers {
  onOpen(): void;
  /** A checkpoint changed some of the watched objects. */
  onChange(changedIds: string[]): void;
  /** Any frame: the stream is alive. */
  onFrame(): void;
  onClose(err: Error | null): void;
}

/**
 * Every read checks the object's type against one package (the k3s_daas package's original id,
 * which the types of its objects name across upgrades): an object of any other package, even
 * with the same struct names and fields, is an error (src/sui ObjectTypeError), never a view.
 */
export interface StakeReader {
  /** The package the reads check types against; undefined until it is bound. */
  readonly packageId?: string;
  /**
   * Check types against `packageId` from now on. A reader made for a package (the control
   * plane's, the agent's once run.ts passes sui.packageId) only confirms it is the same one and
   * throws if not; one made without reads nothing until bound (agent/src/verify-stake.ts binds
   * the configured sui.packageId before the first read).
   */
  bindPackage?(packageId: string): void;
  readStake(stakeId: string): Promise<StakeView | null>;
  readSealToken(sealTokenId: string): Promise<SealTokenView | null>;
  readRegistry(registryId: string): Promise<RegistryView>;
  currentEpoch(): Promise<bigint>;
  /** Stake, seal token and registry in one request. */
  readWorker(ids: WorkerIds): Promise<WorkerView>;
  /** The current epoch and when it is due to end. */
  epochInfo(): Promise<{ epoch: bigint; endsAtMs: number }>;
  /** Push changes to these objects; absent when the transport cannot push (JSON-RPC). */
  watch?(ids: string[], handlers: WatchHandlers): () => void;
}

/** Sui object ids compare by value: 0x01 and 0x000...01 are the same object. */
export function sameObjectId(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/^0x/, "").replace(/^0+/, "");
  return norm(a) === norm(b);
}

export function normalizeObjectId(id: string): string {
  return "0x" + id.toLowerCase().replace(/^0x/, "").padStart(64, "0");
}

/**
 * One rule for agent and control plane: a seal token counts only while it belongs to the
 * staker of its stake (create_worker_seal_token sends it there and it cannot move: `key` only).
 * Returns why not, or null.
 */
export function tokenOwnerProblem(token: SealTokenView, stake: StakeView): string | null {
  if (token.owner && sameObjectId(token.owner, stake.staker)) return null;
  return `seal token for node ${token.nodeId} is owned by ${token.owner || "no address"}, not by its stake's staker ${stake.staker}`;
}

/** One rule for agent and control plane: a token is valid up to, not including, its expiry epoch. */
export function sealTokenExpired(expiresAtEpoch: bigint, currentEpoch: bigint): boolean {
  return currentEpoch >= expiresAtEpoch;
}
