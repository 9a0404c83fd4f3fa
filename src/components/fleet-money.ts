// What the fleet has cost and holds, per worker and in total, from the wallet's ledger on chain
// (src/sui/ledger.ts) and the workers' stakes as this `up` left them. Pure: table-tested.
import type { WalletLedger } from "../sui/ledger";

/** One worker's money, MIST as decimal strings (outputs carry no bigint). */
export interface WorkerMoney {
  /** Staked now (what the record holds, a pending withdrawal included). */
  readonly stakedMist: string;
  /** Staked by this wallet over the worker's life (creations and top-ups). */
  readonly depositedMist: string;
  /** Paid back to this wallet (reductions and withdrawals claimed). */
  readonly withdrawnMist: string;
  /**
   * Lost to slashing: the stake's StakeSlashed events when the node serves them (ListEvents), else
   * deposited - withdrawn - staked; null when neither can tell (events not served, and the stake
   * came to this wallet by a migration, so its deposit is in another wallet's transactions).
   */
  readonly slashedMist: string | null;
  /** Net gas of the wallet's transactions for this worker (stake, top-ups, withdrawals, tokens). */
  readonly gasMist: string;
  readonly transactions: number;
}

export interface FleetMoney {
  readonly wallet: string;
  readonly workers: Readonly<Record<string, WorkerMoney>>;
  readonly total: {
    readonly stakedMist: string;
    readonly depositedMist: string;
    readonly withdrawnMist: string;
    readonly slashedMist: string;
    /** Every transaction the wallet sent: the workers', removed workers', and the overhead. */
    readonly gasMist: string;
    /** Gas of transactions naming no worker (the parallel executor's gas-coin splits). */
    readonly overheadGasMist: string;
    readonly transactions: number;
  };
}

/** The workers of this `up` (name, staked amount) against the wallet's ledger. */
export function fleetMoney(ledger: WalletLedger, workers: ReadonlyArray<{ name: string; stakedMist: string; slashedMist?: bigint }>): FleetMoney {
  const out: Record<string, WorkerMoney> = {};
  let staked = 0n;
  for (const w of workers) {
    const n = ledger.nodes[w.name];
    const deposited = n?.depositedMist ?? 0n;
    const withdrawn = n?.withdrawnMist ?? 0n;
    const now = BigInt(w.stakedMist || "0");
    const slashed = deposited - withdrawn - now;
    staked += now;
    out[w.name] = {
      stakedMist: now.toString(), depositedMist: deposited.toString(), withdrawnMist: withdrawn.toString(),
      slashedMist: w.slashedMist !== undefined ? w.slashedMist.toString() : slashed >= 0n && deposited > 0n ? slashed.toString() : null,
      gasMist: (n?.gasMist ?? 0n).toString(), transactions: n?.transactions ?? 0,
    };
  }
  // Totals over everything the wallet did, removed workers included (their stakes are 0 now).
  let deposited = 0n, withdrawn = 0n;
  for (const n of Object.values(ledger.nodes)) {
    deposited += n.depositedMist;
    withdrawn += n.withdrawnMist;
  }
  const fromEvents = workers.every((w) => w.slashedMist !== undefined) && workers.length > 0;
  // From events only the current workers' slashes are known; the balance also covers removed ones.
  const slashed = fromEvents ? workers.reduce((sum, w) => sum + w.slashedMist!, 0n) : deposited - withdrawn - staked;
  return {
    wallet: ledger.address,
    workers: out,
    total: {
      stakedMist: staked.toString(), depositedMist: deposited.toString(), withdrawnMist: withdrawn.toString(),
      slashedMist: (slashed > 0n ? slashed : 0n).toString(),
      gasMist: ledger.gasMist.toString(), overheadGasMist: ledger.overheadGasMist.toString(), transactions: ledger.transactions,
    },
  };
}
