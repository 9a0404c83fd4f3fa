// sui.rpc.v2.LedgerService: service info, objects, transactions, checkpoints, epochs.
import { GrpcTypes } from "@mysten/sui/grpc";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import type { Chain } from "../../state.js";
import { checkpointProto, objectProto, recordProto, timestamp } from "../convert.js";
import { masked, pathsOrDefault } from "../mask.js";
import { GrpcError, GrpcStatusCode } from "../wire.js";
import { required, type ServiceImpl } from "../service.js";
import { epochProto } from "./epoch.js";
import { transactionMatcher, type TransactionFilter } from "../filters.js";

const OBJECT_DEFAULT = ["object_id", "version", "digest"];
const TX_DEFAULT = ["digest"];
const CHECKPOINT_DEFAULT = ["sequence_number", "digest"];
const EPOCH_DEFAULT = ["epoch", "first_checkpoint", "last_checkpoint", "start", "end", "reference_gas_price", "protocol_config.protocol_version"];

function getObject(chain: Chain, idIn: string | undefined, version: bigint | undefined) {
  const id = normalizeSuiAddress(required(idIn, "object_id"));
  const o = chain.objects.get(id);
  if (!o) {
    throw new GrpcError(GrpcStatusCode.NOT_FOUND, chain.deletedIds.has(id) ? `Object ${id} has been deleted` : `Object ${id} not found`);
  }
  if (version !== undefined && version !== o.version) {
    throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Object ${id} at version ${version} not found (the devnet keeps only the latest version, ${o.version})`);
  }
  return objectProto(o);
}

function getTransaction(chain: Chain, digest: string | undefined) {
  const d = required(digest, "digest");
  const rec = chain.txs.get(d);
  if (!rec) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Transaction ${d} not found`);
  return recordProto(rec);
}

function statusOf(e: unknown) {
  const err = e instanceof GrpcError ? e : new GrpcError(GrpcStatusCode.INTERNAL, (e as Error).message);
  return { code: err.code, message: err.message, details: [] };
}

/** Cursor of the n-th transaction in execution order: its position as a big-endian u64. */
function u64be(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}
function positionOf(cursor: Uint8Array | undefined): number | undefined {
  if (!cursor?.length) return undefined;
  if (cursor.length !== 8) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, "invalid cursor");
  return Number(new DataView(cursor.buffer, cursor.byteOffset, 8).getBigUint64(0));
}

export const ledgerService: ServiceImpl = {
  service: GrpcTypes.LedgerService,
  stream: {
    // Transactions in execution order (or reverse), filtered, paged by cursor: frames of
    // {transaction, watermark}, then one {end}.
    ListTransactions: async (chain, req, send) => {
      const matches = transactionMatcher(req.filter as TransactionFilter | undefined);
      const paths = pathsOrDefault(req.readMask, TX_DEFAULT);
      const o = (req.options ?? {}) as { limit?: number; after?: Uint8Array; before?: Uint8Array; ordering?: number };
      const desc = o.ordering === GrpcTypes.Ordering.DESCENDING;
      const after = positionOf(o.after);
      const before = positionOf(o.before);
      const limit = o.limit && o.limit > 0 ? Math.min(o.limit, 1000) : 50;
      const order = chain.txOrder.map((d, i) => ({ d, i })).filter(({ i }) => (after === undefined || i > after) && (before === undefined || i < before));
      if (desc) order.reverse();
      let sent = 0;
      for (const { d, i } of order) {
        const rec = chain.txs.get(d)!;
        if (matches && !matches(rec)) continue;
        if (sent === limit) { send({ end: { reason: GrpcTypes.QueryEndReason.ITEM_LIMIT } }); return; }
        send({ transaction: masked(GrpcTypes.ExecutedTransaction, recordProto(rec), paths), watermark: { cursor: u64be(i), checkpoint: rec.checkpoint } });
        sent += 1;
      }
      send({ end: { reason: GrpcTypes.QueryEndReason.LEDGER_TIP } });
    },
  },
  unary: {
    GetServiceInfo: (chain) => {
      const last = chain.checkpoints[chain.checkpoints.length - 1]!;
      return {
        chainId: chain.chainId, chain: "localnet", epoch: chain.epoch, checkpointHeight: last.sequenceNumber,
        timestamp: timestamp(last.timestampMs), lowestAvailableCheckpoint: 0n, lowestAvailableCheckpointObjects: 0n,
        server: "k3s-daas-devnet",
      };
    },
    GetObject: (chain, req) => ({
      object: masked(GrpcTypes.Object, getObject(chain, req.objectId, req.version), pathsOrDefault(req.readMask, OBJECT_DEFAULT)),
    }),
    BatchGetObjects: (chain, req) => {
      const paths = pathsOrDefault(req.readMask, OBJECT_DEFAULT);
      return {
        objects: (req.requests as { objectId?: string; version?: bigint }[]).map((r) => {
          try {
            return { result: { oneofKind: "object", object: masked(GrpcTypes.Object, getObject(chain, r.objectId, r.version), paths) } };
          } catch (e) {
            if (e instanceof GrpcError && e.code === GrpcStatusCode.INVALID_ARGUMENT && /read_mask/.test(e.message)) throw e;
            return { result: { oneofKind: "error", error: statusOf(e) } };
          }
        }),
      };
    },
    GetTransaction: (chain, req) => ({
      transaction: masked(GrpcTypes.ExecutedTransaction, getTransaction(chain, req.digest), pathsOrDefault(req.readMask, TX_DEFAULT)),
    }),
    BatchGetTransactions: (chain, req) => {
      const paths = pathsOrDefault(req.readMask, TX_DEFAULT);
      return {
        transactions: (req.digests as string[]).map((d) => {
          try {
            return { result: { oneofKind: "transaction", transaction: masked(GrpcTypes.ExecutedTransaction, getTransaction(chain, d), paths) } };
          } catch (e) {
            return { result: { oneofKind: "error", error: statusOf(e) } };
          }
        }),
      };
    },
    GetCheckpoint: (chain, req) => {
      const id = req.checkpointId as { oneofKind?: string; sequenceNumber?: bigint; digest?: string };
      const cp = id.oneofKind === "sequenceNumber" ? chain.checkpoints.find((c) => c.sequenceNumber === id.sequenceNumber)
        : id.oneofKind === "digest" ? chain.checkpoints.find((c) => c.digest === id.digest)
          : chain.checkpoints[chain.checkpoints.length - 1];
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

