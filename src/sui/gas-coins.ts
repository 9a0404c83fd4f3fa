// GasCoins: the pool of gas coins behind one ChainSession, and the ParallelTransactionExecutor
// that hands them out.
//
// Why ParallelTransactionExecutor: a fleet deploy stakes for many hosts at once from one wallet.
// Sending those through plain signAndExecuteTransaction would let the SDK pick the same gas
// coins for every transaction, and all but one would fail on an equivocated/stale coin. The
// executor keeps a pool of gas coins split off the wallet's balance, gives each in-flight
// transaction its own, serializes transactions that touch the same owned object, and tracks
// object versions from effects so nothing is re-fetched stale. (SerialTransactionExecutor is
// correct too, but serial: bench/chain-stakes.bench.ts measures the difference.)
//
// The pooled coin size is fixed on first use and only grows: a stake is split from its
// transaction's gas coin, so a coin must carry the stake plus the gas budget. Growing waits for
// the transactions in flight, then drops the executor; the next transaction starts a new one
// with bigger coins.
import type { ClientWithCoreApi } from "@mysten/sui/client";
import type { Signer } from "@mysten/sui/cryptography";
import { ParallelTransactionExecutor } from "@mysten/sui/transactions";
import { readPool } from "./read.js";
import type { ChainIds } from "./types.js";

/** The sizing options of ChainSessionOptions (see there). */
export interface GasCoinsOptions {
  maxParallel?: number;
  gasCoinMist?: bigint;
}

export class GasCoins {
  private executor: ParallelTransactionExecutor | null = null;
  private executorInit: Promise<ParallelTransactionExecutor> | null = null;
  private coinSize: bigint | null;
  private readonly inflight = new Set<Promise<unknown>>();
  private resizing: Promise<void> | null = null;

  constructor(
    private readonly client: ClientWithCoreApi,
    private readonly signer: Signer,
    private readonly owner: string,
    private readonly ids: ChainIds,
    private readonly budget: bigint,
    private readonly opts: GasCoinsOptions,
  ) {
    this.coinSize = opts.gasCoinMist ?? null;
  }

  /** The wallet's whole SUI balance, in MIST. */
  async walletBalance() {
    const { balance } = await this.client.core.getBalance({ owner: this.owner });
    return { totalBalance: BigInt(balance.balance) };
  }

  /** Fix the pooled coin size on first use (see ChainSessionOptions.gasCoinMist). */
  async ensureCoinSize(wanted: bigint): Promise<bigint> {
    if (this.coinSize === null) {
      const pool = await readPool(this.client, this.ids.poolId, this.ids.packageId);
      const fallback = pool.minNodeStakeMist + this.budget;
      this.coinSize = wanted > fallback ? wanted : fallback;
    }
    return this.coinSize;
  }

  /** Make sure pooled gas coins can carry `needed` MIST (a stake plus its gas budget). */
  async fitCoins(needed: bigint): Promise<void> {
    while (this.resizing) await this.resizing;
    if (needed <= (await this.ensureCoinSize(needed))) return;
    if (!this.resizing) {
      this.resizing = (async () => {
        await Promise.allSettled([...this.inflight]);
        if (this.executor) await this.executor.waitForLastTransaction();
        if (this.coinSize === null || needed > this.coinSize) this.coinSize = needed;
        this.executor = null;
        this.executorInit = null;
      })().finally(() => {
        this.resizing = null;
      });
    }
    await this.resizing;
  }

  /** The executor to send the next transaction through (a new one after a resize). */
  async getExecutor(): Promise<ParallelTransactionExecutor> {
    while (this.resizing) await this.resizing;
    if (this.executor) return this.executor;
    this.executorInit ??= (async () => {
      const coinSize = await this.ensureCoinSize(this.budget);
      const maxParallel = this.opts.maxParallel ?? 20;
      // Split only as many coins per refill as the wallet can fund, so a small wallet still works.
      const { totalBalance } = await this.walletBalance();
      const affordable = (totalBalance - 2n * this.budget) / coinSize;
      const batch = Number(affordable < 1n ? 1n : affordable > BigInt(maxParallel) ? BigInt(maxParallel) : affordable);
      this.executor = new ParallelTransactionExecutor({
        client: this.client,
        signer: this.signer,
        maxPoolSize: maxParallel,
        coinBatchSize: batch,
        initialCoinBalance: coinSize,
        minimumCoinBalance: this.budget,
        defaultGasBudget: this.budget,
      });
      return this.executor;
    })();
    return this.executorInit;
  }

  /** Await a transaction sent through the executor, counted in flight until it settles (a resize waits for it). */
  async track<T>(pending: Promise<T>): Promise<T> {
    this.inflight.add(pending);
    try {
      return await pending;
    } finally {
      this.inflight.delete(pending);
    }
  }

  /** Wait until the last transaction is indexed. */
  async flush(): Promise<void> {
    if (this.executor) await this.executor.waitForLastTransaction();
  }
}
