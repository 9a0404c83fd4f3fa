// ChainSession: every k3s_daas transaction one wallet sends, built and executed here.
//
// Transactions go through a ParallelTransactionExecutor over a pool of gas coins, so a fleet
// deploy can stake for many hosts at once from one wallet: see gas-coins.ts for why and how.
// What an executed transaction did (events, created objects, gas) is read in outcome.ts.
//
// Stakes are split from the transaction's own gas coin (tx.gas). That keeps each stake
// independent of every other coin in the wallet, at the price that pool coins must be large
// enough to carry a stake plus its gas budget: see `gasCoinMist`.
//
// Shared objects (pool, stake records, registry) are passed as explicit shared refs. If they
// were left for the SDK to resolve, the executor would treat them as owned objects and
// serialize every stake on the pool id.
//
// One ChainSession per wallet per process: two executors over one wallet would fight over coins.
import type { ClientWithCoreApi } from "@mysten/sui/client";
import type { Signer } from "@mysten/sui/cryptography";
import { Transaction } from "@mysten/sui/transactions";
import { fromBase64, isValidSuiAddress, normalizeSuiAddress } from "@mysten/sui/utils";
import { ChainError, failedTransactionError, rejectedError, type AbortContext } from "./errors.js";
import { formatSui } from "./format.js";
import { GasCoins } from "./gas-coins.js";
import { StakeAddedBcs, StakeReducedBcs, StakeTransferredBcs, StakeWithdrawnBcs, WithdrawalRequestedBcs } from "./layouts.js";
import { createdOfType, emitted, eventOf, gasOf, type ExecResult, type Executed, type TxOutcome } from "./outcome.js";
import { currentEpoch, readPool, readStakeRecord } from "./read.js";
import type { ChainIds } from "./types.js";
import { OBJECT_ID } from "../rules.js";

export type { TxOutcome } from "./outcome.js";

export interface ChainSessionOptions {
  /** Most transactions in flight at once (and most gas coins kept). Default 20. */
  maxParallel?: number;
  /** Gas budget per transaction, in MIST. Default 0.05 SUI. */
  gasBudgetMist?: bigint;
  /**
   * Balance of each pooled gas coin. A stake is split from its gas coin, so this must be at
   * least the largest stake plus the gas budget. Default: the first stake's amount (or the
   * pool minimum) plus the gas budget. A later, larger stake waits for in-flight transactions,
   * then the session starts a new executor with bigger coins (the old pool's coins are just
   * wallet coins again and get merged by the new pool's first refill).
   */
  gasCoinMist?: bigint;
}

export class ChainSession {
  readonly address: string;
  private readonly sharedVersions = new Map<string, string>();
  private readonly budget: bigint;
  private readonly gas: GasCoins;

  constructor(
    private readonly client: ClientWithCoreApi,
    signer: Signer,
    readonly ids: ChainIds,
    opts: ChainSessionOptions = {},
  ) {
    this.address = normalizeSuiAddress(signer.toSuiAddress());
    this.budget = opts.gasBudgetMist ?? 50_000_000n;
    this.gas = new GasCoins(client, signer, this.address, ids, this.budget, opts);
  }

  /** Stake `amountMist` for `nodeId`; the new StakeRecord is shared. */
  async stakeForNode(p: { nodeId: string; amountMist: bigint }): Promise<TxOutcome & { stakeId: string }> {
    if (p.amountMist <= 0n) throw new ChainError(`stake for node ${p.nodeId} must be a positive amount`, "Rejected", { nodeId: p.nodeId });
    await this.gas.fitCoins(p.amountMist + this.budget);
    const { totalBalance } = await this.gas.walletBalance();
    if (totalBalance < p.amountMist + this.budget) {
      throw new ChainError(`wallet ${this.address} holds ${formatSui(totalBalance)}, not enough to stake ${formatSui(p.amountMist)} (plus gas) for node ${p.nodeId}`, "InsufficientFunds", { nodeId: p.nodeId });
    }
    const tx = new Transaction();
    const [payment] = tx.splitCoins(tx.gas, [tx.pure.u64(p.amountMist)]);
    tx.moveCall({
      target: `${this.ids.packageId}::staking::stake_for_node`,
      arguments: [await this.shared(tx, this.ids.poolId, true), payment!, tx.pure.string(p.nodeId)],
    });
    const res = await this.run(tx, "stake", p.nodeId, async () => {
      const pool = await readPool(this.client, this.ids.poolId, this.ids.packageId);
      return { nodeId: p.nodeId, amountMist: p.amountMist, minStakeMist: pool.minNodeStakeMist };
    });
    const created = createdOfType(res, "::staking::StakeRecord");
    // A shared object's initial shared version is the version it was created at.
    this.sharedVersions.set(created.objectId, created.outputVersion!);
    return { stakeId: created.objectId, digest: res.digest, gasUsed: gasOf(res) };
  }

  /**
   * Top up an active stake with `amountMist` from this wallet (staker only), in place: same
   * record, same node id, same lock. Returns the stake's new amount.
   */
  async addStake(p: { stakeId: string; amountMist: bigint }): Promise<TxOutcome & { stakedMist: bigint }> {
    const rec = await readStakeRecord(this.client, p.stakeId, this.ids.packageId);
    if (!rec) throw new ChainError(`stake ${p.stakeId} does not exist`, "NotFound");
    if (p.amountMist <= 0n) throw new ChainError(`a top-up of the stake for node ${rec.nodeId} must be a positive amount`, "Rejected", { nodeId: rec.nodeId });
    await this.gas.fitCoins(p.amountMist + this.budget);
    const { totalBalance } = await this.gas.walletBalance();
    if (totalBalance < p.amountMist + this.budget) {
      throw new ChainError(`wallet ${this.address} holds ${formatSui(totalBalance)}, not enough to add ${formatSui(p.amountMist)} (plus gas) to the stake for node ${rec.nodeId}`, "InsufficientFunds", { nodeId: rec.nodeId });
    }
    const tx = new Transaction();
    // Split from the gas coin, as stakeForNode does (see the header).
    const [payment] = tx.splitCoins(tx.gas, [tx.pure.u64(p.amountMist)]);
    tx.moveCall({
      target: `${this.ids.packageId}::staking::add_stake`,
      arguments: [await this.shared(tx, this.ids.poolId, true), await this.shared(tx, p.stakeId, true), payment!],
    });
    const res = await this.run(tx, "stake top-up", rec.nodeId, async () => ({
      operation: "top-up", nodeId: rec.nodeId, amountMist: p.amountMist, staker: rec.staker, status: rec.status,
    }));
    const ev = StakeAddedBcs.parse(eventOf(res, this.ids.packageId, "::staking::StakeAdded"));
    return { stakedMist: BigInt(ev.total), digest: res.digest, gasUsed: gasOf(res) };
  }

  /**
   * Ask for `amountMist` of a stake back (staker only, once its lock has passed). The whole
   * amount: an active stake turns "leaving" (no longer active: its node stops serving and it
   * mints no seal token); a slashed one can only ask for its whole remainder. A part (active
   * stakes only) keeps at least the pool minimum staked and the stake active. Nothing moves yet:
   * the SUI stays staked, and slashable, until `claimWithdrawal` from `claimableAtEpoch` (the
   * pool's cool-down after this epoch). One request at a time.
   */
  async requestWithdrawal(p: { stakeId: string; amountMist: bigint }): Promise<TxOutcome & { amountMist: bigint; claimableAtEpoch: bigint }> {
    const rec = await readStakeRecord(this.client, p.stakeId, this.ids.packageId);
    if (!rec) throw new ChainError(`stake ${p.stakeId} does not exist`, "NotFound");
    if (p.amountMist <= 0n) throw new ChainError(`a withdrawal from the stake for node ${rec.nodeId} must be a positive amount`, "Rejected", { nodeId: rec.nodeId });
    const operation = p.amountMist === rec.amountMist ? "withdraw" : "reduction";
    await this.gas.ensureCoinSize(this.budget);
    const tx = new Transaction();
    tx.moveCall({
      target: `${this.ids.packageId}::staking::request_withdrawal`,
      arguments: [await this.shared(tx, this.ids.poolId, true), await this.shared(tx, p.stakeId, true), tx.pure.u64(p.amountMist)],
    });
    const res = await this.run(tx, "withdrawal request", rec.nodeId, async () => {
      const [now, pool, epoch] = await Promise.all([
        readStakeRecord(this.client, p.stakeId, this.ids.packageId), readPool(this.client, this.ids.poolId, this.ids.packageId), currentEpoch(this.client),
      ]);
      const r = now ?? rec;
      return {
        operation, nodeId: r.nodeId, amountMist: p.amountMist, stakedMist: r.amountMist, minStakeMist: pool.minNodeStakeMist,
        lockedUntilEpoch: r.lockedUntilEpoch, currentEpoch: epoch, staker: r.staker, status: r.status,
        withdrawalRequestedMist: r.withdrawalRequestedMist, claimableAtEpoch: r.claimableAtEpoch,
      };
    });
    const ev = WithdrawalRequestedBcs.parse(eventOf(res, this.ids.packageId, "::staking::WithdrawalRequested"));
    return { amountMist: BigInt(ev.amount), claimableAtEpoch: BigInt(ev.claimable_at), digest: res.digest, gasUsed: gasOf(res) };
  }

  /**
   * Pay out the stake's pending withdrawal request to this wallet (staker only), once its
   * cool-down has passed. A full request (a leaving or slashed stake; a slash inside the
   * cool-down leaves it a request for what the slash left) withdraws the stake and frees its
   * node id (`withdrawn`); a partial one leaves `stakedMist` staked. Returns the MIST paid out.
   */
  async claimWithdrawal(stakeId: string): Promise<TxOutcome & { amountMist: bigint; stakedMist: bigint; withdrawn: boolean }> {
    const rec = await readStakeRecord(this.client, stakeId, this.ids.packageId);
    if (!rec) throw new ChainError(`stake ${stakeId} does not exist`, "NotFound");
    await this.gas.ensureCoinSize(this.budget);
    const tx = new Transaction();
    const [coin] = tx.moveCall({
      target: `${this.ids.packageId}::staking::claim_withdrawal`,
      arguments: [await this.shared(tx, this.ids.poolId, true), await this.shared(tx, stakeId, true)],
    });
    tx.transferObjects([coin!], tx.pure.address(this.address));
    const res = await this.run(tx, "withdrawal claim", rec.nodeId, async () => {
      const [now, epoch] = await Promise.all([readStakeRecord(this.client, stakeId, this.ids.packageId), currentEpoch(this.client)]);
      const r = now ?? rec;
      return {
        operation: "claim", nodeId: r.nodeId, staker: r.staker, status: r.status, currentEpoch: epoch,
        withdrawalRequestedMist: r.withdrawalRequestedMist, claimableAtEpoch: r.claimableAtEpoch,
      };
    });
    if (emitted(res, this.ids.packageId, "::staking::StakeWithdrawn")) {
      const ev = StakeWithdrawnBcs.parse(eventOf(res, this.ids.packageId, "::staking::StakeWithdrawn"));
      return { amountMist: BigInt(ev.amount), stakedMist: 0n, withdrawn: true, digest: res.digest, gasUsed: gasOf(res) };
    }
    const ev = StakeReducedBcs.parse(eventOf(res, this.ids.packageId, "::staking::StakeReduced"));
    return { amountMist: BigInt(ev.amount), stakedMist: BigInt(ev.remaining), withdrawn: false, digest: res.digest, gasUsed: gasOf(res) };
  }

  /**
   * Hand an active stake to `newStaker` in place (staker only, no withdrawal pending): the
   * record, its amount, lock and node id stay, so the node id is never free (a wallet migration
   * without the gap a withdrawal and a fresh stake would leave). Seal tokens this wallet holds
   * for the stake stop counting; the new staker mints its own. Returns the new staker.
   */
  async transferStake(p: { stakeId: string; newStaker: string }): Promise<TxOutcome & { staker: string }> {
    const rec = await readStakeRecord(this.client, p.stakeId, this.ids.packageId);
    if (!rec) throw new ChainError(`stake ${p.stakeId} does not exist`, "NotFound");
    if (typeof p.newStaker !== "string" || !OBJECT_ID.test(p.newStaker) || !isValidSuiAddress(normalizeSuiAddress(p.newStaker))) {
      throw new ChainError(`cannot transfer the stake for node ${rec.nodeId} to ${String(p.newStaker)}: not a Sui address`, "Rejected", { nodeId: rec.nodeId });
    }
    const to = normalizeSuiAddress(p.newStaker);
    await this.gas.ensureCoinSize(this.budget);
    const tx = new Transaction();
    tx.moveCall({
      target: `${this.ids.packageId}::staking::transfer_stake`,
      arguments: [await this.shared(tx, this.ids.poolId, false), await this.shared(tx, p.stakeId, true), tx.pure.address(to)],
    });
    const res = await this.run(tx, "stake transfer", rec.nodeId, async () => {
      const r = (await readStakeRecord(this.client, p.stakeId, this.ids.packageId)) ?? rec;
      return {
        operation: "transfer", nodeId: r.nodeId, staker: r.staker, status: r.status, newStaker: to,
        withdrawalRequestedMist: r.withdrawalRequestedMist, claimableAtEpoch: r.claimableAtEpoch,
      };
    });
    const ev = StakeTransferredBcs.parse(eventOf(res, this.ids.packageId, "::staking::StakeTransferred"));
    return { staker: normalizeSuiAddress(ev.to), digest: res.digest, gasUsed: gasOf(res) };
  }

  /** Mint a seal token for the worker key (32-byte ed25519, base64 or bytes); owned by this wallet. */
  async mintSealToken(p: { stakeId: string; workerPubkey: string | Uint8Array }): Promise<TxOutcome & { sealTokenId: string }> {
    const key = typeof p.workerPubkey === "string" ? fromBase64(p.workerPubkey) : p.workerPubkey;
    await this.gas.ensureCoinSize(this.budget);
    const tx = new Transaction();
    tx.moveCall({
      target: `${this.ids.packageId}::k8s_gateway::create_worker_seal_token`,
      arguments: [await this.shared(tx, p.stakeId, false), tx.pure.vector("u8", Array.from(key))],
    });
    const res = await this.run(tx, "seal token mint", undefined, async () => {
      const rec = await readStakeRecord(this.client, p.stakeId, this.ids.packageId);
      return { nodeId: rec?.nodeId ?? `(stake ${p.stakeId})`, status: rec?.status };
    });
    const created = createdOfType(res, "::k8s_gateway::SealToken");
    return { sealTokenId: created.objectId, digest: res.digest, gasUsed: gasOf(res) };
  }

  /** Revoke (delete) a seal token this wallet owns. */
  async revokeSealToken(sealTokenId: string): Promise<TxOutcome> {
    await this.gas.ensureCoinSize(this.budget);
    const tx = new Transaction();
    tx.moveCall({ target: `${this.ids.packageId}::k8s_gateway::revoke_seal_token`, arguments: [tx.object(sealTokenId)] });
    const res = await this.run(tx, "seal token revoke", undefined, async () => ({}));
    return { digest: res.digest, gasUsed: gasOf(res) };
  }

  /**
   * Admin: slash part of an active or leaving stake (a stake stays slashable until its
   * withdrawal is claimed). This wallet must own the AdminCap.
   */
  async slashStake(p: { stakeId: string; amountMist: bigint; reason: string }): Promise<TxOutcome> {
    await this.gas.ensureCoinSize(this.budget);
    const tx = new Transaction();
    tx.moveCall({
      target: `${this.ids.packageId}::staking::slash_stake`,
      arguments: [
        tx.object(this.ids.adminCapId), await this.shared(tx, this.ids.poolId, true), await this.shared(tx, p.stakeId, true),
        tx.pure.u64(p.amountMist), tx.pure.string(p.reason),
      ],
    });
    const res = await this.run(tx, "slash", undefined, async () => {
      const rec = await readStakeRecord(this.client, p.stakeId, this.ids.packageId);
      return { operation: "slash", nodeId: rec?.nodeId ?? `(stake ${p.stakeId})`, amountMist: p.amountMist, status: rec?.status };
    });
    return { digest: res.digest, gasUsed: gasOf(res) };
  }

  /** Admin: name the control plane's endpoint and enclave key (base64 of 32 bytes). */
  async setRegistry(p: { endpoint: string; enclavePubkey: string | Uint8Array }): Promise<TxOutcome> {
    const key = typeof p.enclavePubkey === "string" ? fromBase64(p.enclavePubkey) : p.enclavePubkey;
    await this.gas.ensureCoinSize(this.budget);
    const tx = new Transaction();
    tx.moveCall({
      target: `${this.ids.packageId}::k8s_gateway::set_registry`,
      arguments: [
        tx.object(this.ids.adminCapId), await this.shared(tx, this.ids.poolId, false), await this.shared(tx, this.ids.registryId, true),
        tx.pure.string(p.endpoint), tx.pure.vector("u8", Array.from(key)),
      ],
    });
    const res = await this.run(tx, "registry update", undefined, async () => ({}));
    return { digest: res.digest, gasUsed: gasOf(res) };
  }

  /** Wait until the last transaction is indexed, so reads see everything this session did. */
  async flush(): Promise<void> {
    await this.gas.flush();
  }

  // ---- internals ------------------------------------------------------------------------

  /** A shared-object argument with its initial shared version (fetched once per object). */
  private async shared(tx: Transaction, objectId: string, mutable: boolean) {
    const id = normalizeSuiAddress(objectId);
    let isv = this.sharedVersions.get(id);
    if (!isv) {
      const { object } = await this.client.core.getObject({ objectId: id }).catch((e: unknown) => {
        throw new ChainError(`object ${id} cannot be read: ${(e as Error).message}`, "NotFound", {}, { cause: e });
      });
      const owner = object.owner as { $kind: string; Shared?: { initialSharedVersion: string } };
      if (owner.$kind !== "Shared" || !owner.Shared) throw new ChainError(`object ${id} is not a shared object`, "Rejected");
      isv = owner.Shared.initialSharedVersion;
      this.sharedVersions.set(id, isv);
    }
    return tx.sharedObjectRef({ objectId: id, initialSharedVersion: isv, mutable });
  }

  private async run(tx: Transaction, what: string, nodeId: string | undefined, context: () => Promise<AbortContext>): Promise<Executed> {
    const executor = await this.gas.getExecutor();
    let result: ExecResult;
    const pending = executor.executeTransaction(tx, { objectTypes: true, events: true });
    try {
      result = await this.gas.track(pending);
    } catch (e) {
      throw rejectedError(e, what, nodeId);
    }
    if (result.$kind === "FailedTransaction") {
      const failed = result.FailedTransaction;
      let ctx: AbortContext = { nodeId };
      try {
        ctx = { ...ctx, ...(await context()) };
      } catch {
        // The context only improves the wording; the failure itself is what matters.
      }
      throw failedTransactionError(failed, this.ids.packageId, ctx);
    }
    return result.Transaction;
  }
}
