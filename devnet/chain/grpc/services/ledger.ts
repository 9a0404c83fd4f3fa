// sui.rpc.v2.LedgerService: service info, objects, transactions, checkpoints, epochs.
import { GrpcTypes } from "@mysten/sui/grpc";
import type { Chain, TxRecord } from "../../state.js";
import { checkpointProto, objectProto, recordProto, timestamp } from "../convert.js";
import { masked, pathsOrDefault } from "../mask.js";
import { GrpcError, GrpcStatusCode } from "../wire.js";
import { requestAddress, requestDigest, type ServiceImpl } from "../service.js";
import { epochProto } from "./epoch.js";
import { eventMatcher, transactionMatcher, type EventFilter, type TransactionFilter } from "../filters.js";
import { valueJson } from "../convert.js";

const OBJECT_DEFAULT = ["object_id", "version", "digest"];
const TX_DEFAULT = ["digest"];
const CHECKPOINT_DEFAULT = ["sequence_number", "digest"];
const EVENT_DEFAULT = ["event_type"];
const EPOCH_DEFAULT = ["epoch", "first_checkpoint", "last_checkpoint", "start", "end", "reference_gas_price", "protocol_config.protocol_version"];

function getObject(chain: Chain, id: string, version: bigint | undefined) {
  const o = chain.objects.get(id);
  if (!o) {
    throw new GrpcError(GrpcStatusCode.NOT_FOUND, chain.deletedIds.has(id) ? `Object ${id} has been deleted` : `Object ${id} not found`);
  }
  if (version !== undefined && version !== o.version) {
    throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Object ${id} at version ${version} not found (the devnet keeps only the latest version, ${o.version})`);
  }
  return objectProto(o);
}

function getTransaction(chain: Chain, d: string) {
  const rec = chain.txs.get(d);
  if (!rec) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Transaction ${d} not found`);
  return recordProto(rec);
}

function statusOf(e: unknown) {
  const err = e instanceof GrpcError ? e : new GrpcError(GrpcStatusCode.INTERNAL, (e as Error).message);
  return { code: err.code, message: err.message, details: [] };
}

/**
 * Cursor of the n-th transaction in execution order: n + 1 as a big-endian u64, so the zero
 * cursor lies before every transaction (the frontier of a scan that found none). Opaque to clients.
 */
function txCursor(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n + 1));
  return b;
}
function positionOf(cursor: Uint8Array | undefined, which: string): number | undefined {
  if (!cursor?.length) return undefined;
  if (cursor.length !== 8) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid options.${which}: not a ListTransactions cursor`);
  return Number(new DataView(cursor.buffer, cursor.byteOffset, 8).getBigUint64(0)) - 1;
}

function checkpointRange(req: { startCheckpoint?: bigint; endCheckpoint?: bigint }) {
  const start = req.startCheckpoint;
  const end = req.endCheckpoint;
  if (start !== undefined && end !== undefined && end < start) {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid checkpoint range: end_checkpoint ${end} is before start_checkpoint ${start}`);
  }
  return { start, end, inRange: (cp: bigint) => (start === undefined || cp >= start) && (end === undefined || cp < end) };
}

/**
 * Cursor of an event: its transaction's position in execution order (u64) and its index in that
 * transaction's events (u32), big-endian, so byte order is ledger order. Opaque to clients.
 */
const EVENT_CURSOR_BYTES = 12;
// Transaction positions are stored plus one, so the zero cursor lies before every event.
const eventKey = (tx: number, index: number) => BigInt(tx + 1) * 0x1_0000_0000n + BigInt(index);
function eventCursor(key: bigint): Uint8Array {
  const b = new Uint8Array(EVENT_CURSOR_BYTES);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, key >> 32n);
  v.setUint32(8, Number(key & 0xffff_ffffn));
  return b;
}
function eventKeyOf(cursor: Uint8Array | undefined, which: string): bigint | undefined {
  if (!cursor?.length) return undefined;
  if (cursor.length !== EVENT_CURSOR_BYTES) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid options.${which}: not a ListEvents cursor`);
  const v = new DataView(cursor.buffer, cursor.byteOffset, EVENT_CURSOR_BYTES);
  return (v.getBigUint64(0) << 32n) + BigInt(v.getUint32(8));
}

function eventProto(chain: Chain, rec: TxRecord, index: number) {
  const e = rec.outcome.events[index]!;
  // Each of the devnet's transactions has a checkpoint of its own, so the index is 0 also when
  // that checkpoint has been pruned.
  const cp = chain.checkpoints.at(rec.checkpoint);
  return GrpcTypes.Event.create({
    packageId: e.packageId, module: e.transactionModule, sender: e.sender, eventType: e.type,
    contents: { name: e.type, value: e.bcs }, json: valueJson(e.type, e.bcs),
    checkpoint: rec.checkpoint, transactionDigest: rec.digest,
    transactionIndex: BigInt(Math.max(0, cp?.transactions.indexOf(rec.digest) ?? 0)), eventIndex: index,
  });
}

/** The paging options both list calls take: order, page size (default 50, at most 1000), cursors. */
function listOptions(req: { options?: unknown }) {
  const o = (req.options ?? {}) as { limit?: number; after?: Uint8Array; before?: Uint8Array; ordering?: number };
  return { o, desc: o.ordering === GrpcTypes.Ordering.DESCENDING, limit: o.limit && o.limit > 0 ? Math.min(o.limit, 1000) : 50 };
}

/**
 * Why a list scan that did not fill its page stopped, in its direction (a cursor, a checkpoint
 * bound, or the tip), and the checkpoint its last watermark names.
 */
function scanEnd(s: { desc: boolean; after?: unknown; before?: unknown; start?: bigint; end?: bigint; tip: bigint }): { reason: number; checkpoint: bigint } {
  const R = GrpcTypes.QueryEndReason;
  const endBound = s.end !== undefined && s.end <= s.tip;
  const reason = !s.desc
    ? s.before !== undefined ? R.CURSOR_BOUND : endBound ? R.CHECKPOINT_BOUND : R.LEDGER_TIP
    : s.after !== undefined ? R.CURSOR_BOUND : R.CHECKPOINT_BOUND;
  return { reason, checkpoint: s.desc ? (s.start ?? 0n) : endBound ? s.end! - 1n : s.tip };
}

export const ledgerService: ServiceImpl = {
  service: GrpcTypes.LedgerService,
  stream: {
    // Transactions in execution order (or reverse), filtered, bounded by a checkpoint range and
    // by exclusive cursors, as ListEvents: every frame has a watermark; the limit-th item's frame
    // ends the stream with ITEM_LIMIT, otherwise a last frame without an item says why the scan
    // stopped (sui-rpc-api list_transactions.rs). Transactions whose checkpoints are pruned are
    // still listed (ListEvents too): the devnet keeps every transaction and its events (see
    // ChainOptions.checkpointRetention), where a node clamps an open scan to its lowest available
    // checkpoint and refuses an explicit bound below it (OUT_OF_RANGE).
    ListTransactions: async (chain, req, send) => {
      const { start, end, inRange } = checkpointRange(req);
      const matches = transactionMatcher(req.filter as TransactionFilter | undefined);
      const paths = pathsOrDefault(req.readMask, TX_DEFAULT);
      const { o, desc, limit } = listOptions(req);
      const after = positionOf(o.after, "after");
      const before = positionOf(o.before, "before");
      const tip = chain.latestCheckpoint().sequenceNumber;
      const first = Math.max(0, after === undefined ? 0 : after + 1);
      const last = Math.min(chain.txOrder.length - 1, before === undefined ? Infinity : before - 1);
      let sent = 0;
      for (let k = 0; k <= last - first; k++) {
        const i = desc ? last - k : first + k;
        const rec = chain.txs.get(chain.txOrder[i]!)!;
        if (!inRange(rec.checkpoint) || (matches && !matches(rec))) continue;
        sent += 1;
        const frame = { transaction: masked(GrpcTypes.ExecutedTransaction, recordProto(rec), paths), watermark: { cursor: txCursor(i), checkpoint: rec.checkpoint } };
        if (sent === limit) {
          send({ ...frame, end: { reason: GrpcTypes.QueryEndReason.ITEM_LIMIT } });
          return;
        }
        send(frame);
      }
      const stop = scanEnd({ desc, after, before, start, end, tip });
      // The frontier: the last position the scan covered in its direction (the next page starts past it).
      const frontier = !desc ? Math.max(last, first - 1) : Math.min(first, last + 1);
      send({ watermark: { cursor: txCursor(frontier), checkpoint: stop.checkpoint }, end: { reason: stop.reason } });
    },
    // Events in ledger order (transaction, then index in it), or reverse; filtered by the DNF
    // EventFilter (sender, emit module, event type); bounded by a checkpoint range and by
    // exclusive cursors. Every frame has a watermark; the limit-th item's frame ends the stream
    // with ITEM_LIMIT, otherwise a last frame without an item says why the scan stopped.
    ListEvents: async (chain, req, send) => {
      const { start, end, inRange } = checkpointRange(req);
      const matches = eventMatcher(req.filter as EventFilter | undefined);
      const paths = pathsOrDefault(req.readMask, EVENT_DEFAULT);
      const { o, desc, limit } = listOptions(req);
      const after = eventKeyOf(o.after, "after");
      const before = eventKeyOf(o.before, "before");
      const tip = chain.latestCheckpoint().sequenceNumber;
      const all: { key: bigint; rec: TxRecord; index: number }[] = [];
      chain.txOrder.forEach((d, i) => {
        const rec = chain.txs.get(d)!;
        if (!inRange(rec.checkpoint)) return;
        rec.outcome.events.forEach((_e, j) => {
          const key = eventKey(i, j);
          if ((after === undefined || key > after) && (before === undefined || key < before)) all.push({ key, rec, index: j });
        });
      });
      if (desc) all.reverse();
      let sent = 0;
      for (const { key, rec, index } of all) {
        if (matches && !matches({ rec, index })) continue;
        sent += 1;
        const frame: Record<string, unknown> = { event: masked(GrpcTypes.Event, eventProto(chain, rec, index), paths), watermark: { cursor: eventCursor(key) } };
        if (sent === limit) {
          send({ ...frame, end: { reason: GrpcTypes.QueryEndReason.ITEM_LIMIT } });
          return;
        }
        send(frame);
      }
      const stop = scanEnd({ desc, after, before, start, end, tip });
      const cursor = !desc
        ? before !== undefined ? before - 1n : eventKey(chain.txOrder.length - 1, 0xffff_ffff)
        : after !== undefined ? after + 1n : 0n;
      send({ watermark: { cursor: eventCursor(cursor < 0n ? 0n : cursor), checkpoint: stop.checkpoint }, end: { reason: stop.reason } });
    },
  },
  unary: {
    GetServiceInfo: (chain) => {
      const last = chain.latestCheckpoint();
      // As a node (get_service_info.rs): the lowest checkpoint not yet pruned, and the same for the
      // deprecated objects watermark.
      const lowest = chain.checkpoints.lowest;
      return {
        chainId: chain.chainId, chain: "localnet", epoch: chain.epoch, checkpointHeight: last.sequenceNumber,
        timestamp: timestamp(last.timestampMs), lowestAvailableCheckpoint: lowest, lowestAvailableCheckpointObjects: lowest,
        server: "k3s-daas-devnet",
      };
    },
    GetObject: (chain, req) => ({
      object: masked(GrpcTypes.Object, getObject(chain, requestAddress(req.objectId, "object_id"), req.version), pathsOrDefault(req.readMask, OBJECT_DEFAULT)),
    }),
    BatchGetObjects: (chain, req) => {
      const paths = pathsOrDefault(req.readMask, OBJECT_DEFAULT);
      // As a node: one malformed id fails the whole request; a missing object is that item's error.
      const requests = (req.requests as { objectId?: string; version?: bigint }[])
        .map((r, i) => ({ id: requestAddress(r.objectId, `requests[${i}].object_id`), version: r.version }));
      return {
        objects: requests.map((r) => {
          try {
            return { result: { oneofKind: "object", object: masked(GrpcTypes.Object, getObject(chain, r.id, r.version), paths) } };
          } catch (e) {
            if (e instanceof GrpcError && e.code === GrpcStatusCode.INVALID_ARGUMENT && /read_mask/.test(e.message)) throw e;
            return { result: { oneofKind: "error", error: statusOf(e) } };
          }
        }),
      };
    },
    GetTransaction: (chain, req) => ({
      transaction: masked(GrpcTypes.ExecutedTransaction, getTransaction(chain, requestDigest(req.digest, "digest")), pathsOrDefault(req.readMask, TX_DEFAULT)),
    }),
    BatchGetTransactions: (chain, req) => {
      const paths = pathsOrDefault(req.readMask, TX_DEFAULT);
      return {
        // As a node: a malformed digest is that item's INVALID_ARGUMENT, not the request's.
        transactions: (req.digests as string[]).map((d, i) => {
          try {
            return { result: { oneofKind: "transaction", transaction: masked(GrpcTypes.ExecutedTransaction, getTransaction(chain, requestDigest(d, `digests[${i}]`)), paths) } };
          } catch (e) {
            return { result: { oneofKind: "error", error: statusOf(e) } };
          }
        }),
      };
    },
    GetCheckpoint: (chain, req) => {
      const id = req.checkpointId as { oneofKind?: string; sequenceNumber?: bigint; digest?: string };
      const cp = id.oneofKind === "sequenceNumber" ? chain.checkpoints.at(id.sequenceNumber!)
        : id.oneofKind === "digest" ? chain.checkpoints.byDigest(id.digest!)
          : chain.latestCheckpoint();
      // A future checkpoint, an unknown digest and a pruned one alike: NOT_FOUND "Checkpoint <n or
      // digest> not found", the node's CheckpointNotFoundError (get_checkpoint.rs). A node keeps a
      // pruned checkpoint's summary by number (answering a summary-only read mask) but not its
      // contents, transactions or digest index; the devnet forgets the whole record.
      if (!cp) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Checkpoint ${String(id.sequenceNumber ?? id.digest)} not found`);
      return { checkpoint: masked(GrpcTypes.Checkpoint, checkpointProto(chain, cp), pathsOrDefault(req.readMask, CHECKPOINT_DEFAULT)) };
    },
    GetEpoch: (chain, req) => {
      const epoch = req.epoch as bigint | undefined;
      if (epoch !== undefined && epoch > chain.epoch) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Epoch ${epoch} not found (current epoch ${chain.epoch})`);
      return { epoch: masked(GrpcTypes.Epoch, epochProto(chain, epoch ?? chain.epoch), pathsOrDefault(req.readMask, EPOCH_DEFAULT)) };
    },
  },
};

