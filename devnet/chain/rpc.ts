// JSON-RPC methods of the devnet, shaped like a Sui full node's responses as far as
// @mysten/sui's SuiJsonRpcClient and its core API read them (see
// node_modules/@mysten/sui/src/jsonRpc/core.ts).
import { bcs } from "@mysten/sui/bcs";
import { deriveDynamicFieldID, fromBase58, fromBase64, normalizeStructTag, normalizeSuiAddress, toBase64 } from "@mysten/sui/utils";
import { TxRejected, type ExecOutcome } from "./execute.js";
import { SUI_COIN_TYPE, contentsBcs, fieldsJson, ownerJson, type PackageFields, type StoredObject } from "./objects.js";
import { normalizedCompiledFunction, normalizedMoveFunction } from "./signatures.js";
import { frameworkFunction } from "./framework.js";
import type { Chain, TxRecord } from "./state.js";

export class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: string) {
    super(message);
  }
}

/**
 * A malformed parameter, answered as a full node's jsonrpsee answers a parameter it cannot
 * deserialize: -32602 "Invalid params", the reason in `data`.
 */
function invalidParams(reason: string): never {
  throw new RpcError(-32602, "Invalid params", reason);
}

/** An address or object id parameter (hex, `0x` optional, at most 32 bytes), normalized. */
function paramAddress(v: unknown, what: string): string {
  if (typeof v !== "string" || !v || !/^(0x)?[0-9a-fA-F]{0,64}$/.test(v)) invalidParams(`${what}: ${JSON.stringify(v ?? null)} is not a Sui address or object id (hex, up to 32 bytes)`);
  return normalizeSuiAddress(v);
}

/** A transaction digest parameter (base58 of 32 bytes). */
function paramDigest(v: unknown, what: string): string {
  let n = -1;
  try {
    n = typeof v === "string" ? fromBase58(v).length : -1;
  } catch {
    // not base58
  }
  if (n !== 32) invalidParams(`${what}: ${JSON.stringify(v ?? null)} is not a transaction digest (base58 of 32 bytes)`);
  return v as string;
}

type Params = unknown[];
type Handler = (chain: Chain, params: Params) => unknown | Promise<unknown>;

const str = (v: bigint | number) => String(v);

function objectResponse(chain: Chain, idIn: unknown, options: Record<string, boolean> = {}): unknown {
  const id = paramAddress(idIn, "object id");
  const o = chain.objects.get(id);
  if (!o) {
    return chain.deletedIds.has(id)
      ? { error: { code: "deleted", object_id: id, version: "0", digest: "7gyGAp71YXQRoxmFBaHxofQXAipvgHyBKPyxmdSJxyvz" } }
      : { error: { code: "notExists", object_id: id } };
  }
  return { data: objectData(o, options) };
}

function objectData(o: StoredObject, options: Record<string, boolean>) {
  const isPkg = o.layout === "package";
  return {
    objectId: o.id,
    version: str(o.version),
    digest: o.digest,
    type: o.type,
    owner: ownerJson(o.owner),
    previousTransaction: o.previousTransaction,
    storageRebate: str(o.storageRebate),
    ...(options.showContent
      ? { content: isPkg ? { dataType: "package", disassembled: {} } : { dataType: "moveObject", type: o.type, hasPublicTransfer: o.hasPublicTransfer, fields: fieldsJson(o) } }
      : {}),
    ...(options.showBcs && !isPkg
      ? { bcs: { dataType: "moveObject", type: o.type, hasPublicTransfer: o.hasPublicTransfer, version: str(o.version), bcsBytes: toBase64(contentsBcs(o)) } }
      : {}),
    ...(options.showBcs && isPkg ? { bcs: rawPackage(o) } : {}),
    ...(options.showDisplay ? { display: { data: null, error: null } } : {}),
  };
}

/** SuiRawMovePackage: the compiled module bytes the package object holds (objects.ts PackageFields). */
function rawPackage(o: StoredObject) {
  const p = o.fields as unknown as PackageFields;
  return {
    dataType: "package", id: o.id, version: str(o.version),
    moduleMap: Object.fromEntries(p.modules.map((m) => [m.name, toBase64(m.bytes)])),
    typeOriginTable: p.typeOrigins.map((t) => ({ module_name: t.moduleName, datatype_name: t.datatypeName, package: t.package })),
    linkageTable: Object.fromEntries(p.linkage.map((l) => [l.originalId, { upgraded_id: l.upgradedId, upgraded_version: str(l.upgradedVersion) }])),
  };
}

function coinsOf(chain: Chain, owner: unknown): StoredObject[] {
  const addr = paramAddress(owner, "owner");
  return [...chain.objects.values()]
    .filter((o) => o.type === SUI_COIN_TYPE && "AddressOwner" in o.owner && o.owner.AddressOwner === addr)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

function isSuiCoinType(t: unknown): boolean {
  return t == null || normalizeStructTag(String(t)) === normalizeStructTag("0x2::sui::SUI");
}

function page<T>(items: T[], cursor: unknown, limit: unknown, key: (t: T) => string) {
  const start = cursor ? items.findIndex((i) => key(i) === cursor) + 1 : 0;
  const n = typeof limit === "number" && limit > 0 ? Math.min(limit, 1000) : 50;
  const data = items.slice(start, start + n);
  const hasNextPage = start + n < items.length;
  return { data, nextCursor: data.length ? key(data[data.length - 1]!) : (cursor ?? null), hasNextPage };
}

export function txResponse(rec: TxRecord | { digest: string; outcome: ExecOutcome; rawTransaction: string | null; events: unknown[]; timestampMs: number | null; checkpoint: bigint | null }, options: Record<string, boolean> = {}) {
  const o = rec.outcome;
  return {
    digest: rec.digest,
    ...(options.showRawInput && rec.rawTransaction ? { rawTransaction: rec.rawTransaction } : {}),
    ...(options.showEffects ? { effects: o.effectsJson } : {}),
    ...(options.showRawEffects ? { rawEffects: Array.from(o.effectsBcs) } : {}),
    ...(options.showEvents ? { events: rec.events } : {}),
    ...(options.showObjectChanges ? { objectChanges: o.objectChanges } : {}),
    ...(options.showBalanceChanges ? { balanceChanges: o.balanceChanges } : {}),
    timestampMs: rec.timestampMs == null ? null : str(rec.timestampMs),
    checkpoint: rec.checkpoint == null ? null : str(rec.checkpoint),
    confirmedLocalExecution: true,
  };
}

function checkpointJson(chain: Chain, idIn: unknown) {
  const seq = /^[0-9]+$/.test(String(idIn)) ? BigInt(String(idIn)) : undefined;
  const cp = (seq === undefined ? undefined : chain.checkpoints.at(seq)) ?? (typeof idIn === "string" ? chain.checkpoints.byDigest(idIn) : undefined);
  if (!cp) throw new RpcError(-32602, `Could not find checkpoint ${String(idIn)}`);
  return {
    epoch: str(cp.epoch), sequenceNumber: str(cp.sequenceNumber), digest: cp.digest,
    networkTotalTransactions: str(cp.networkTotalTransactions), previousDigest: cp.previousDigest,
    epochRollingGasCostSummary: { computationCost: "0", storageCost: "0", storageRebate: "0", nonRefundableStorageFee: "0" },
    timestampMs: str(cp.timestampMs), transactions: cp.transactions, checkpointCommitments: [], validatorSignature: "",
  };
}

function eventMatches(ev: Record<string, unknown>, query: Record<string, unknown>): boolean {
  if (!query || "All" in query) return true;
  if ("Sender" in query) return ev.sender === normalizeSuiAddress(String(query.Sender));
  if ("Transaction" in query) return (ev.id as { txDigest: string }).txDigest === query.Transaction;
  if ("MoveEventType" in query) return normalizeStructTag(String(ev.type)) === normalizeStructTag(String(query.MoveEventType));
  if ("MoveModule" in query || "MoveEventModule" in query) {
    const m = (query.MoveModule ?? query.MoveEventModule) as { package: string; module: string };
    const [pkg, mod] = String(ev.type).split("::");
    const modName = "MoveModule" in query ? ev.transactionModule : mod;
    return normalizeSuiAddress(pkg!) === normalizeSuiAddress(m.package) && modName === m.module;
  }
  if ("MoveEventField" in query || "TimeRange" in query) throw new RpcError(-32602, "Event filter not supported by the devnet");
  return false;
}

function dryRunResponse(chain: Chain, o: ExecOutcome, txBytesB64: string) {
  return {
    effects: o.effectsJson,
    events: o.events.map((e, i) => ({
      id: { txDigest: o.digest, eventSeq: String(i) }, packageId: e.packageId, transactionModule: e.transactionModule,
      sender: e.sender, type: e.type, parsedJson: e.parsedJson, bcsEncoding: "base64", bcs: toBase64(e.bcs),
    })),
    objectChanges: o.objectChanges,
    balanceChanges: o.balanceChanges,
    input: { txBytes: txBytesB64 },
    executionErrorSource: o.errorText,
  };
}

function rejected(e: unknown): never {
  if (e instanceof TxRejected) throw new RpcError(e.code, e.message);
  throw e;
}

export const METHODS: Record<string, Handler> = {
  rpc_discover: () => ({ info: { title: "k3s-daas devnet", version: "1.0.0" }, methods: Object.keys(METHODS) }),
  // Sui: the first 4 bytes of the genesis checkpoint digest, hex.
  sui_getChainIdentifier: (c) => Buffer.from(fromBase58(c.chainId).slice(0, 4)).toString("hex"),
  suix_getReferenceGasPrice: (c) => str(c.referenceGasPrice),
  sui_getLatestCheckpointSequenceNumber: (c) => str(c.latestCheckpoint().sequenceNumber),
  sui_getCheckpoint: (c, [id]) => checkpointJson(c, id),
  sui_getTotalTransactionBlocks: (c) => str(c.txOrder.length),
  suix_getCurrentEpoch: (c) => ({ epoch: str(c.epoch), epochStartTimestamp: str(c.epochStartMs), validators: [] }),
  suix_getLatestSuiSystemState: (c) => ({
    systemStateVersion: "2", epoch: str(c.epoch), protocolVersion: "90", referenceGasPrice: str(c.referenceGasPrice),
    epochStartTimestampMs: str(c.epochStartMs), epochDurationMs: "86400000", safeMode: false,
    safeModeStorageRewards: "0", safeModeComputationRewards: "0", safeModeStorageRebates: "0", safeModeNonRefundableStorageFee: "0",
    stakeSubsidyStartEpoch: "0", maxValidatorCount: "150", minValidatorJoiningStake: "0", validatorLowStakeThreshold: "0",
    validatorLowStakeGracePeriod: "7", storageFundTotalObjectStorageRebates: "0", storageFundNonRefundableBalance: "0",
    stakeSubsidyBalance: "0", stakeSubsidyDistributionCounter: "0", stakeSubsidyCurrentDistributionAmount: "0",
    stakeSubsidyPeriodLength: "10", stakeSubsidyDecreaseRate: 1000, totalStake: "0", activeValidators: [],
    pendingActiveValidatorsId: "0x0", pendingActiveValidatorsSize: "0", pendingRemovals: [], stakingPoolMappingsId: "0x0",
    stakingPoolMappingsSize: "0", inactivePoolsId: "0x0", inactivePoolsSize: "0", validatorCandidatesId: "0x0",
    validatorCandidatesSize: "0", atRiskValidators: [], validatorReportRecords: [],
  }),
  sui_getProtocolConfig: () => ({ protocolVersion: "90", minSupportedProtocolVersion: "1", maxSupportedProtocolVersion: "90", featureFlags: {}, attributes: { max_gas_payment_objects: { u32: "256" } } }),

  sui_getObject: (c, [id, options]) => objectResponse(c, id, (options ?? {}) as Record<string, boolean>),
  sui_multiGetObjects: (c, [ids, options]) => {
    // One malformed id fails the call (the whole parameter fails to deserialize).
    const list = (Array.isArray(ids) ? ids : invalidParams("object ids: expected an array")).map((id, i) => paramAddress(id, `object ids[${i}]`));
    return list.map((id) => objectResponse(c, id, (options ?? {}) as Record<string, boolean>));
  },
  suix_getOwnedObjects: (c, [owner, query, cursor, limit]) => {
    const addr = paramAddress(owner, "owner");
    const q = (query ?? {}) as { filter?: Record<string, unknown> | null; options?: Record<string, boolean> };
    const f = q.filter;
    const items = [...c.objects.values()].filter((o) => {
      if (!("AddressOwner" in o.owner) || o.owner.AddressOwner !== addr) return false;
      if (!f) return true;
      if ("StructType" in f) return normalizeStructTag(o.type) === normalizeStructTag(String(f.StructType)) || o.type.startsWith(normalizeStructTag(String(f.StructType)) + "<");
      if ("MoveModule" in f) { const m = f.MoveModule as { package: string; module: string }; return o.type.startsWith(`${normalizeSuiAddress(m.package)}::${m.module}::`); }
      if ("Package" in f) return o.type.startsWith(`${normalizeSuiAddress(String(f.Package))}::`);
      throw new RpcError(-32602, "Owned-object filter not supported by the devnet");
    }).sort((a, b) => (a.id < b.id ? -1 : 1));
    const p = page(items, cursor, limit, (o) => o.id);
    return { ...p, data: p.data.map((o) => ({ data: objectData(o, q.options ?? {}) })) };
  },
  suix_getCoins: (c, [owner, coinType, cursor, limit]) => {
    const items = isSuiCoinType(coinType) ? coinsOf(c, owner) : (paramAddress(owner, "owner"), []);
    const p = page(items, cursor, limit, (o) => o.id);
    return {
      ...p,
      data: p.data.map((o) => ({ coinType: "0x2::sui::SUI", coinObjectId: o.id, version: str(o.version), digest: o.digest, balance: str(o.fields.balance as bigint), previousTransaction: o.previousTransaction })),
    };
  },
  suix_getAllCoins: (c, [owner, cursor, limit]) => METHODS.suix_getCoins!(c, [owner, null, cursor, limit]),
  suix_getBalance: (c, [owner, coinType]) => {
    const coins = isSuiCoinType(coinType) ? coinsOf(c, owner) : (paramAddress(owner, "owner"), []);
    return { coinType: "0x2::sui::SUI", coinObjectCount: coins.length, totalBalance: str(coins.reduce((s, o) => s + (o.fields.balance as bigint), 0n)), lockedBalance: {}, fundsInAddressBalance: "0" };
  },
  suix_getAllBalances: (c, [owner]) => [METHODS.suix_getBalance!(c, [owner, null])],
  suix_getCoinMetadata: (_c, [coinType]) => (isSuiCoinType(coinType) ? { decimals: 9, name: "Sui", symbol: "SUI", description: "", iconUrl: null, id: null } : null),

  suix_getDynamicFields: (c, [parentId, cursor, limit]) => {
    const parent = normalizeSuiAddress(String(parentId));
    const items = [...c.objects.values()].filter((o) => "ObjectOwner" in o.owner && o.owner.ObjectOwner === parent && o.layout === "StringIdField").sort((a, b) => (a.id < b.id ? -1 : 1));
    const p = page(items, cursor, limit, (o) => o.id);
    return {
      ...p,
      data: p.data.map((o) => ({
        name: { type: "0x1::string::String", value: o.fields.name }, bcsName: toBase64(bcs.string().serialize(o.fields.name as string).toBytes()),
        type: "DynamicField", objectType: "0x2::object::ID", objectId: o.id, version: str(o.version), digest: o.digest,
      })),
    };
  },
  suix_getDynamicFieldObject: (c, [parentId, name]) => {
    const n = name as { type: string; value: unknown };
    if (normalizeStructTag(n.type) !== normalizeStructTag("0x1::string::String")) throw new RpcError(-32602, "devnet tables are keyed by 0x1::string::String");
    const id = deriveDynamicFieldID(normalizeSuiAddress(String(parentId)), "0x1::string::String", bcs.string().serialize(String(n.value)).toBytes());
    const r = objectResponse(c, id, { showContent: true, showBcs: true }) as { error?: unknown };
    return r.error ? { error: { code: "dynamicFieldNotFound", parent_object_id: parentId } } : r;
  },

  sui_getNormalizedMoveFunction: (c, [pkg, module, fn]) => {
    const p = normalizeSuiAddress(String(pkg));
    const framework = p === normalizeSuiAddress("0x2");
    // k3s_daas: any function of the compiled modules (accessors included), as a full node answers.
    const compiled = p === c.packageId ? normalizedMoveFunction(c.packageId, String(module), String(fn)) : null;
    if (compiled) return compiled;
    const f = framework ? frameworkFunction(p, String(module), String(fn)) : undefined;
    if (!f) throw new RpcError(-32602, `No function ${String(fn)} in module ${String(module)} of package ${p}`);
    return normalizedCompiledFunction(c.packageId, f);
  },

  sui_getTransactionBlock: (c, [digest, options]) => {
    const rec = c.txs.get(paramDigest(digest, "digest"));
    if (!rec) throw new RpcError(-32602, `Could not find the referenced transaction [TransactionDigest(${String(digest)})].`);
    return txResponse(rec, (options ?? {}) as Record<string, boolean>);
  },
  sui_multiGetTransactionBlocks: (c, [digests, options]) => {
    const list = (Array.isArray(digests) ? digests : invalidParams("digests: expected an array")).map((d, i) => paramDigest(d, `digests[${i}]`));
    return list.map((d) => METHODS.sui_getTransactionBlock!(c, [d, options]));
  },
  suix_queryTransactionBlocks: (c, [query, cursor, limit, descending]) => {
    const q = (query ?? {}) as { filter?: Record<string, unknown>; options?: Record<string, boolean> };
    let recs = c.txOrder.map((d) => c.txs.get(d)!);
    const f = q.filter;
    if (f && "FromAddress" in f) recs = recs.filter((r) => r.outcome.sender === normalizeSuiAddress(String(f.FromAddress)));
    else if (f && "MoveFunction" in f) {
      const m = f.MoveFunction as { package: string; module?: string | null; function?: string | null };
      recs = recs.filter((r) => r.moveCalls.some((mc) => mc.package === normalizeSuiAddress(m.package) && (!m.module || mc.module === m.module) && (!m.function || mc.function === m.function)));
    } else if (f) throw new RpcError(-32602, "Transaction filter not supported by the devnet");
    if (descending) recs = recs.reverse();
    const p = page(recs, cursor, limit, (r) => r.digest);
    return { ...p, data: p.data.map((r) => txResponse(r, q.options ?? {})) };
  },
  suix_queryEvents: (c, [query, cursor, limit, descending]) => {
    let evs = c.events.filter((e) => eventMatches(e, query as Record<string, unknown>));
    if (descending) evs = [...evs].reverse();
    const key = (e: Record<string, unknown>) => JSON.stringify(e.id);
    const p = page(evs, cursor ? JSON.stringify({ txDigest: (cursor as { txDigest: string }).txDigest, eventSeq: String((cursor as { eventSeq: string }).eventSeq) }) : null, limit, key);
    return { data: p.data, hasNextPage: p.hasNextPage, nextCursor: p.data.length ? p.data[p.data.length - 1]!.id : (cursor ?? null) };
  },

  sui_executeTransactionBlock: async (c, [txB64, sigs, options]) => {
    const bytes = fromBase64(String(txB64));
    const signatures = Array.isArray(sigs) ? (sigs as string[]) : [String(sigs)];
    const rec = await c.execute(bytes, signatures).catch(rejected);
    return txResponse(rec, (options ?? {}) as Record<string, boolean>);
  },
  sui_dryRunTransactionBlock: (c, [txB64]) => {
    try {
      return dryRunResponse(c, c.dryRun(fromBase64(String(txB64))), String(txB64));
    } catch (e) {
      return rejected(e);
    }
  },
  sui_devInspectTransactionBlock: () => {
    throw new RpcError(-32601, "sui_devInspectTransactionBlock is not supported by the devnet; use sui_dryRunTransactionBlock");
  },
};

