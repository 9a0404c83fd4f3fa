// What a full node does for SimulateTransaction before it runs anything: SuiGrpcClient sends a
// transaction whose object inputs may be bare ids, with no gas payment, price or budget, and
// expects the node to resolve inputs (owned ref or shared with its mutability), pick gas coins
// and estimate a budget (Sui's rule: computation + storage - rebate, at least computation, plus
// a safe overhead of 1,000 x the gas price). The result is real TransactionData BCS.
import { bcs } from "@mysten/sui/bcs";
import { GrpcTypes } from "@mysten/sui/grpc";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import { SUI_COIN_TYPE, type StoredObject } from "../objects.js";
import { K3S_FUNCTIONS, K3S_READ_FUNCTIONS } from "../signatures.js";
import { frameworkFunction } from "../framework.js";
import { MAX_GAS_BUDGET } from "../gas.js";
import type { Chain } from "../state.js";
import type { ExecOutcome } from "../execute.js";
import { GrpcError, GrpcStatusCode } from "./wire.js";
import type { ProtoTransaction } from "./convert.js";

const { Input_InputKind: InputKind, Argument_ArgumentKind: ArgKind } = GrpcTypes;
const GAS_SAFE_OVERHEAD = 1000n;
const MAX_GAS_PAYMENT_OBJECTS = 256;
const ZERO = normalizeSuiAddress("0x0");

type ProtoInput = NonNullable<ProtoTransaction["kind"]>["data"] extends infer D ? D extends { programmableTransaction: { inputs: (infer I)[] } } ? I : never : never;
type ProtoCommand = NonNullable<ProtoTransaction["kind"]>["data"] extends infer D ? D extends { programmableTransaction: { commands: (infer C)[] } } ? C : never : never;
type ProtoArg = { kind?: number; input?: number; result?: number; subresult?: number };

const invalid = (m: string) => new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, m);

function bcsArg(a: ProtoArg | undefined) {
  if (!a) throw invalid("a command argument is missing");
  switch (a.kind) {
    case ArgKind.GAS: return { GasCoin: true };
    case ArgKind.INPUT: return { Input: a.input ?? 0 };
    case ArgKind.RESULT: return a.subresult === undefined ? { Result: a.result ?? 0 } : { NestedResult: [a.result ?? 0, a.subresult] };
    default: throw invalid(`argument kind ${a.kind} is not known`);
  }
}

function bcsCommand(c: ProtoCommand) {
  const cmd = c.command;
  switch (cmd.oneofKind) {
    case "moveCall": {
      const m = cmd.moveCall;
      return { MoveCall: { package: m.package!, module: m.module!, function: m.function!, typeArguments: m.typeArguments, arguments: m.arguments.map(bcsArg) } };
    }
    case "transferObjects": return { TransferObjects: { objects: cmd.transferObjects.objects.map(bcsArg), address: bcsArg(cmd.transferObjects.address) } };
    case "splitCoins": return { SplitCoins: { coin: bcsArg(cmd.splitCoins.coin), amounts: cmd.splitCoins.amounts.map(bcsArg) } };
    case "mergeCoins": return { MergeCoins: { destination: bcsArg(cmd.mergeCoins.coin), sources: cmd.mergeCoins.coinsToMerge.map(bcsArg) } };
    case "makeMoveVector": return { MakeMoveVec: { type: cmd.makeMoveVector.elementType ?? null, elements: cmd.makeMoveVector.elements.map(bcsArg) } };
    default: throw invalid(`command ${cmd.oneofKind ?? "(none)"} is not supported by the devnet`);
  }
}

/** Whether input `index` is used by value or by &mut anywhere (then a shared input is mutable). */
function usedMutably(commands: ProtoCommand[], index: number): boolean {
  const isIt = (a: ProtoArg | undefined) => a?.kind === ArgKind.INPUT && a.input === index;
  for (const c of commands) {
    const cmd = c.command;
    if (cmd.oneofKind === "moveCall") {
      const m = cmd.moveCall;
      const pkg = normalizeSuiAddress(m.package ?? "0x0");
      if (pkg === normalizeSuiAddress("0x2")) {
        // A framework function: its parameter types from the framework source; & is read-only.
        const f = frameworkFunction(pkg, m.module ?? "", m.function ?? "");
        m.arguments.forEach((a, k) => {
          if (!isIt(a)) return;
          const t = f?.parameters[k];
          if (!t || typeof t !== "object" || !("Reference" in t)) throw Object.assign(new Error("mutable"), { mutable: true });
        });
        continue;
      }
      const sig = [...K3S_FUNCTIONS, ...K3S_READ_FUNCTIONS].find((f) => f.module === m.module && f.name === m.function);
      m.arguments.forEach((a, k) => {
        if (!isIt(a)) return;
        const p = sig?.params[k];
        if (!p || p.kind !== "object" || p.ref !== "imm") throw Object.assign(new Error("mutable"), { mutable: true });
      });
    } else if (cmd.oneofKind === "splitCoins" && isIt(cmd.splitCoins.coin)) return true;
    else if (cmd.oneofKind === "mergeCoins" && (isIt(cmd.mergeCoins.coin) || cmd.mergeCoins.coinsToMerge.some(isIt))) return true;
    else if (cmd.oneofKind === "transferObjects" && cmd.transferObjects.objects.some(isIt)) return true;
  }
  return false;
}

function isMutable(commands: ProtoCommand[], index: number): boolean {
  try {
    return usedMutably(commands, index);
  } catch (e) {
    if ((e as { mutable?: boolean }).mutable) return true;
    throw e;
  }
}

function resolveInput(chain: Chain, input: ProtoInput, index: number, commands: ProtoCommand[]) {
  if (input.kind === InputKind.PURE) return { Pure: { bytes: input.pure ?? new Uint8Array() } };
  if (input.literal) throw invalid(`input ${index} is an unresolved literal; encode pure values as BCS`);
  if (input.kind === InputKind.FUNDS_WITHDRAWAL) throw invalid(`input ${index}: the devnet has no address balances, so funds withdrawals are not supported`);
  const id = normalizeSuiAddress(input.objectId ?? "");
  if (!input.objectId) throw invalid(`input ${index} has no object_id`);
  const obj = chain.objects.get(id);
  if (input.kind === InputKind.SHARED) {
    if (input.version === undefined) throw invalid(`shared input ${index} (${id}) has no initial shared version`);
    return { Object: { SharedObject: { objectId: id, initialSharedVersion: input.version, mutable: input.mutable ?? isMutable(commands, index) } } };
  }
  if (input.kind === InputKind.IMMUTABLE_OR_OWNED || input.kind === InputKind.RECEIVING) {
    if (input.version === undefined || !input.digest) {
      if (!obj) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `input ${index}: object ${id} not found`);
    }
    const ref = { objectId: id, version: input.version ?? obj!.version, digest: input.digest ?? obj!.digest };
    return input.kind === InputKind.RECEIVING ? { Object: { Receiving: ref } } : { Object: { ImmOrOwnedObject: ref } };
  }
  // Unresolved: only an id (maybe a version/digest); the node decides what kind of input it is.
  if (!obj) throw new GrpcError(GrpcStatusCode.NOT_FOUND, chain.deletedIds.has(id) ? `input ${index}: object ${id} has been deleted` : `input ${index}: object ${id} not found`);
  if ("Shared" in obj.owner) {
    return { Object: { SharedObject: { objectId: id, initialSharedVersion: obj.owner.Shared.initialSharedVersion, mutable: input.mutable ?? isMutable(commands, index) } } };
  }
  return { Object: { ImmOrOwnedObject: { objectId: id, version: input.version ?? obj.version, digest: input.digest ?? obj.digest } } };
}

function expiration(tx: ProtoTransaction) {
  const K = GrpcTypes.TransactionExpiration_TransactionExpirationKind;
  const e = tx.expiration;
  if (!e || e.kind === K.NONE || e.kind === K.TRANSACTION_EXPIRATION_KIND_UNKNOWN) return { None: true };
  if (e.kind === K.EPOCH) return { Epoch: String(e.epoch ?? 0n) };
  if (e.kind === K.VALID_DURING) {
    return { ValidDuring: {
      minEpoch: e.minEpoch?.toString() ?? null, maxEpoch: e.epoch?.toString() ?? null,
      minTimestamp: e.minTimestamp ? String(e.minTimestamp.seconds * 1000n + BigInt(Math.floor(e.minTimestamp.nanos / 1e6))) : null,
      maxTimestamp: e.maxTimestamp ? String(e.maxTimestamp.seconds * 1000n + BigInt(Math.floor(e.maxTimestamp.nanos / 1e6))) : null,
      chain: e.chain ?? "", nonce: e.nonce ?? 0,
    } };
  }
  throw invalid(`transaction expiration kind ${e.kind} is not supported by the devnet`);
}

export interface Resolved {
  bytes: Uint8Array;
  outcome: ExecOutcome;
}

/** Coins of `owner` that can pay gas, largest first, skipping the transaction's own inputs. */
function gasCandidates(chain: Chain, owner: string, exclude: Set<string>): StoredObject[] {
  return [...chain.objects.values()]
    .filter((o) => o.type === SUI_COIN_TYPE && "AddressOwner" in o.owner && o.owner.AddressOwner === owner && !exclude.has(o.id))
    .sort((a, b) => ((b.fields.balance as bigint) > (a.fields.balance as bigint) ? 1 : -1))
    .slice(0, MAX_GAS_PAYMENT_OBJECTS);
}

/**
 * Resolve `tx` and dry-run it. `doGasSelection` fills an empty gas payment from the gas owner's
 * coins; a missing budget is estimated from a first dry run.
 */
export function resolveAndSimulate(chain: Chain, tx: ProtoTransaction, opts: { doGasSelection: boolean; checks: boolean }): Resolved {
  if (tx.bcs?.value?.length && !tx.kind) {
    return { bytes: tx.bcs.value, outcome: chain.dryRun(tx.bcs.value) };
  }
  const data = tx.kind?.data;
  if (data?.oneofKind !== "programmableTransaction") throw invalid("only programmable transactions are supported by the devnet");
  const { inputs, commands } = data.programmableTransaction;
  const sender = normalizeSuiAddress(tx.sender ?? ZERO);
  const resolvedInputs = inputs.map((i, k) => resolveInput(chain, i, k, commands));
  const bcsCommands = commands.map(bcsCommand);
  const gasOwner = normalizeSuiAddress(tx.gasPayment?.owner ?? sender);
  const price = tx.gasPayment?.price ?? chain.referenceGasPrice;
  let payment = (tx.gasPayment?.objects ?? []).map((r) => ({ objectId: normalizeSuiAddress(r.objectId!), version: String(r.version), digest: r.digest! }));
  const exclude = new Set(resolvedInputs.flatMap((i) => ("Object" in i && i.Object && "ImmOrOwnedObject" in i.Object ? [i.Object.ImmOrOwnedObject!.objectId] : [])));
  const candidates = opts.doGasSelection && payment.length === 0 ? gasCandidates(chain, gasOwner, exclude) : [];
  const refsOf = (coins: StoredObject[]) => coins.map((c) => ({ objectId: c.id, version: String(c.version), digest: c.digest }));
  const build = (budget: bigint, pay: typeof payment) => bcs.TransactionData.serialize({
    V1: {
      kind: { ProgrammableTransaction: { inputs: resolvedInputs as never, commands: bcsCommands as never } },
      sender,
      gasData: { payment: pay, owner: gasOwner, price: String(price), budget: String(budget) },
      expiration: expiration(tx) as never,
    },
  }).toBytes();

  let budget = tx.gasPayment?.budget;
  if (budget === undefined) {
    // Estimate with the dry-run gas coin, as a node does: a real coin would have the budget
    // reserved from it, and a transaction that splits from gas would look short of funds.
    const est = chain.dryRun(build(MAX_GAS_BUDGET, []));
    if (!est.success) return { bytes: build(MAX_GAS_BUDGET, payment), outcome: est };
    const g = est.gasUsed;
    const overhead = GAS_SAFE_OVERHEAD * price;
    const withOverhead = g.computationCost + overhead;
    const net = withOverhead + g.storageCost - g.storageRebate;
    budget = net > withOverhead ? net : withOverhead;
  }
  if (opts.doGasSelection && payment.length === 0) {
    // Like the SDK's own resolver, pay with every coin (largest first, at most 256): they are
    // merged into one, so a transaction that splits from gas sees the whole balance.
    const total = candidates.reduce((s, c) => s + (c.fields.balance as bigint), 0n);
    if (total < budget) {
      throw new GrpcError(GrpcStatusCode.FAILED_PRECONDITION,
        `No valid gas coins found for the transaction: ${gasOwner} holds ${total} MIST in ${candidates.length} coin(s), the budget needs ${budget} MIST`);
    }
    payment = refsOf(candidates);
  }
  const bytes = build(budget, payment);
  return { bytes, outcome: chain.dryRun(bytes) };
}
