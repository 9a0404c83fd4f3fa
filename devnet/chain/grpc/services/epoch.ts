// The Epoch message (with system state and protocol config) of the devnet's single-validator,
// fixed-price world. Figures are the devnet's own; the shape is sui.rpc.v2's.
import { GrpcTypes } from "@mysten/sui/grpc";
import type { Chain } from "../../state.js";
import { timestamp } from "../convert.js";

export const PROTOCOL_VERSION = 90n;
export const EPOCH_DURATION_MS = 86_400_000n;

export function epochProto(chain: Chain, epoch: bigint) {
  // Looked up by epoch, never scanned: a long-running devnet has hundreds of thousands of
  // checkpoints. The epoch index keeps numbers, so a past epoch answers after its checkpoints
  // are pruned, as a node's epoch index does.
  const span = chain.checkpoints.epoch(epoch);
  const current = epoch === chain.epoch;
  const startMs = current ? chain.epochStartMs : span?.startMs ?? chain.epochStartMs;
  const next = chain.checkpoints.epoch(epoch + 1n);
  return GrpcTypes.Epoch.create({
    epoch,
    firstCheckpoint: span?.first,
    lastCheckpoint: current ? undefined : span?.last,
    start: timestamp(startMs),
    end: next ? timestamp(next.startMs) : undefined,
    referenceGasPrice: chain.referenceGasPrice,
    protocolConfig: {
      protocolVersion: PROTOCOL_VERSION,
      featureFlags: {},
      attributes: { max_gas_payment_objects: "256", max_tx_gas: "50000000000" },
      configs: {},
    },
    systemState: {
      version: 2n, epoch, protocolVersion: PROTOCOL_VERSION, referenceGasPrice: chain.referenceGasPrice,
      epochStartTimestampMs: BigInt(startMs), safeMode: false,
      safeModeStorageRewards: 0n, safeModeComputationRewards: 0n, safeModeStorageRebates: 0n, safeModeNonRefundableStorageFee: 0n,
      parameters: {
        epochDurationMs: EPOCH_DURATION_MS, stakeSubsidyStartEpoch: 0n, minValidatorCount: 1n, maxValidatorCount: 150n,
        minValidatorJoiningStake: 0n, validatorLowStakeThreshold: 0n, validatorVeryLowStakeThreshold: 0n, validatorLowStakeGracePeriod: 7n,
      },
      storageFund: { totalObjectStorageRebates: 0n, nonRefundableBalance: 0n },
      stakeSubsidy: { balance: 0n, distributionCounter: 0n, currentDistributionAmount: 0n, stakeSubsidyPeriodLength: 10n, stakeSubsidyDecreaseRate: 1000 },
      validators: { totalStake: 0n, activeValidators: [], pendingRemovals: [], atRiskValidators: {} },
      validatorReportRecords: [],
    },
  });
}
