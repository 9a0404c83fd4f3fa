// The devnet's ledger: live objects, executed transactions, events, checkpoints, epochs.
// Transactions go through execute.ts; this file verifies signatures, commits outcomes, and
// creates genesis (the published k3s_daas package with its pool, AdminCap and registry).
import { bcs } from "@mysten/sui/bcs";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Transaction, TransactionDataBuilder } from "@mysten/sui/transactions";
import { blake2b } from "@noble/hashes/blake2.js";
import { verifyTransactionSignature } from "@mysten/sui/verify";
import { normalizeSuiAddress, toBase64 } from "@mysten/sui/utils";
import { randomBytes } from "node:crypto";
import { toBase58 } from "@mysten/sui/utils";
import { executeTransaction, parseTransactionBytes, TxRejected, type ChainView, type ExecOutcome } from "./execute.js";
import {
  LAYOUT_MODULE, SUI_COIN_TYPE, computeObjectDigest, contentsBcs, digestOf, publishedPackageFields, type Owner, type StoredObject,
} from "./objects.js";
import { REFERENCE_GAS_PRICE, storageCostOf } from "./gas.js";
import * as model from "./model.js";

const CLOCK_ID = normalizeSuiAddress("0x6");

export interface ChainOptions {
  minStakeMist?: bigint;
  lockEpochs?: bigint;
  /**
   * Epochs between a withdrawal request and its claim (staking's withdrawal_cooldown_epochs).
   * Default 0 on the devnet (request and claim in one go); tests of the cool-down pass 1 or more.
   */
  withdrawalCooldownEpochs?: bigint;
  /** SUI the faucet hands out per /v2/gas request. */
  faucetAmountMist?: bigint;
  /**
   * Cut a checkpoint every this many ms even when no transaction runs, as a real network cuts
   * them continuously (an idle SubscribeCheckpoints stream still sees frames). Each transaction
   * still gets a checkpoint of its own at once. Default 250 (a real network's cadence); 0: only
   * when something happens, as before.
   */
  checkpointIntervalMs?: number;
  /**
   * Checkpoints kept, as a pruning full node keeps the recent ones: older ones are forgotten
   * (GetCheckpoint answers NOT_FOUND, GetServiceInfo's lowest_available_checkpoint says where the
   * kept ones start); past epochs keep their first and last checkpoint numbers, and transactions,
   * events and objects are kept whatever their checkpoint. Default 100,000 (~7 h at 250 ms, ~28
   * MB); 0 or Infinity keeps every checkpoint.
   */
  checkpointRetention?: number;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 250;
export const DEFAULT_CHECKPOINT_RETENTION = 100_000;

export interface TxRecord {
  digest: string;
  rawTransaction: string | null;
  outcome: ExecOutcome;
  events: Record<string, unknown>[];
  timestampMs: number;
  checkpoint: bigint;
  moveCalls: { package: string; module: string; function: string }[];
}

export interface CheckpointRecord {
  sequenceNumber: bigint;
  digest: string;
  previousDigest: string | null;
  epoch: bigint;
  timestampMs: number;
  transactions: string[];
  networkTotalTransactions: bigint;
}

/** An epoch's span in the log: its first and last checkpoint numbers and when it started. */
export interface EpochSpan {
  first: bigint;
  last: bigint;
  /** The timestamp of its first checkpoint (the epoch change's). */
  startMs: number;
}

/**
 * The chain's checkpoints, numbered from 0 without gaps, with what lookups need kept beside them
 * (an index by digest, each epoch's first and last checkpoint number), so that no lookup scans
 * the log: a devnet cutting a checkpoint every 250 ms gains ~345,000 a day, and a dev stack left
 * up for days must answer GetEpoch (which every client's transaction build asks) as fast as on
 * its first day. Only the last `retention` checkpoints are kept, as a pruning full node keeps
 * them: each push beyond it drops the oldest record and its digest (O(1), the array compacted
 * only once the dropped part outgrows the kept one); `lowest` is the first one kept. The epoch
 * index keeps numbers, not records, so past epochs answer after their checkpoints are gone.
 * The records are reachable only through these lookups; `visited` counts the records (and epoch
 * entries) they have read (test/chain/full-node.test.ts shows it does not grow with the log).
 */
export class CheckpointLog {
  /** records[head..] are the kept checkpoints, `lowest` first; below head, dropped slots. */
  private records: (CheckpointRecord | undefined)[] = [];
  private head = 0;
  private first = 0n;
  private readonly digests = new Map<string, CheckpointRecord>();
  private readonly epochs = new Map<bigint, EpochSpan>();
  /** Checkpoints kept (Infinity: all). */
  readonly retention: number;
  /** Records read by lookups since the log was made. */
  visited = 0;

  /** `retention`: checkpoints kept; 0 or Infinity keeps all. */
  constructor(retention = Infinity) {
    if (!(retention === Infinity || (Number.isSafeInteger(retention) && retention >= 0))) {
      throw new Error(`checkpointRetention must be a whole number of checkpoints (0 or Infinity: keep all), not ${retention}`);
    }
    this.retention = retention === 0 ? Infinity : retention;
  }

  push(cp: CheckpointRecord): void {
    const next = this.first + BigInt(this.length);
    if (cp.sequenceNumber !== next) throw new Error(`checkpoint ${cp.sequenceNumber} out of sequence (next is ${next})`);
    this.records.push(cp);
    this.digests.set(cp.digest, cp);
    const e = this.epochs.get(cp.epoch);
    if (e) e.last = cp.sequenceNumber;
    else this.epochs.set(cp.epoch, { first: cp.sequenceNumber, last: cp.sequenceNumber, startMs: cp.timestampMs });
    if (this.length > this.retention) this.dropOldest();
  }

  private dropOldest(): void {
    const old = this.records[this.head]!;
    this.records[this.head] = undefined;
    this.head += 1;
    this.first += 1n;
    this.digests.delete(old.digest);
    // Compact once the dropped slots outnumber the kept ones: a copy of n records every n drops.
    if (this.head >= 1024 && this.head * 2 >= this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }

  /** Checkpoints kept (at most `retention`). */
  get length(): number {
    return this.records.length - this.head;
  }

  /** The lowest checkpoint kept (GetServiceInfo's lowest_available_checkpoint). */
  get lowest(): bigint {
    return this.first;
  }

  private seen<T extends CheckpointRecord | undefined>(cp: T): T {
    if (cp) this.visited += 1;
    return cp;
  }

  latest(): CheckpointRecord {
    return this.seen(this.records[this.records.length - 1]!);
  }

  /** The checkpoint with this sequence number; undefined for a future one or one dropped. */
  at(seq: bigint): CheckpointRecord | undefined {
    if (seq < this.first || seq >= this.first + BigInt(this.length)) return undefined;
    return this.seen(this.records[this.head + Number(seq - this.first)]);
  }

  byDigest(digest: string): CheckpointRecord | undefined {
    return this.seen(this.digests.get(digest));
  }

  /**
   * The first and last checkpoint numbers of an epoch (kept after its checkpoints are dropped);
   * undefined for one without checkpoints (a skipped epoch, a future one).
   */
  epoch(epoch: bigint): Readonly<EpochSpan> | undefined {
    const e = this.epochs.get(epoch);
    if (e) this.visited += 1;
    return e;
  }
}

const FAUCET_SUPPLY = 10_000_000_000n * 1_000_000_000n; // 10 B SUI
const ADMIN_GENESIS_MIST = 1_000n * 1_000_000_000n;

export class Chain {
  readonly objects = new Map<string, StoredObject>();
  readonly deletedIds = new Set<string>();
  readonly txs = new Map<string, TxRecord>();
  readonly txOrder: string[] = [];
  readonly events: Record<string, unknown>[] = [];
  readonly checkpoints: CheckpointLog;
  epoch = 0n;
  epochStartMs = Date.now();
  readonly referenceGasPrice = REFERENCE_GAS_PRICE;
  readonly chainId: string;
  readonly packageId: string;
  poolId = "";
  adminCapId = "";
  registryId = "";
  readonly admin = Ed25519Keypair.generate();
  private readonly faucetKey = Ed25519Keypair.generate();
  private faucetQueue: Promise<unknown> = Promise.resolve();
  private readonly checkpointListeners = new Set<(cp: CheckpointRecord) => void>();
  private checkpointTimer: NodeJS.Timeout | null = null;
  /** The last checkpoint cut (kept apart from the log's lookups, which count what they read). */
  private lastCut: CheckpointRecord | undefined;
  readonly faucetAmountMist: bigint;

  constructor(opts: ChainOptions = {}) {
    this.faucetAmountMist = opts.faucetAmountMist ?? 1_000n * 1_000_000_000n;
    this.checkpoints = new CheckpointLog(opts.checkpointRetention ?? DEFAULT_CHECKPOINT_RETENTION);
    // A fresh chain per start: checkpoint 0's digest (the chain id) is random.
    const genesisDigest = toBase58(randomBytes(32));
    this.chainId = genesisDigest;
    this.packageId = normalizeSuiAddress(Buffer.from(randomBytes(32)).toString("hex"));
    this.lastCut = {
      sequenceNumber: 0n, digest: genesisDigest, previousDigest: null, epoch: 0n,
      timestampMs: this.epochStartMs, transactions: [], networkTotalTransactions: 0n,
    };
    this.checkpoints.push(this.lastCut);
    this.genesis(genesisDigest, opts);
    const every = opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (!Number.isFinite(every) || every < 0) throw new Error(`checkpointIntervalMs must be 0 or a positive number of ms, not ${every}`);
    if (every > 0) {
      // Empty checkpoints between transactions; unref'd, so an unclosed chain never holds the process.
      this.checkpointTimer = setInterval(() => this.idleCheckpoint(), every);
      this.checkpointTimer.unref();
    }
  }

  /** Stop cutting checkpoints on the timer (the devnet's close). */
  stop(): void {
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.checkpointTimer = null;
  }

  view(): ChainView {
    const chain = this;
    return {
      get: (id) => chain.objects.get(normalizeSuiAddress(id)),
      wasDeleted: (id) => chain.deletedIds.has(normalizeSuiAddress(id)),
      get epoch() { return chain.epoch; },
      packageId: this.packageId,
      chainId: this.chainId,
      referenceGasPrice: this.referenceGasPrice,
      timestampMs: Date.now(),
    };
  }

  /** Publish k3s_daas (run both modules' init as the admin), then apply the pool parameters. */
  private genesis(genesisDigest: string, opts: ChainOptions) {
    const put = (o: StoredObject) => {
      o.version = 1n;
      o.previousTransaction = genesisDigest;
      o.storageRebate = storageCostOf(contentsBcs(o).length);
      o.digest = computeObjectDigest(o);
      this.objects.set(o.id, o);
    };
    let n = 0;
    const adminAddr = this.admin.toSuiAddress();
    const ctx: model.MoveCtx = {
      sender: adminAddr, epoch: 0n, packageId: this.packageId,
      freshId: () => normalizeSuiAddress(digestHex(genesisDigest, n++)),
      create: (layout, typeName, fields) => ({
        id: fields.id as string, version: 1n, digest: "", owner: { Immutable: true },
        type: typeName === "coin" ? SUI_COIN_TYPE : `${this.packageId}::${typeName}`, layout, fields,
        hasPublicTransfer: layout === "Coin", previousTransaction: genesisDigest, storageRebate: 0n,
      }),
      share: (o) => { o.owner = { Shared: { initialSharedVersion: 1n } }; },
      transfer: (o, to) => { o.owner = { AddressOwner: to }; },
      destroy: () => undefined,
      emit: () => undefined,
      tableAdd: () => undefined,
      tableRemove: () => undefined,
      tableGet: () => undefined,
    };
    const { pool, cap } = model.stakingInit(ctx);
    const registry = model.gatewayInit(ctx);
    model.setPoolParams(ctx, cap, pool, opts.minStakeMist ?? model.DEFAULT_MIN_NODE_STAKE, opts.lockEpochs ?? 1n, opts.withdrawalCooldownEpochs ?? 0n);
    // The package object holds the modules compiled from move/ (see PackageFields in objects.ts).
    const pkg: StoredObject = {
      id: this.packageId, version: 1n, digest: "", owner: { Immutable: true }, type: "package", layout: "package",
      fields: publishedPackageFields(this.packageId) as unknown as Record<string, unknown>, hasPublicTransfer: false,
      previousTransaction: genesisDigest, storageRebate: 0n,
    };
    const mkCoin = (owner: string, balance: bigint) => {
      const c = ctx.create("Coin", "coin", { id: ctx.freshId(), balance });
      c.owner = { AddressOwner: owner };
      return c;
    };
    // The Clock (0x6), shared at genesis as on every Sui network; its timestamp follows the checkpoints (tickClock).
    const clock: StoredObject = {
      id: CLOCK_ID, version: 1n, digest: "", owner: { Shared: { initialSharedVersion: 1n } }, type: `${normalizeSuiAddress("0x2")}::clock::Clock`,
      layout: "Clock", fields: { id: CLOCK_ID, timestamp_ms: BigInt(this.epochStartMs) }, hasPublicTransfer: false,
      previousTransaction: genesisDigest, storageRebate: 0n,
    };
    for (const o of [pkg, pool, cap, registry, clock, mkCoin(adminAddr, ADMIN_GENESIS_MIST), mkCoin(this.faucetKey.toSuiAddress(), FAUCET_SUPPLY)]) put(o);
    this.poolId = pool.id;
    this.adminCapId = cap.id;
    this.registryId = registry.id;
  }

  /** Verify signatures, execute, commit. Returns the record (an already-executed digest returns the old one). */
  async execute(txBytes: Uint8Array, signatures: string[]): Promise<TxRecord> {
    const data = parseTransactionBytes(txBytes);
    const sender = normalizeSuiAddress(data.V1!.sender);
    const gasOwner = normalizeSuiAddress(data.V1!.gasData.owner);
    const signers = new Set<string>();
    for (const sig of signatures) {
      try {
        const pk = await verifyTransactionSignature(txBytes, sig);
        signers.add(pk.toSuiAddress());
      } catch (e) {
        throw new TxRejected(`Invalid user signature: Signature is not valid: ${(e as Error).message}`);
      }
    }
    if (!signers.has(sender)) throw new TxRejected(`Invalid user signature: no valid signature from the sender ${sender}`);
    if (!signers.has(gasOwner)) throw new TxRejected(`Invalid user signature: no valid signature from the gas owner ${gasOwner}`);
    // From here on everything is synchronous: no other request can interleave before commit.
    const existing = this.txs.get(TransactionDigestOf(txBytes));
    if (existing) return existing;
    // The transaction runs at its checkpoint's time: the Clock reads it (as a consensus commit sets it first).
    const timestampMs = Math.max(Date.now(), this.lastCut!.timestampMs);
    this.tickClock(timestampMs);
    const outcome = executeTransaction(this.view(), txBytes, { dryRun: false });
    const raw = bcs.SenderSignedData.serialize([{
      intentMessage: { intent: { scope: { TransactionData: true }, version: { V0: true }, appId: { Sui: true } }, value: data },
      txSignatures: signatures,
    }]).toBytes();
    const moveCalls = (data.V1!.kind.ProgrammableTransaction?.commands ?? [])
      .filter((c) => c.MoveCall)
      .map((c) => ({ package: normalizeSuiAddress(c.MoveCall!.package), module: c.MoveCall!.module, function: c.MoveCall!.function }));
    return this.commit(outcome, toBase64(raw), moveCalls, timestampMs);
  }

  dryRun(txBytes: Uint8Array): ExecOutcome {
    return executeTransaction(this.view(), txBytes, { dryRun: true });
  }

  private commit(outcome: ExecOutcome, rawTransaction: string | null, moveCalls: TxRecord["moveCalls"], timestampMs = Date.now()): TxRecord {
    for (const o of outcome.writes) this.objects.set(o.id, o);
    for (const id of outcome.deletes) {
      this.objects.delete(id);
      this.deletedIds.add(id);
    }
    const events = outcome.events.map((e, i) => ({
      id: { txDigest: outcome.digest, eventSeq: String(i) },
      packageId: e.packageId, transactionModule: e.transactionModule, sender: e.sender, type: e.type,
      parsedJson: e.parsedJson, bcsEncoding: "base64", bcs: toBase64(e.bcs), timestampMs: String(timestampMs),
    }));
    this.events.push(...events);
    const cp = this.newCheckpoint([outcome.digest], timestampMs);
    const rec: TxRecord = { digest: outcome.digest, rawTransaction, outcome, events, timestampMs, checkpoint: cp.sequenceNumber, moveCalls };
    this.txs.set(rec.digest, rec);
    this.txOrder.push(rec.digest);
    return rec;
  }

  /** Cut an empty checkpoint, as the timer does while no transaction runs (tests call it to age a chain). */
  idleCheckpoint(timestampMs = Date.now()): CheckpointRecord {
    return this.newCheckpoint([], timestampMs);
  }

  /** The latest checkpoint. */
  latestCheckpoint(): CheckpointRecord {
    return this.checkpoints.latest();
  }

  private newCheckpoint(transactions: string[], timestampMs: number): CheckpointRecord {
    const prev = this.lastCut!;
    const seq = prev.sequenceNumber + 1n;
    const cp: CheckpointRecord = {
      sequenceNumber: seq,
      digest: digestOf(new TextEncoder().encode(`checkpoint:${seq}:${prev.digest}:${transactions.join(",")}`)),
      previousDigest: prev.digest, epoch: this.epoch, timestampMs, transactions,
      networkTotalTransactions: prev.networkTotalTransactions + BigInt(transactions.length),
    };
    this.checkpoints.push(cp);
    this.lastCut = cp;
    this.tickClock(timestampMs);
    // After the current synchronous commit, so listeners see the transaction record too.
    queueMicrotask(() => {
      for (const l of this.checkpointListeners) {
        try {
          l(cp);
        } catch {
          // One broken subscriber must not stop the others (or the chain).
        }
      }
    });
    return cp;
  }

  /**
   * Set the Clock (0x6) to `timestampMs`, as each consensus commit's prologue does: a new version
   * of the shared object. Never backwards, and nothing when the time is the same.
   */
  private tickClock(timestampMs: number) {
    const clock = this.objects.get(CLOCK_ID);
    if (!clock || BigInt(timestampMs) <= (clock.fields.timestamp_ms as bigint)) return;
    const next: StoredObject = { ...clock, version: clock.version + 1n, fields: { ...clock.fields, timestamp_ms: BigInt(timestampMs) } };
    next.digest = computeObjectDigest(next);
    this.objects.set(CLOCK_ID, next);
  }

  /** Call `listener` with every checkpoint made from now on; returns the unsubscribe. */
  onCheckpoint(listener: (cp: CheckpointRecord) => void): () => void {
    this.checkpointListeners.add(listener);
    return () => this.checkpointListeners.delete(listener);
  }

  // ---- impostors (tests only) ----------------------------------------------------------------

  /**
   * Publish the k3s_daas modules once more at a new package id, as anyone could with `sui client
   * publish` of the same sources: a package whose structs have exactly k3s_daas's shapes and
   * names, but whose types are `<new id>::staking::StakeRecord` and so on. Devnet-only and
   * in-process (no RPC reaches it). Its functions are not executable here: objects of its types
   * are made with `forgeObject`.
   */
  publishPackageCopy(): string {
    const id = normalizeSuiAddress(Buffer.from(randomBytes(32)).toString("hex"));
    const digest = toBase58(randomBytes(32));
    const pkg: StoredObject = {
      id, version: 1n, digest: "", owner: { Immutable: true }, type: "package", layout: "package",
      fields: publishedPackageFields(id) as unknown as Record<string, unknown>, hasPublicTransfer: false,
      previousTransaction: digest, storageRebate: 0n,
    };
    pkg.digest = computeObjectDigest(pkg);
    this.objects.set(id, pkg);
    this.newCheckpoint([], Date.now());
    return id;
  }

  /**
   * Put an object on the ledger as if the code of package `packageId` had made it, with fields
   * and owner as given: an object of another package's type (a copy's, from
   * `publishPackageCopy`), or one of k3s_daas's own types in a state its functions never
   * produce (a seal token owned by someone other than the staker). Devnet-only and in-process,
   * for tests that show clients refusing such objects. Returns the object id.
   */
  forgeObject(o: {
    packageId: string;
    layout: keyof typeof LAYOUT_MODULE;
    fields: Record<string, unknown>;
    owner: { address: string } | "shared";
  }): string {
    const id = normalizeSuiAddress(Buffer.from(randomBytes(32)).toString("hex"));
    const owner: Owner = o.owner === "shared" ? { Shared: { initialSharedVersion: 1n } } : { AddressOwner: normalizeSuiAddress(o.owner.address) };
    const obj: StoredObject = {
      id, version: 1n, digest: "", owner,
      type: `${normalizeSuiAddress(o.packageId)}::${LAYOUT_MODULE[o.layout]}::${o.layout}`, layout: o.layout,
      fields: { ...o.fields, id }, hasPublicTransfer: false,
      previousTransaction: toBase58(randomBytes(32)), storageRebate: 0n,
    };
    obj.storageRebate = storageCostOf(contentsBcs(obj).length);
    obj.digest = computeObjectDigest(obj);
    this.objects.set(id, obj);
    this.newCheckpoint([], Date.now());
    return id;
  }

  advanceEpoch(n = 1): bigint {
    this.epoch += BigInt(n);
    this.epochStartMs = Date.now();
    this.newCheckpoint([], this.epochStartMs);
    return this.epoch;
  }

  /**
   * Faucet: a real transaction from the faucet account (split its coin, transfer the part),
   * signed and executed like any other. Requests are queued: the faucet has one coin.
   */
  faucet(recipient: string, amountMist: bigint = this.faucetAmountMist): Promise<{ coinId: string; digest: string; amount: bigint }> {
    const run = async () => {
      const addr = this.faucetKey.toSuiAddress();
      const coin = [...this.objects.values()].find((o) => o.layout === "Coin" && "AddressOwner" in o.owner && o.owner.AddressOwner === addr);
      if (!coin) throw new Error("faucet is empty");
      const tx = new Transaction();
      tx.setSender(addr);
      tx.setGasPayment([{ objectId: coin.id, version: String(coin.version), digest: coin.digest }]);
      tx.setGasPrice(this.referenceGasPrice);
      tx.setGasBudget(10_000_000n);
      const [c] = tx.splitCoins(tx.gas, [tx.pure.u64(amountMist)]);
      tx.transferObjects([c!], tx.pure.address(normalizeSuiAddress(recipient)));
      const bytes = await tx.build();
      const { signature } = await this.faucetKey.signTransaction(bytes);
      const rec = await this.execute(bytes, [signature]);
      const created = rec.outcome.writes.find((o) => o.layout === "Coin" && "AddressOwner" in o.owner && o.owner.AddressOwner === normalizeSuiAddress(recipient));
      if (!rec.outcome.success || !created) throw new Error(`faucet transfer failed: ${rec.outcome.errorText}`);
      return { coinId: created.id, digest: rec.digest, amount: amountMist };
    };
    const p = this.faucetQueue.then(run, run);
    this.faucetQueue = p.catch(() => undefined);
    return p;
  }
}

function digestHex(seed: string, n: number): string {
  return "0x" + Buffer.from(blake2b(new TextEncoder().encode(`genesis-id:${seed}:${n}`), { dkLen: 32 })).toString("hex");
}

function TransactionDigestOf(bytes: Uint8Array): string {
  return TransactionDataBuilder.getDigestFromBytes(bytes);
}
