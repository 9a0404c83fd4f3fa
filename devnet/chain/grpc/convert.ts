// The chain's records in Sui's gRPC (sui.rpc.v2) message shapes. Effects, transactions and
// signatures are decoded from the BCS the chain stores (the same bytes a client signs and
// hashes), so the gRPC view cannot drift from what JSON-RPC or a client's own decoding sees.
import { bcs } from "@mysten/sui/bcs";
import { GrpcTypes } from "@mysten/sui/grpc";
import { fromBase64, normalizeSuiAddress, normalizeStructTag } from "@mysten/sui/utils";
import { SUI_TYPE, contentsBcs, digestOf, objectJson, taggedJson, type Owner, type PackageFields, type StoredObject } from "../objects.js";
import type { ExecOutcome } from "../execute.js";
import type { Chain, CheckpointRecord, TxRecord } from "../state.js";

type G = typeof GrpcTypes;
type Msg<K extends keyof G> = G[K] extends { create(): infer T } ? T : never;
export type ProtoObject = Msg<"Object">;
export type ProtoTransaction = Msg<"Transaction">;
export type ProtoExecutedTransaction = Msg<"ExecutedTransaction">;
export type ProtoEffects = Msg<"TransactionEffects">;
export type ProtoCheckpoint = Msg<"Checkpoint">;
export type ProtoEpoch = Msg<"Epoch">;

const { Owner_OwnerKind: OwnerKind, Input_InputKind: InputKind, Argument_ArgumentKind: ArgKind } = GrpcTypes;
const enc = new TextEncoder();

export function timestamp(ms: number) {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

export function ownerProto(owner: Owner) {
  if ("AddressOwner" in owner) return { kind: OwnerKind.ADDRESS, address: owner.AddressOwner };
  if ("ObjectOwner" in owner) return { kind: OwnerKind.OBJECT, address: owner.ObjectOwner };
  if ("Shared" in owner) return { kind: OwnerKind.SHARED, version: owner.Shared.initialSharedVersion };
  return { kind: OwnerKind.IMMUTABLE };
}

type BcsOwner = ReturnType<typeof bcs.Owner.parse>;
function bcsOwnerProto(o: BcsOwner) {
  if (o.AddressOwner) return { kind: OwnerKind.ADDRESS, address: normalizeSuiAddress(o.AddressOwner) };
  if (o.ObjectOwner) return { kind: OwnerKind.OBJECT, address: normalizeSuiAddress(o.ObjectOwner) };
  if (o.Shared) return { kind: OwnerKind.SHARED, version: BigInt(o.Shared.initialSharedVersion) };
  return { kind: OwnerKind.IMMUTABLE };
}

type ProtoValue = NonNullable<ProtoObject["json"]>;

/** google.protobuf.Value of a JSON-like value (bigints as strings, as Sui's JSON renders u64). */
export function jsonValue(v: unknown): ProtoValue {
  return jsonValueAny(v) as ProtoValue;
}
function jsonValueAny(v: unknown): any {
  if (v === null || v === undefined) return { kind: { oneofKind: "nullValue", nullValue: 0 } };
  if (typeof v === "bigint") return { kind: { oneofKind: "stringValue", stringValue: v.toString() } };
  if (typeof v === "string") return { kind: { oneofKind: "stringValue", stringValue: v } };
  if (typeof v === "number") return { kind: { oneofKind: "numberValue", numberValue: v } };
  if (typeof v === "boolean") return { kind: { oneofKind: "boolValue", boolValue: v } };
  if (Array.isArray(v) || v instanceof Uint8Array) return { kind: { oneofKind: "listValue", listValue: { values: Array.from(v as ArrayLike<unknown>, jsonValueAny) } } };
  return { kind: { oneofKind: "structValue", structValue: { fields: Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, jsonValueAny(x)])) } } };
}

/**
 * The `json` of a Move value (an event's, a command output's) as a node renders it, from its BCS
 * and type tag (objects.ts `moveJson`); unset when the devnet has no layout for the type, as a
 * node leaves it unset when it cannot render one.
 */
export function valueJson(typeTag: string, bytes: Uint8Array): ProtoValue | undefined {
  const v = taggedJson(typeTag, bytes);
  return v === undefined ? undefined : jsonValue(v);
}

/** An object as the ledger and state services return it, before the read mask. */
/** sui.rpc.v2.Package of the published package object (its compiled modules, origins, linkage). */
export function packageProto(o: StoredObject) {
  const p = o.fields as unknown as PackageFields;
  return {
    storageId: o.id, originalId: o.id, version: o.version,
    modules: p.modules.map((m) => ({ name: m.name, contents: m.bytes, datatypes: [], functions: [] })),
    typeOrigins: p.typeOrigins.map((t) => ({ moduleName: t.moduleName, datatypeName: t.datatypeName, packageId: t.package })),
    linkage: p.linkage.map((l) => ({ originalId: l.originalId, upgradedId: l.upgradedId, upgradedVersion: BigInt(l.upgradedVersion) })),
  };
}

export function objectProto(o: StoredObject): ProtoObject {
  const isPkg = o.layout === "package";
  const contents = isPkg ? undefined : contentsBcs(o);
  return GrpcTypes.Object.create({
    objectId: o.id,
    version: o.version,
    digest: o.digest,
    owner: ownerProto(o.owner),
    objectType: isPkg ? "package" : o.type,
    hasPublicTransfer: o.hasPublicTransfer,
    ...(isPkg
      ? { package: packageProto(o) }
      : { contents: { name: o.type, value: contents! }, json: jsonValue(objectJson(o, contents)) }),
    previousTransaction: o.previousTransaction,
    storageRebate: o.storageRebate,
    ...(o.layout === "Coin" ? { balance: o.fields.balance as bigint } : {}),
  });
}

// ---- transactions ---------------------------------------------------------------------------

type TxData = ReturnType<typeof bcs.TransactionData.parse>;
type BcsArg = { GasCoin?: unknown; Input?: number; Result?: number; NestedResult?: [number, number] };

function argProto(a: BcsArg) {
  if (a.GasCoin !== undefined && a.GasCoin !== null) return { kind: ArgKind.GAS };
  if (a.Input !== undefined && a.Input !== null) return { kind: ArgKind.INPUT, input: a.Input };
  if (a.Result !== undefined && a.Result !== null) return { kind: ArgKind.RESULT, result: a.Result };
  return { kind: ArgKind.RESULT, result: a.NestedResult![0], subresult: a.NestedResult![1] };
}

function commandProto(c: Record<string, any>) {
  if (c.MoveCall) {
    const m = c.MoveCall;
    return { command: { oneofKind: "moveCall" as const, moveCall: { package: normalizeSuiAddress(m.package), module: m.module, function: m.function, typeArguments: m.typeArguments.map(String), arguments: m.arguments.map(argProto) } } };
  }
  if (c.TransferObjects) return { command: { oneofKind: "transferObjects" as const, transferObjects: { objects: c.TransferObjects.objects.map(argProto), address: argProto(c.TransferObjects.address) } } };
  if (c.SplitCoins) return { command: { oneofKind: "splitCoins" as const, splitCoins: { coin: argProto(c.SplitCoins.coin), amounts: c.SplitCoins.amounts.map(argProto) } } };
  if (c.MergeCoins) return { command: { oneofKind: "mergeCoins" as const, mergeCoins: { coin: argProto(c.MergeCoins.destination), coinsToMerge: c.MergeCoins.sources.map(argProto) } } };
  if (c.MakeMoveVec) return { command: { oneofKind: "makeMoveVector" as const, makeMoveVector: { elementType: c.MakeMoveVec.type ?? undefined, elements: c.MakeMoveVec.elements.map(argProto) } } };
  if (c.Publish) return { command: { oneofKind: "publish" as const, publish: { modules: c.Publish.modules.map((m: string) => fromBase64(m)), dependencies: c.Publish.dependencies } } };
  return { command: { oneofKind: undefined } };
}

function inputProto(i: Record<string, any>) {
  if (i.Pure) return { kind: InputKind.PURE, pure: fromBase64(i.Pure.bytes) };
  const o = i.Object;
  if (o?.ImmOrOwnedObject) return { kind: InputKind.IMMUTABLE_OR_OWNED, objectId: o.ImmOrOwnedObject.objectId, version: BigInt(o.ImmOrOwnedObject.version), digest: o.ImmOrOwnedObject.digest };
  if (o?.SharedObject) return { kind: InputKind.SHARED, objectId: o.SharedObject.objectId, version: BigInt(o.SharedObject.initialSharedVersion), mutable: o.SharedObject.mutable };
  if (o?.Receiving) return { kind: InputKind.RECEIVING, objectId: o.Receiving.objectId, version: BigInt(o.Receiving.version), digest: o.Receiving.digest };
  return { kind: InputKind.INPUT_KIND_UNKNOWN };
}

function expirationProto(e: Record<string, any>) {
  const K = GrpcTypes.TransactionExpiration_TransactionExpirationKind;
  if (e?.Epoch !== undefined && e.Epoch !== null) return { kind: K.EPOCH, epoch: BigInt(e.Epoch) };
  if (e?.ValidDuring) {
    const v = e.ValidDuring;
    return {
      kind: K.VALID_DURING, minEpoch: v.minEpoch == null ? undefined : BigInt(v.minEpoch), epoch: v.maxEpoch == null ? undefined : BigInt(v.maxEpoch),
      minTimestamp: v.minTimestamp == null ? undefined : timestamp(Number(v.minTimestamp)), maxTimestamp: v.maxTimestamp == null ? undefined : timestamp(Number(v.maxTimestamp)),
      chain: v.chain, nonce: v.nonce,
    };
  }
  return { kind: K.NONE };
}

/** sui.rpc.v2.Transaction of BCS TransactionData bytes. */
export function transactionProto(bytes: Uint8Array, digest: string): ProtoTransaction {
  const data: TxData = bcs.TransactionData.parse(bytes);
  const v1 = data.V1!;
  const pt = v1.kind.ProgrammableTransaction;
  return GrpcTypes.Transaction.create({
    bcs: { name: "TransactionData", value: bytes },
    digest,
    version: 1,
    kind: pt
      ? { kind: GrpcTypes.TransactionKind_Kind.PROGRAMMABLE_TRANSACTION, data: { oneofKind: "programmableTransaction", programmableTransaction: { inputs: pt.inputs.map(inputProto), commands: pt.commands.map(commandProto) } } }
      : undefined,
    sender: normalizeSuiAddress(v1.sender),
    gasPayment: {
      objects: v1.gasData.payment.map((r) => ({ objectId: normalizeSuiAddress(r.objectId), version: BigInt(r.version), digest: r.digest })),
      owner: normalizeSuiAddress(v1.gasData.owner),
      price: BigInt(v1.gasData.price),
      budget: BigInt(v1.gasData.budget),
    },
    expiration: expirationProto(v1.expiration as Record<string, unknown>),
  });
}

/** sui.rpc.v2.UserSignature of a base64 serialized signature (flag || sig || pubkey). */
export function signatureProto(b64: string) {
  const bytes = fromBase64(b64);
  const scheme = bytes[0]!; // 0 ed25519, 1 secp256k1, 2 secp256r1
  const simple = scheme <= 2;
  const sigLen = 64;
  return {
    bcs: { name: "UserSignatureBytes", value: bytes },
    scheme,
    signature: simple
      ? { oneofKind: "simple" as const, simple: { scheme, signature: bytes.slice(1, 1 + sigLen), publicKey: bytes.slice(1 + sigLen) } }
      : { oneofKind: undefined },
  };
}

// ---- effects --------------------------------------------------------------------------------

const ExecKind = GrpcTypes.ExecutionError_ExecutionErrorKind;
const ArgErrKind = GrpcTypes.CommandArgumentError_CommandArgumentErrorKind;

/** "MoveAbort" -> MOVE_ABORT, looked up in the proto enum (unknown names map to 0). */
function enumOf(e: Record<string, unknown>, camel: string): number {
  const name = camel.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  const v = e[name];
  return typeof v === "number" ? v : 0;
}

function statusProto(status: Record<string, any>, description: string | null) {
  if (status.Success !== undefined && status.Success !== null) return { success: true };
  const f = status.Failure;
  const err = f.error as Record<string, any>;
  const kindName = Object.keys(err).find((k) => k !== "$kind" && err[k] !== undefined)!;
  const detail = err[kindName];
  let errorDetails: any = { oneofKind: undefined };
  if (kindName === "MoveAbort") {
    const [loc, code] = detail as [Record<string, any>, string | bigint];
    errorDetails = {
      oneofKind: "abort",
      abort: {
        abortCode: BigInt(code),
        location: {
          package: normalizeSuiAddress(loc.module.address), module: loc.module.name, function: Number(loc.function),
          instruction: Number(loc.instruction), functionName: loc.functionName ?? undefined,
        },
      },
    };
  } else if (kindName === "MovePrimitiveRuntimeError" && detail) {
    // An arithmetic error: where it happened, with no abort code (sui-rpc puts the location in `abort`).
    const loc = detail as Record<string, any>;
    errorDetails = {
      oneofKind: "abort",
      abort: {
        location: {
          package: normalizeSuiAddress(loc.module.address), module: loc.module.name, function: Number(loc.function),
          instruction: Number(loc.instruction), functionName: loc.functionName ?? undefined,
        },
      },
    };
  } else if (kindName === "CommandArgumentError") {
    const argKind = Object.keys(detail.kind).find((k) => k !== "$kind")!;
    errorDetails = { oneofKind: "commandArgumentError", commandArgumentError: { argument: Number(detail.argIdx), kind: enumOf(ArgErrKind, argKind) } };
  }
  return {
    success: false,
    error: {
      description: description ?? kindName,
      command: f.command == null ? undefined : BigInt(f.command),
      kind: enumOf(ExecKind, kindName),
      errorDetails,
    },
  };
}

export function effectsDigest(effectsBcs: Uint8Array): string {
  return digestOf(enc.encode("TransactionEffects::"), effectsBcs);
}

/** sui.rpc.v2.TransactionEffects decoded from the chain's BCS effects. */
export function effectsProto(o: ExecOutcome): ProtoEffects {
  const parsed = bcs.TransactionEffects.parse(o.effectsBcs);
  const v2 = parsed.V2!;
  const types = new Map<string, string>();
  for (const c of o.objectChanges) types.set(String(c.objectId), String(c.objectType));
  const S = GrpcTypes;
  const changed = v2.changedObjects.map(([id, ch]) => {
    const objectId = normalizeSuiAddress(id);
    const input = ch.inputState.Exist
      ? { inputState: S.ChangedObject_InputObjectState.EXISTS, inputVersion: BigInt(ch.inputState.Exist[0][0]), inputDigest: ch.inputState.Exist[0][1], inputOwner: bcsOwnerProto(ch.inputState.Exist[1]) }
      : { inputState: S.ChangedObject_InputObjectState.DOES_NOT_EXIST };
    const output = ch.outputState.ObjectWrite
      ? { outputState: S.ChangedObject_OutputObjectState.OBJECT_WRITE, outputVersion: BigInt(v2.lamportVersion), outputDigest: ch.outputState.ObjectWrite[0], outputOwner: bcsOwnerProto(ch.outputState.ObjectWrite[1]) }
      : ch.outputState.PackageWrite
        ? { outputState: S.ChangedObject_OutputObjectState.PACKAGE_WRITE, outputVersion: BigInt(ch.outputState.PackageWrite[0]), outputDigest: ch.outputState.PackageWrite[1] }
        : { outputState: S.ChangedObject_OutputObjectState.DOES_NOT_EXIST };
    const idOperation = ch.idOperation.Created ? S.ChangedObject_IdOperation.CREATED : ch.idOperation.Deleted ? S.ChangedObject_IdOperation.DELETED : S.ChangedObject_IdOperation.NONE;
    return { objectId, ...input, ...output, idOperation, objectType: types.get(objectId) };
  });
  return S.TransactionEffects.create({
    bcs: { name: "TransactionEffects", value: o.effectsBcs },
    digest: effectsDigest(o.effectsBcs),
    version: 2,
    status: statusProto(v2.status as Record<string, unknown>, o.errorText),
    epoch: BigInt(v2.executedEpoch),
    gasUsed: {
      computationCost: BigInt(v2.gasUsed.computationCost), storageCost: BigInt(v2.gasUsed.storageCost),
      storageRebate: BigInt(v2.gasUsed.storageRebate), nonRefundableStorageFee: BigInt(v2.gasUsed.nonRefundableStorageFee),
    },
    transactionDigest: v2.transactionDigest,
    gasObject: v2.gasObjectIndex == null ? undefined : changed[v2.gasObjectIndex],
    eventsDigest: v2.eventsDigest ?? undefined,
    dependencies: v2.dependencies,
    lamportVersion: BigInt(v2.lamportVersion),
    changedObjects: changed,
    unchangedConsensusObjects: v2.unchangedConsensusObjects.map(([id, k]) => ({
      kind: k.ReadOnlyRoot ? S.UnchangedConsensusObject_UnchangedConsensusObjectKind.READ_ONLY_ROOT : S.UnchangedConsensusObject_UnchangedConsensusObjectKind.UNCHANGED_CONSENSUS_OBJECT_KIND_UNKNOWN,
      objectId: normalizeSuiAddress(id),
      version: k.ReadOnlyRoot ? BigInt(k.ReadOnlyRoot[0]) : undefined,
      digest: k.ReadOnlyRoot ? k.ReadOnlyRoot[1] : undefined,
    })),
  });
}

/**
 * A transaction's events as a node renders them inside the transaction (sui-rpc-api
 * `render_event_to_proto`): what the event is, not where it is. Checkpoint, transaction digest
 * and the indexes are set only on an event delivered on its own (ListEvents), the enclosing
 * ExecutedTransaction already saying them here.
 */
function eventsProto(o: ExecOutcome) {
  if (!o.events.length) return undefined;
  return {
    digest: digestOf(...o.events.map((e) => e.bcs)),
    events: o.events.map((e) => ({
      packageId: e.packageId, module: e.transactionModule, sender: e.sender, eventType: e.type,
      contents: { name: e.type, value: e.bcs }, json: valueJson(e.type, e.bcs),
    })),
  };
}

function balanceChangesProto(o: ExecOutcome) {
  return o.balanceChanges.map((b) => ({
    address: normalizeSuiAddress(String((b.owner as { AddressOwner: string }).AddressOwner)),
    coinType: normalizeStructTag(SUI_TYPE),
    amount: String(b.amount),
  }));
}

/** An executed (or simulated) transaction, before the read mask. */
export function executedProto(p: {
  digest: string; txBytes: Uint8Array; signatures: string[]; outcome: ExecOutcome;
  checkpoint?: bigint; timestampMs?: number;
}): ProtoExecutedTransaction {
  return GrpcTypes.ExecutedTransaction.create({
    digest: p.digest,
    transaction: transactionProto(p.txBytes, p.digest),
    signatures: p.signatures.map(signatureProto),
    effects: effectsProto(p.outcome),
    events: eventsProto(p.outcome),
    checkpoint: p.checkpoint,
    timestamp: p.timestampMs === undefined ? undefined : timestamp(p.timestampMs),
    balanceChanges: balanceChangesProto(p.outcome),
  });
}

/** A committed transaction: its signed bytes come from the record's SenderSignedData. */
export function recordProto(rec: TxRecord): ProtoExecutedTransaction {
  const signed = bcs.SenderSignedData.parse(fromBase64(rec.rawTransaction!))[0]!;
  const txBytes = bcs.TransactionData.serialize(signed.intentMessage.value).toBytes();
  return executedProto({ digest: rec.digest, txBytes, signatures: signed.txSignatures, outcome: rec.outcome, checkpoint: rec.checkpoint, timestampMs: rec.timestampMs });
}

/** Full checkpoint; memoised per sequence number since committed checkpoints never change. */
const checkpointCache = new WeakMap<CheckpointRecord, ProtoCheckpoint>();
export function checkpointProto(chain: Chain, cp: CheckpointRecord): ProtoCheckpoint {
  const hit = checkpointCache.get(cp);
  if (hit) return hit;
  const txs = cp.transactions.map((d) => chain.txs.get(d)).filter((r): r is TxRecord => !!r);
  const executed = txs.map(recordProto);
  const out = GrpcTypes.Checkpoint.create({
    sequenceNumber: cp.sequenceNumber,
    digest: cp.digest,
    summary: {
      digest: cp.digest, epoch: cp.epoch, sequenceNumber: cp.sequenceNumber,
      totalNetworkTransactions: cp.networkTotalTransactions, previousDigest: cp.previousDigest ?? undefined,
      epochRollingGasCostSummary: { computationCost: 0n, storageCost: 0n, storageRebate: 0n, nonRefundableStorageFee: 0n },
      timestamp: timestamp(cp.timestampMs),
    },
    contents: {
      version: 1,
      transactions: executed.map((t) => ({ transaction: t.digest, effects: t.effects?.digest, signatures: t.signatures, addressAliasesVersions: [] })),
    },
    transactions: executed,
  });
  checkpointCache.set(cp, out);
  return out;
}
