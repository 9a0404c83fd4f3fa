// Turning chain failures into errors an operator can act on. A Move abort arrives from the core
// API as status.error { $kind: "MoveAbort", MoveAbort: { abortCode, location: { module,
// functionName } } } on every transport; we map (module, code) to the cause, worded with the
// node and amounts the caller was working with.
import type { SuiClientTypes } from "@mysten/sui/client";
import { formatSui } from "./format.js";

export type ChainErrorKind = "MoveAbort" | "ExecutionFailed" | "Rejected" | "NotFound" | "InsufficientFunds";

export class ChainError extends Error {
  override readonly name = "ChainError";
  constructor(
    message: string,
    readonly kind: ChainErrorKind,
    readonly details: { module?: string; functionName?: string; abortCode?: number; nodeId?: string; digest?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Abort codes of move/sources (keep in step with the named constants there). */
export const STAKING_ABORTS = {
  EInsufficientStake: 1,
  ENodeAlreadyStaked: 2,
  EInvalidNodeId: 3,
  ENotStaker: 4,
  EStakeLocked: 5,
  EStakeNotActive: 6,
  EAlreadyWithdrawn: 7,
  EInvalidSlashAmount: 8,
  EWrongPool: 9,
  EInvalidParams: 10,
  EZeroAmount: 11,
  ERemainderBelowMinimum: 12,
  EWithdrawalPending: 13,
  ENoWithdrawalRequested: 14,
  EWithdrawalCoolingDown: 15,
  ESameStaker: 16,
} as const;
export const GATEWAY_ABORTS = {
  ENotStaker: 1,
  EStakeNotActive: 2,
  EInvalidWorkerKey: 3,
  EInvalidEndpoint: 4,
  EInvalidEnclaveKey: 5,
  EWrongPool: 6,
} as const;

/**
 * The change to a stake a transaction makes; the same abort code reads differently for each.
 * "withdraw" and "reduction" are the request of a full and of a partial withdrawal; "claim" pays
 * out a pending request; "transfer" hands the stake to another address.
 */
export type StakeOperation = "stake" | "withdraw" | "top-up" | "reduction" | "claim" | "transfer" | "slash";

/** What the caller knew when it sent the transaction; used to word the message. */
export interface AbortContext {
  operation?: StakeOperation;
  nodeId?: string;
  stakeId?: string;
  amountMist?: bigint;
  minStakeMist?: bigint;
  lockedUntilEpoch?: bigint;
  currentEpoch?: bigint;
  status?: string;
  staker?: string;
  /** MIST the stake held before the change (a reduction's wording). */
  stakedMist?: bigint;
  /** MIST of a pending withdrawal request (0 or absent: none). */
  withdrawalRequestedMist?: bigint;
  /** The epoch from which the pending withdrawal can be claimed. */
  claimableAtEpoch?: bigint;
  /** The address a transfer was to hand the stake to. */
  newStaker?: string;
}

/**
 * A stake still inside its lock. Also used by callers that check the lock before sending
 * (the Stake provider), so the operator reads the same sentence either way.
 */
export function lockedMessage(c: { nodeId?: string; lockedUntilEpoch?: bigint; currentEpoch?: bigint; operation?: StakeOperation }): string {
  const until = c.lockedUntilEpoch ?? "?";
  const base = `stake for node ${c.nodeId ?? "(unknown node)"} is locked until epoch ${until} (current epoch ${c.currentEpoch ?? "?"})`;
  return c.operation === "reduction" ? `${base}; the reduction can run at epoch ${until}` : base;
}

/** A reduction that would leave less than the pool minimum staked; names every amount involved. */
export function belowMinimumMessage(c: { nodeId?: string; amountMist?: bigint; stakedMist?: bigint; minStakeMist?: bigint }): string {
  const node = c.nodeId ?? "(unknown node)";
  const sui = (m: bigint | undefined) => (m !== undefined ? formatSui(m) : "?");
  const left = c.stakedMist !== undefined && c.amountMist !== undefined ? c.stakedMist - c.amountMist : undefined;
  const most = c.stakedMist !== undefined && c.minStakeMist !== undefined && c.stakedMist > c.minStakeMist ? c.stakedMist - c.minStakeMist : 0n;
  return `withdrawing ${sui(c.amountMist)} from the stake for node ${node} would leave ${left !== undefined && left >= 0n ? sui(left) : "less than nothing"}, ` +
    `below the pool minimum ${sui(c.minStakeMist)} (the stake holds ${sui(c.stakedMist)}; at most ${formatSui(most)} can be withdrawn while it stays staked)`;
}

/**
 * A withdrawal requested and still cooling down. Also for callers that check before sending (the
 * Stake provider), so the operator reads the same sentence either way.
 */
export function coolingDownMessage(c: { nodeId?: string; withdrawalRequestedMist?: bigint; claimableAtEpoch?: bigint; currentEpoch?: bigint }): string {
  const amount = c.withdrawalRequestedMist !== undefined ? formatSui(c.withdrawalRequestedMist) : "?";
  return `withdrawal of ${amount} for node ${c.nodeId ?? "(unknown node)"} was requested; it can be claimed from epoch ${c.claimableAtEpoch ?? "?"} ` +
    `(current epoch ${c.currentEpoch ?? "?"})`;
}

/** A withdrawal request that is already pending, as the refusal of another change names it. */
function pendingMessage(c: AbortContext): string {
  const amount = c.withdrawalRequestedMist ? `a withdrawal of ${formatSui(c.withdrawalRequestedMist)}` : "a withdrawal";
  const when = c.claimableAtEpoch !== undefined ? ` (claimable from epoch ${c.claimableAtEpoch})` : "";
  return `${amount} from the stake for node ${c.nodeId ?? "(unknown node)"} is already pending${when}`;
}

const VERB: Record<StakeOperation, string> = {
  stake: "stake", withdraw: "withdraw", "top-up": "top up", reduction: "reduce", claim: "claim a withdrawal from", transfer: "transfer", slash: "slash",
};

/** Why a stake that is not active cannot take the operation. */
function notActiveMessage(c: AbortContext): string {
  const node = c.nodeId ?? "(unknown node)";
  if ((c.operation === "withdraw" || c.operation === "reduction") && c.status === "leaving") {
    const amount = c.withdrawalRequestedMist ? ` of ${formatSui(c.withdrawalRequestedMist)}` : "";
    const when = c.claimableAtEpoch !== undefined ? ` (claimable from epoch ${c.claimableAtEpoch})` : "";
    return `stake for node ${node} is leaving: its full withdrawal${amount} was already requested${when}; claim it (claimWithdrawal) once the cool-down has passed`;
  }
  if ((c.operation === "withdraw" || c.operation === "reduction") && c.status === "withdrawn") return `stake for node ${node} was already withdrawn`;
  const what = c.operation === "top-up" ? "it cannot be topped up"
    : c.operation === "reduction" || c.operation === "withdraw" ? "no withdrawal can be requested from it"
    : c.operation === "transfer" ? "it cannot be transferred"
    : "it cannot be slashed";
  return `stake for node ${node} is not active${c.status ? ` (it is ${c.status})` : ""}, so ${what}`;
}

function describeAbort(module: string, code: number, c: AbortContext): string {
  const node = c.nodeId ?? "(unknown node)";
  if (module === "staking") {
    switch (code) {
      case STAKING_ABORTS.EInsufficientStake:
        return `stake ${c.amountMist !== undefined ? formatSui(c.amountMist) : "amount"} is below the minimum ${c.minStakeMist !== undefined ? formatSui(c.minStakeMist) : "stake"} for node ${node}`;
      case STAKING_ABORTS.ENodeAlreadyStaked:
        return `node ${node} already has a live stake in this pool; adopt it (findLiveStake), move it to another wallet in place (transferStake) or withdraw it before staking again`;
      case STAKING_ABORTS.EInvalidNodeId:
        return `node id "${node}" is invalid: it must be 1 to 64 bytes`;
      case STAKING_ABORTS.ENotStaker:
        return `only the staker${c.staker ? ` ${c.staker}` : ""} can ${VERB[c.operation ?? "withdraw"]} the stake for node ${node}`;
      case STAKING_ABORTS.EStakeLocked:
        return lockedMessage(c);
      case STAKING_ABORTS.EStakeNotActive:
        return notActiveMessage(c);
      case STAKING_ABORTS.EAlreadyWithdrawn:
        return `stake for node ${node} was already withdrawn`;
      case STAKING_ABORTS.EInvalidSlashAmount:
        return `slash amount ${c.amountMist !== undefined ? formatSui(c.amountMist) : ""} is zero or more than the stake for node ${node}`;
      case STAKING_ABORTS.EWrongPool:
        return `the AdminCap or stake for node ${node} belongs to a different staking pool`;
      case STAKING_ABORTS.EInvalidParams:
        return "invalid pool parameters: the minimum stake must be above zero";
      case STAKING_ABORTS.EZeroAmount:
        return `a ${c.operation ?? "change"} of the stake for node ${node} must be more than 0 MIST`;
      case STAKING_ABORTS.ERemainderBelowMinimum:
        if (c.status === "slashed") {
          return `the stake for node ${node} was slashed, so only all of what is left (${c.stakedMist !== undefined ? formatSui(c.stakedMist) : "its remainder"}) can be withdrawn, ` +
            `not ${c.amountMist !== undefined ? formatSui(c.amountMist) : "a part"}`;
        }
        return belowMinimumMessage(c);
      case STAKING_ABORTS.EWithdrawalPending:
        return c.operation === "transfer"
          ? `${pendingMessage(c)}; the stake cannot be transferred until it is claimed`
          : `${pendingMessage(c)}; claim it (claimWithdrawal) before requesting another`;
      case STAKING_ABORTS.ENoWithdrawalRequested:
        return `no withdrawal is pending for the stake for node ${node}${c.status === "withdrawn" ? " (it was already withdrawn)" : ""}: request one first (requestWithdrawal)`;
      case STAKING_ABORTS.EWithdrawalCoolingDown:
        return coolingDownMessage(c);
      case STAKING_ABORTS.ESameStaker:
        return `the stake for node ${node} is already held by ${c.newStaker ?? c.staker ?? "that address"}: a transfer needs another address`;
    }
  }
  if (module === "k8s_gateway") {
    switch (code) {
      case GATEWAY_ABORTS.ENotStaker:
        return `only the staker can mint or use a seal token for node ${node}`;
      case GATEWAY_ABORTS.EStakeNotActive:
        return `stake for node ${node} is not active${c.status ? ` (it is ${c.status})` : ""}; a seal token needs an active stake`;
      case GATEWAY_ABORTS.EInvalidWorkerKey:
        return `worker public key for node ${node} must be a 32-byte ed25519 key`;
      case GATEWAY_ABORTS.EInvalidEndpoint:
        return "registry endpoint must be 1 to 256 bytes";
      case GATEWAY_ABORTS.EInvalidEnclaveKey:
        return "enclave public key must be a 32-byte ed25519 key";
      case GATEWAY_ABORTS.EWrongPool:
        return "the AdminCap belongs to a different staking pool";
    }
  }
  return `Move abort ${code} in ${module}`;
}

/** ChainError for a transaction that executed but failed. */
export function failedTransactionError(
  tx: { digest: string; status: SuiClientTypes.ExecutionStatus },
  packageId: string,
  context: AbortContext,
): ChainError {
  const err = tx.status.error;
  if (err?.$kind === "MoveAbort" && err.MoveAbort.location?.package && normalizeId(err.MoveAbort.location.package) === normalizeId(packageId)) {
    const module = err.MoveAbort.location.module ?? "";
    const code = Number(err.MoveAbort.abortCode);
    return new ChainError(describeAbort(module, code, context), "MoveAbort", {
      module, functionName: err.MoveAbort.location.functionName, abortCode: code, nodeId: context.nodeId, digest: tx.digest,
    });
  }
  const msg = err?.message ?? "unknown failure";
  const kind: ChainErrorKind = /InsufficientCoinBalance|InsufficientGas/.test(msg) ? "InsufficientFunds" : "ExecutionFailed";
  return new ChainError(`transaction ${tx.digest}${context.nodeId ? ` for node ${context.nodeId}` : ""} failed: ${msg}`, kind, { nodeId: context.nodeId, digest: tx.digest });
}

/** ChainError for a transaction the network refused (bad signature, stale object, no funds). */
export function rejectedError(e: unknown, what: string, nodeId?: string): ChainError {
  if (e instanceof ChainError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const kind: ChainErrorKind = /No coins available|InsufficientCoinBalance|lower than the needed amount|No valid gas coins/.test(msg) ? "InsufficientFunds" : "Rejected";
  return new ChainError(`${what}${nodeId ? ` for node ${nodeId}` : ""} was rejected: ${msg}`, kind, { nodeId }, { cause: e });
}

function normalizeId(id: string): string {
  return "0x" + id.replace(/^0x/, "").padStart(64, "0").toLowerCase();
}
