// Deterministic gas schedule, shaped like Sui's: computation in gas units times the gas price
// (with Sui's 1,000-unit minimum), storage per byte written, and a 99% rebate of the storage fee
// an object paid when it is later mutated or deleted. Deterministic so tests can check wallet
// balances to the MIST from the gas figures in the effects.

export const REFERENCE_GAS_PRICE = 1000n;
export const MIN_COMPUTATION_UNITS = 1000n;
export const UNITS_PER_MOVE_CALL = 500n;
export const UNITS_PER_COMMAND = 100n;
/** MIST per byte of object storage (Sui: storage price 76 x 100 units per byte). */
export const STORAGE_MIST_PER_BYTE = 7600n;
/** Bytes an object costs beyond its contents (id, version, owner, type, previous tx). */
export const OBJECT_OVERHEAD_BYTES = 100n;
export const REBATE_PERCENT = 99n;
export const MAX_GAS_BUDGET = 50_000_000_000n;
/** Mock gas coin balance for dry runs without payment (Sui's DEV_INSPECT gas coin value). */
export const DRY_RUN_GAS_COIN_VALUE = 1_000_000_000_000_000_000n;

export function minGasBudget(price: bigint): bigint {
  return MIN_COMPUTATION_UNITS * price;
}

export function computationCost(price: bigint, moveCalls: number, commands: number): bigint {
  const units = MIN_COMPUTATION_UNITS + UNITS_PER_MOVE_CALL * BigInt(moveCalls) + UNITS_PER_COMMAND * BigInt(commands);
  return units * price;
}

export function storageCostOf(contentsBytes: number): bigint {
  return (BigInt(contentsBytes) + OBJECT_OVERHEAD_BYTES) * STORAGE_MIST_PER_BYTE;
}

/** Split a sum of previous storage fees into (rebate, non-refundable fee). */
export function rebateOf(previousStorage: bigint): { rebate: bigint; nonRefundable: bigint } {
  const rebate = (previousStorage * REBATE_PERCENT) / 100n;
  return { rebate, nonRefundable: previousStorage - rebate };
}
