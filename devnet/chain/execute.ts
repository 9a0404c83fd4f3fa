// Executes one programmable transaction (already signature-checked) against a read-only view
// of the chain and returns what changed, without touching the chain: the caller commits it
// (execute) or throws it away (dry run). Follows Sui's rules where a client could notice:
// input versions/ownership checked before execution, a gas budget reserved from the gas coin,
// all-or-nothing commands (a failure keeps only the gas charge), owned inputs always bumped to
// the lamport version, shared objects versioned at execution.
import { bcs } from "@mysten/sui/bcs";
import { deriveDynamicFieldID, fromBase58, fromHex, normalizeStructTag, normalizeSuiAddress, toBase64 } from "@mysten/sui/utils";
import { TransactionDataBuilder } from "@mysten/sui/transactions";
import { blake2b } from "@noble/hashes/blake2.js";
import { toHex } from "@mysten/bcs";
import {
  SUI_COIN_TYPE, STRING_TYPE, computeObjectDigest, contentsBcs, digestOf, encodeEvent, ownerBcs, ownerJson,
  type Owner, type StoredObject,
} from "./objects.js";
import {
  DRY_RUN_GAS_COIN_VALUE, MAX_GAS_BUDGET, computationCost, minGasBudget, rebateOf, storageCostOf,
} from "./gas.js";
import { K3S_FUNCTIONS, K3S_READ_FUNCTIONS, type FunctionSig, type Param } from "./signatures.js";
import * as model from "./model.js";
import { compiledFunction, type NormalizedType } from "./compiled.js";
import { typeOfTag, typeTagOf, valueBcs } from "./objects.js";
import { FW, STD, abilitiesOf, frameworkAbortCode, frameworkFunction, frameworkFunctionIndex, frameworkModule, frameworkSource } from "./framework.js";

export interface ChainView {
  get(id: string): StoredObject | undefined;
  wasDeleted(id: string): boolean;
  epoch: bigint;
  packageId: string;
  chainId: string;
  referenceGasPrice: bigint;
  timestampMs: number;
}

/** The transaction was rejected before execution (no effects, nothing charged). */
export class TxRejected extends Error {
  constructor(message: string, readonly code = -32002) {
    super(message);
  }
}

/**
 * A call to a function that exists on a real network (a public function of the Sui framework or
 * of k3s_daas) but that the devnet has no model of. Not FunctionNotFound, which a node says only
 * of a function that does not exist: the devnet says plainly that it is its own limit.
 */
export class NotModelled extends TxRejected {
  constructor(readonly target: string, detail?: string) {
    super(`${target} exists, but the k3s-daas devnet does not model it${detail ? ` (${detail})` : ""}: the devnet executes only the k3s_daas package's ` +
      `functions and its read accessors, and from the framework ${MODELLED_FRAMEWORK_FUNCTIONS.map((f) => `0x2::${f}`).join(", ")}`);
  }
}

/** What one command produced, as a simulation reports it (sui.rpc.v2 CommandResult). */
export interface CommandResultOut {
  returnValues: { type: string; bcs: Uint8Array }[];
  /** Values passed by &mut, as they are after the command. */
  mutatedByRef: { argument: { GasCoin?: true | null; Input?: number; Result?: number; NestedResult?: [number, number] }; type: string; bcs: Uint8Array }[];
}

export interface EventOut {
  packageId: string; transactionModule: string; sender: string; type: string;
  parsedJson: Record<string, unknown>; bcs: Uint8Array;
}

export interface ExecOutcome {
  digest: string;
  success: boolean;
  errorText: string | null;
  abortError: { module_id: string; function: string; error_code: number; line: null } | null;
  effectsBcs: Uint8Array;
  effectsJson: Record<string, unknown>;
  events: EventOut[];
  objectChanges: Record<string, unknown>[];
  balanceChanges: Record<string, unknown>[];
  /** Objects to store (new versions) and ids to mark deleted. */
  writes: StoredObject[];
  deletes: string[];
  sender: string;
  gasUsed: { computationCost: bigint; storageCost: bigint; storageRebate: bigint; nonRefundableStorageFee: bigint };
  /** Per command, what it returned and what it mutated by reference; empty when execution failed. */
  commandResults: CommandResultOut[];
}

type TxData = ReturnType<typeof bcs.TransactionData.parse>;
type Arg = { GasCoin?: true | null; Input?: number; Result?: number; NestedResult?: [number, number] };
type Val = { t: "obj"; id: string } | { t: "pure"; bytes: Uint8Array } | { t: "addr"; v: string } | { t: "u64"; v: bigint }
  /** A result slot whose value (a Balance) was moved into a later command. */
  | { t: "moved" }
  /** A value a read accessor returned: its compiled type and its BCS. */
  | { t: "value"; type: NormalizedType; bytes: Uint8Array };

interface Working {
  obj: StoredObject;
  input: { version: bigint; digest: string; owner: Owner; storageRebate: bigint; previousTransaction: string } | null;
  created: boolean;
  deleted: boolean;
  ownerSet: boolean;
  readOnlyShared: boolean;
  immutableInput: boolean;
  /** Coin balance before the transaction (for balance changes). */
  inputBalance?: bigint;
}

/** A failed command: becomes ExecutionStatus::Failure in the effects. */
class ExecFailure extends Error {
  constructor(readonly error: Record<string, unknown>, readonly text: string, readonly command: number | null,
    readonly abort: ExecOutcome["abortError"] = null) {
    super(text);
  }
}

const DELETED_DIGEST = "7gyGAp71YXQRoxmFBaHxofQXAipvgHyBKPyxmdSJxyvz"; // base58 of 32 x 0x63, Sui's OBJECT_DIGEST_DELETED
const ZERO_ADDRESS = normalizeSuiAddress("0x0");
const ZERO_DIGEST = "11111111111111111111111111111111";
const CLOCK_ID = normalizeSuiAddress("0x6");

const clone = <T>(v: T): T => structuredClone(v);

export function parseTransactionBytes(bytes: Uint8Array): TxData {
  try {
    return bcs.TransactionData.parse(bytes);
  } catch (e) {
    throw new TxRejected(`Failed to deserialize transaction data: ${(e as Error).message}`, -32602);
  }
}

export function executeTransaction(view: ChainView, txBytes: Uint8Array, opts: { dryRun: boolean }): ExecOutcome {
  const data = parseTransactionBytes(txBytes);
  const v1 = data.V1;
  if (!v1) throw new TxRejected("Unsupported transaction data version", -32602);
  const pt = v1.kind.ProgrammableTransaction;
  if (!pt) throw new TxRejected("Only programmable transactions are supported by the devnet", -32602);
  const digest = TransactionDataBuilder.getDigestFromBytes(txBytes);
  const sender = normalizeSuiAddress(v1.sender);
  const gasOwner = normalizeSuiAddress(v1.gasData.owner);
  const price = BigInt(v1.gasData.price);
  const budget = BigInt(v1.gasData.budget);

  // --- checks before execution (rejections) ---
  checkExpiration(view, v1.expiration as Record<string, unknown>);
  if (price < view.referenceGasPrice) {
    throw new TxRejected(`Gas price ${price} under reference gas price (RGP) ${view.referenceGasPrice}`);
  }
  if (budget > MAX_GAS_BUDGET) throw new TxRejected(`Gas budget ${budget} is above the maximum ${MAX_GAS_BUDGET}`);
  if (budget < minGasBudget(price)) {
    throw new TxRejected(`Gas budget ${budget} is lower than the minimum ${minGasBudget(price)} (1000 x gas price)`);
  }
  const payment = v1.gasData.payment;
  const mockGas = payment.length === 0;
  if (mockGas && !opts.dryRun) {
    throw new TxRejected("Gas payment is empty: the devnet has no address balances; pay gas with a Coin<SUI>");
  }

  const problems: string[] = [];
  const seen = new Set<string>();
  const checkRef = (ref: { objectId: string; version: string | number; digest: string }, what: string): StoredObject | null => {
    const id = normalizeSuiAddress(ref.objectId);
    if (seen.has(id)) { problems.push(`Object ID ${id} is used twice in the transaction inputs`); return null; }
    seen.add(id);
    const obj = view.get(id);
    if (!obj) {
      problems.push(view.wasDeleted(id) ? `Object ID ${id} has been deleted` : `Could not find the referenced object ${id} (${what})`);
      return null;
    }
    if (obj.version !== BigInt(ref.version) || obj.digest !== ref.digest) {
      problems.push(`Object ID ${id} Version 0x${BigInt(ref.version).toString(16)} Digest ${ref.digest} is not available for consumption, current version: 0x${obj.version.toString(16)}`);
      return null;
    }
    return obj;
  };

  const gasObjs: StoredObject[] = [];
  for (const ref of payment) {
    const o = checkRef(ref, "gas");
    if (!o) continue;
    if (o.type !== SUI_COIN_TYPE) problems.push(`Gas object ${o.id} is not a Coin<SUI>`);
    else if (!("AddressOwner" in o.owner) || o.owner.AddressOwner !== gasOwner) problems.push(`Gas object ${o.id} is not owned by the gas owner ${gasOwner}`);
    else gasObjs.push(o);
  }

  const inputObjs: (StoredObject | null)[] = [];
  const sharedMutability = new Map<string, boolean>();
  for (const input of pt.inputs) {
    if (input.Pure) { inputObjs.push(null); continue; }
    const o = input.Object;
    if (!o) { problems.push(`Unsupported input kind ${input.$kind} on the devnet`); inputObjs.push(null); continue; }
    if (o.ImmOrOwnedObject) {
      const obj = checkRef(o.ImmOrOwnedObject, "input");
      if (obj) {
        if ("AddressOwner" in obj.owner && obj.owner.AddressOwner !== sender) problems.push(`Object ${obj.id} is owned by ${obj.owner.AddressOwner}, not the sender ${sender}`);
        else if ("Shared" in obj.owner) problems.push(`Object ${obj.id} is shared and must be passed as a shared object`);
        else if ("ObjectOwner" in obj.owner) problems.push(`Object ${obj.id} is owned by an object and cannot be an input`);
      }
      inputObjs.push(obj);
    } else if (o.SharedObject) {
      const id = normalizeSuiAddress(o.SharedObject.objectId);
      const obj = view.get(id);
      if (!obj) problems.push(view.wasDeleted(id) ? `Shared object ${id} has been deleted` : `Could not find the referenced object ${id}`);
      else if (!("Shared" in obj.owner)) problems.push(`Object ${id} is not a shared object`);
      else if (obj.owner.Shared.initialSharedVersion !== BigInt(o.SharedObject.initialSharedVersion)) problems.push(`Shared object ${id} has initial shared version ${obj.owner.Shared.initialSharedVersion}, not ${o.SharedObject.initialSharedVersion}`);
      if (seen.has(id)) problems.push(`Object ID ${id} is used twice in the transaction inputs`);
      seen.add(id);
      // Sui: the Clock is only ever read (ImmutableParameterExpectedError).
      if (id === CLOCK_ID && o.SharedObject.mutable) problems.push(`Mutable parameter provided, immutable parameter expected: the Clock ${id} can only be passed by immutable reference`);
      sharedMutability.set(id, o.SharedObject.mutable);
      inputObjs.push(obj && "Shared" in obj.owner ? obj : null);
    } else {
      problems.push("Receiving inputs are not supported on the devnet");
      inputObjs.push(null);
    }
  }
  if (problems.length) {
    throw new TxRejected(`Transaction validator signing failed due to issues with transaction inputs, please review the errors and try again:\n- ${problems.join("\n- ")}`);
  }
  const gasTotal = mockGas ? DRY_RUN_GAS_COIN_VALUE : gasObjs.reduce((s, o) => s + (o.fields.balance as bigint), 0n);
  if (gasTotal < budget) {
    throw new TxRejected(`Balance of gas object ${gasObjs[0]?.id ?? ZERO_ADDRESS} is lower than the needed amount: ${budget}. Total gas balance ${gasTotal}`);
  }

  let lamport = 0n;
  for (const o of [...gasObjs, ...inputObjs]) if (o && o.version > lamport) lamport = o.version;
  lamport += 1n;

  const moveCalls = pt.commands.filter((c) => c.MoveCall).length;
  const compCost = computationCost(price, moveCalls, pt.commands.length);

  const attempt = (runCommands: boolean) => {
    const ws = new Workspace(view, digest, sender, lamport);
    // Gas: smash all payment coins into the first, then reserve the budget.
    let gasId = ZERO_ADDRESS;
    if (mockGas) {
      const mock: StoredObject = {
        id: ZERO_ADDRESS, version: 0n, digest: ZERO_DIGEST, owner: { AddressOwner: sender }, type: SUI_COIN_TYPE,
        layout: "Coin", fields: { id: ZERO_ADDRESS, balance: DRY_RUN_GAS_COIN_VALUE }, hasPublicTransfer: true,
        previousTransaction: ZERO_DIGEST, storageRebate: 0n,
      };
      ws.addMock(mock);
    } else {
      const [primary, ...rest] = gasObjs.map((o) => ws.loadInput(o, false));
      gasId = primary!.obj.id;
      for (const r of rest) {
        primary!.obj.fields.balance = (primary!.obj.fields.balance as bigint) + (r.obj.fields.balance as bigint);
        r.deleted = true;
      }
    }
    ws.gasId = gasId;
    const gas = ws.byId(gasId);
    gas.obj.fields.balance = (gas.obj.fields.balance as bigint) - budget;

    if (runCommands) {
      inputObjs.forEach((o) => {
        if (o) ws.loadInput(o, "Shared" in o.owner && sharedMutability.get(o.id) === false);
      });
      new CommandRunner(ws, view, pt.inputs, inputObjs, sender).run(pt.commands as unknown as Record<string, unknown>[]);
      ws.checkNoDanglingValues();
    }
    // Charge: computation + storage of everything written - 99% of what those objects paid.
    const { storage, previous } = ws.storageFigures();
    const { rebate, nonRefundable } = rebateOf(previous);
    // Like Sui, the budget must cover the net charge (computation + storage - rebate).
    if (runCommands && compCost + storage - rebate > budget) throw new ExecFailure({ InsufficientGas: true }, "InsufficientGas", null);
    gas.obj.fields.balance = (gas.obj.fields.balance as bigint) + budget - (compCost + storage - rebate);
    return { ws, gasUsed: { computationCost: compCost, storageCost: storage, storageRebate: rebate, nonRefundableStorageFee: nonRefundable } };
  };

  let result: ReturnType<typeof attempt>;
  let failure: ExecFailure | null = null;
  try {
    result = attempt(true);
  } catch (e) {
    if (!(e instanceof ExecFailure)) throw e;
    failure = e;
    result = attempt(false);
  }
  return finish(view, digest, sender, lamport, result.ws, result.gasUsed, failure, mockGas, failure ? [] : result.ws.commandResults);
}

function checkExpiration(view: ChainView, exp: Record<string, unknown>) {
  if (exp.Epoch !== undefined && exp.Epoch !== null && view.epoch > BigInt(exp.Epoch as string)) {
    throw new TxRejected(`Transaction expired at epoch ${exp.Epoch} (current epoch ${view.epoch})`);
  }
  const vd = exp.ValidDuring as { minEpoch: string | null; maxEpoch: string | null; chain: string } | undefined;
  if (vd) {
    if (vd.chain !== view.chainId) throw new TxRejected(`Transaction is for chain ${vd.chain}, this is ${view.chainId}`);
    if ((vd.minEpoch != null && view.epoch < BigInt(vd.minEpoch)) || (vd.maxEpoch != null && view.epoch > BigInt(vd.maxEpoch))) {
      throw new TxRejected(`Transaction is only valid during epochs ${vd.minEpoch}..${vd.maxEpoch} (current epoch ${view.epoch})`);
    }
  }
}

/** The working set of one execution attempt, and the MoveCtx the model functions act through. */
class Workspace implements model.MoveCtx {
  readonly objs = new Map<string, Working>();
  events: EventOut[] = [];
  commandResults: CommandResultOut[] = [];
  currentModule = "";
  gasId = ZERO_ADDRESS;
  private idCounter = 0;
  constructor(private view: ChainView, readonly digest: string, readonly sender: string, readonly lamport: bigint) {}

  get epoch() { return this.view.epoch; }
  get packageId() { return this.view.packageId; }

  addMock(obj: StoredObject) {
    this.objs.set(obj.id, { obj, input: null, created: false, deleted: false, ownerSet: true, readOnlyShared: false, immutableInput: false });
  }
  loadInput(o: StoredObject, readOnlyShared: boolean): Working {
    const existing = this.objs.get(o.id);
    if (existing) return existing;
    const w: Working = {
      obj: clone(o),
      input: { version: o.version, digest: o.digest, owner: o.owner, storageRebate: o.storageRebate, previousTransaction: o.previousTransaction },
      created: false, deleted: false, ownerSet: true, readOnlyShared, immutableInput: "Immutable" in o.owner,
      inputBalance: o.layout === "Coin" ? (o.fields.balance as bigint) : undefined,
    };
    this.objs.set(o.id, w);
    return w;
  }
  byId(id: string): Working {
    const w = this.objs.get(id);
    if (!w) throw new Error(`devnet bug: object ${id} not loaded`);
    return w;
  }

  freshId(): string {
    const h = blake2b.create({ dkLen: 32 });
    h.update(fromBase58(this.digest));
    h.update(bcs.u64().serialize(BigInt(this.idCounter++)).toBytes());
    return normalizeSuiAddress(toHex(h.digest()));
  }
  create(layout: StoredObject["layout"], typeName: string, fields: Record<string, unknown>): StoredObject {
    const type = typeName === "coin" ? SUI_COIN_TYPE : `${this.view.packageId}::${typeName}`;
    const obj: StoredObject = {
      id: fields.id as string, version: this.lamport, digest: "", owner: { Immutable: true }, type, layout, fields,
      hasPublicTransfer: layout === "Coin", previousTransaction: this.digest, storageRebate: 0n,
    };
    this.objs.set(obj.id, { obj, input: null, created: true, deleted: false, ownerSet: false, readOnlyShared: false, immutableInput: false });
    return obj;
  }
  share(obj: StoredObject) {
    const w = this.byId(obj.id);
    obj.owner = { Shared: { initialSharedVersion: this.lamport } };
    w.ownerSet = true;
  }
  transfer(obj: StoredObject, to: string) {
    const w = this.byId(obj.id);
    obj.owner = { AddressOwner: normalizeSuiAddress(to) };
    w.ownerSet = true;
  }
  destroy(obj: StoredObject) {
    this.byId(obj.id).deleted = true;
  }
  freeze(obj: StoredObject) {
    const w = this.byId(obj.id);
    obj.owner = { Immutable: true };
    w.ownerSet = true;
  }
  isNew(obj: StoredObject): boolean {
    return this.byId(obj.id).created;
  }
  emit(module: string, eventName: string, fields: Record<string, unknown>) {
    // BCS and JSON from the compiled event struct: field order and types are move/'s.
    const { bcs: bytes, parsedJson } = encodeEvent(module, eventName, fields);
    this.events.push({
      packageId: this.view.packageId, transactionModule: this.currentModule || module, sender: this.sender,
      type: `${this.view.packageId}::${module}::${eventName}`, parsedJson, bcs: bytes,
    });
  }
  private fieldId(tableId: string, key: string) {
    return deriveDynamicFieldID(tableId, STRING_TYPE, bcs.string().serialize(key).toBytes());
  }
  private loadChild(id: string): Working | undefined {
    const w = this.objs.get(id);
    if (w) return w.deleted ? undefined : w;
    const o = this.view.get(id);
    return o ? this.loadInput(o, false) : undefined;
  }
  tableGet(tableId: string, key: string): string | undefined {
    return this.loadChild(this.fieldId(tableId, key))?.obj.fields.value as string | undefined;
  }
  tableAdd(tableId: string, key: string, value: string) {
    const id = this.fieldId(tableId, key);
    const prior = this.objs.get(id);
    const obj: StoredObject = {
      id, version: this.lamport, digest: "", owner: { ObjectOwner: tableId },
      type: `0x0000000000000000000000000000000000000000000000000000000000000002::dynamic_field::Field<${STRING_TYPE}, 0x0000000000000000000000000000000000000000000000000000000000000002::object::ID>`,
      layout: "StringIdField", fields: { id, name: key, value }, hasPublicTransfer: false,
      previousTransaction: this.digest, storageRebate: 0n,
    };
    // Re-adding a key removed earlier in the same transaction mutates the old field object.
    if (prior && prior.deleted) { prior.obj = Object.assign(prior.obj, { fields: obj.fields }); prior.deleted = false; return; }
    this.objs.set(id, { obj, input: null, created: true, deleted: false, ownerSet: true, readOnlyShared: false, immutableInput: false });
  }
  tableRemove(tableId: string, key: string) {
    const w = this.loadChild(this.fieldId(tableId, key));
    if (w) w.deleted = true;
  }

  /** Sui: a value without `drop` left at the end of a transaction is an error. */
  checkNoDanglingValues() {
    for (const w of this.objs.values()) {
      if (w.created && !w.deleted && !w.ownerSet) {
        throw new ExecFailure({ UnusedValueWithoutDrop: { resultIdx: 0, secondaryIdx: 0 } }, "UnusedValueWithoutDrop { result_idx: 0, secondary_idx: 0 }", null);
      }
    }
  }

  /** Objects this attempt writes, with their storage fees. */
  written(): Working[] {
    return [...this.objs.values()].filter((w) => w.obj.id !== ZERO_ADDRESS && !w.readOnlyShared && !w.immutableInput && !(w.created && w.deleted));
  }
  storageFigures() {
    let storage = 0n;
    let previous = 0n;
    // A dry run's mock gas coin is charged like the real one would be (written, and rebating
    // what it paid), so the SDK's budget estimate from the dry run covers the real execution.
    const mock = this.objs.get(ZERO_ADDRESS);
    if (mock) {
      const fee = storageCostOf(contentsBcs(mock.obj).length);
      storage += fee;
      previous += fee;
    }
    for (const w of this.written()) {
      if (w.input) previous += w.input.storageRebate;
      if (!w.deleted) {
        const fee = storageCostOf(contentsBcs(w.obj).length);
        w.obj.storageRebate = fee;
        storage += fee;
      }
    }
    return { storage, previous };
  }
}

/** Runs PTB commands over a workspace. */
class CommandRunner {
  private results: Val[][] = [];
  constructor(private ws: Workspace, private view: ChainView, private inputs: NonNullable<TxData["V1"]["kind"]["ProgrammableTransaction"]>["inputs"],
    private inputObjs: (StoredObject | null)[], private sender: string) {}

  run(commands: Record<string, unknown>[]) {
    commands.forEach((cmd, i) => {
      const mutatedByRef: CommandResultOut["mutatedByRef"] = [];
      const vals = this.command(cmd, i, mutatedByRef);
      this.results.push(vals);
      this.ws.commandResults.push({ returnValues: vals.map((v) => this.output(v)), mutatedByRef });
    });
    // Sui: a value without `drop` (a Balance) still held at the end is an error.
    this.results.forEach((r, resultIdx) => r.forEach((v, secondaryIdx) => {
      if (v.t === "value" && !abilitiesOf(v.type).includes("Drop")) {
        throw new ExecFailure({ UnusedValueWithoutDrop: { resultIdx, secondaryIdx } },
          `UnusedValueWithoutDrop { result_idx: ${resultIdx}, secondary_idx: ${secondaryIdx} }`, null);
      }
    }));
  }

  /** A command's result as a simulation reports it: its type and BCS. */
  private output(v: Val): { type: string; bcs: Uint8Array } {
    if (v.t === "value") return { type: typeTagOf(v.type, this.view.packageId), bcs: v.bytes };
    if (v.t === "obj") {
      const o = this.ws.byId(v.id).obj;
      return { type: o.type, bcs: contentsBcs(o) };
    }
    throw new Error(`devnet bug: a command returned a ${v.t}`);
  }

  private arg(a: Arg, cmd: number): Val {
    if (a.GasCoin !== undefined && a.GasCoin !== null) return { t: "obj", id: this.ws.gasId };
    if (a.Input !== undefined && a.Input !== null) {
      const input = this.inputs[a.Input];
      if (!input) throw argErr(cmd, 0, "IndexOutOfBounds");
      if (input.Pure) return { t: "pure", bytes: new Uint8Array(Buffer.from(input.Pure.bytes as unknown as string, "base64")) };
      return { t: "obj", id: this.inputObjs[a.Input]!.id };
    }
    if (a.Result !== undefined && a.Result !== null) {
      const r = this.results[a.Result];
      if (!r || r.length !== 1) throw argErr(cmd, 0, "InvalidResultArity");
      if (r[0]!.t === "moved") throw argErr(cmd, 0, "ArgumentWithoutValue");
      return r[0]!;
    }
    if (a.NestedResult) {
      const v = this.results[a.NestedResult[0]]?.[a.NestedResult[1]];
      if (!v) throw argErr(cmd, 0, "SecondaryIndexOutOfBounds");
      if (v.t === "moved") throw argErr(cmd, 0, "ArgumentWithoutValue");
      return v;
    }
    throw argErr(cmd, 0, "IndexOutOfBounds");
  }

  private objectArg(v: Val, cmd: number, idx: number, layout: string, ref: "imm" | "mut" | "val"): Working {
    if (v.t !== "obj") throw argErr(cmd, idx, "TypeMismatch");
    const w = this.ws.byId(v.id);
    if (w.deleted) throw argErr(cmd, idx, "ArgumentWithoutValue");
    if (w.obj.layout !== layout) throw argErr(cmd, idx, "TypeMismatch");
    if (layout !== "Coin" && !w.obj.type.startsWith(this.view.packageId)) throw argErr(cmd, idx, "TypeMismatch");
    if (ref !== "imm" && (w.readOnlyShared || w.immutableInput)) throw argErr(cmd, idx, "InvalidObjectByMutRef");
    if (ref === "val") {
      if ("Shared" in w.obj.owner && !w.created) throw argErr(cmd, idx, "InvalidObjectByValue");
      if (w.obj.id === this.ws.gasId) throw argErr(cmd, idx, "InvalidGasCoinUsage");
    }
    return w;
  }

  private pure(vIn: Val, cmd: number, idx: number, p: Param): unknown {
    let v = vIn;
    if (p.kind === "u64" && v.t === "u64") return v.v;
    if (p.kind === "address" && v.t === "addr") return v.v;
    // A value an accessor returned passes where its type is the parameter's (its BCS is the same).
    if (v.t === "value") {
      const want = p.kind === "u64" ? "u64" : p.kind === "address" ? "address" : p.kind === "bytes" ? "vector<u8>" : p.kind === "string" ? STRING_TYPE : "";
      if (typeTagOf(v.type, this.view.packageId) !== want) throw argErr(cmd, idx, "TypeMismatch");
      v = { t: "pure", bytes: v.bytes };
    }
    if (v.t !== "pure") throw argErr(cmd, idx, "TypeMismatch");
    try {
      const schema = p.kind === "u64" ? bcs.u64() : p.kind === "address" ? bcs.Address : p.kind === "string" ? bcs.string() : bcs.byteVector();
      const value = schema.parse(v.bytes);
      if ((schema.serialize(value as never).toBytes() as Uint8Array).length !== v.bytes.length) throw new Error("trailing bytes");
      if (p.kind === "string" && new TextEncoder().encode(value as string).length !== bcs.byteVector().parse(v.bytes).length) throw new Error("bad utf8");
      return p.kind === "u64" ? BigInt(value as string) : p.kind === "address" ? normalizeSuiAddress(value as string) : value;
    } catch {
      throw argErr(cmd, idx, "InvalidBCSBytes");
    }
  }

  private command(cmd: Record<string, unknown>, i: number, mutatedByRef: CommandResultOut["mutatedByRef"]): Val[] {
    if (cmd.SplitCoins) {
      const c = cmd.SplitCoins as { coin: Arg; amounts: Arg[] };
      const coin = this.objectArg(this.arg(c.coin, i), i, 0, "Coin", "mut");
      const amounts = c.amounts.map((a, k) => this.pure(this.arg(a, i), i, k + 1, { kind: "u64" }) as bigint);
      const total = amounts.reduce((s, x) => s + x, 0n);
      const bal = coin.obj.fields.balance as bigint;
      if (total > bal) throw new ExecFailure({ InsufficientCoinBalance: true }, `InsufficientCoinBalance in command ${i}`, i);
      coin.obj.fields.balance = bal - total;
      return amounts.map((amt) => ({ t: "obj", id: this.ws.create("Coin", "coin", { id: this.ws.freshId(), balance: amt }).id }));
    }
    if (cmd.MergeCoins) {
      const c = cmd.MergeCoins as { destination: Arg; sources: Arg[] };
      const dest = this.objectArg(this.arg(c.destination, i), i, 0, "Coin", "mut");
      c.sources.forEach((s, k) => {
        const src = this.objectArg(this.arg(s, i), i, k + 1, "Coin", "val");
        if (src.obj.id === dest.obj.id) throw argErr(i, k + 1, "InvalidValueUsage");
        dest.obj.fields.balance = (dest.obj.fields.balance as bigint) + (src.obj.fields.balance as bigint);
        src.deleted = true;
      });
      return [];
    }
    if (cmd.TransferObjects) {
      const c = cmd.TransferObjects as { objects: Arg[]; address: Arg };
      const to = this.pure(this.arg(c.address, i), i, c.objects.length, { kind: "address" }) as string;
      c.objects.forEach((o, k) => {
        const v = this.arg(o, i);
        if (v.t !== "obj") throw argErr(i, k, "InvalidTransferObject");
        const w = this.ws.byId(v.id);
        if (w.deleted) throw argErr(i, k, "ArgumentWithoutValue");
        if (!w.obj.hasPublicTransfer) throw argErr(i, k, "InvalidTransferObject");
        if ("Shared" in w.obj.owner && !w.created) throw argErr(i, k, "InvalidObjectByValue");
        if (w.immutableInput) throw argErr(i, k, "InvalidObjectByValue");
        this.ws.transfer(w.obj, to);
      });
      return [];
    }
    if (cmd.MoveCall) return this.moveCall(cmd.MoveCall as { package: string; module: string; function: string; arguments: Arg[] }, i, mutatedByRef);
    throw new ExecFailure({ FeatureNotYetSupported: true }, `FeatureNotYetSupported (${Object.keys(cmd)[0]}) in command ${i}`, i);
  }

  private moveCall(mc: { package: string; module: string; function: string; arguments: Arg[] }, i: number, mutatedByRef: CommandResultOut["mutatedByRef"]): Val[] {
    const pkg = normalizeSuiAddress(mc.package);
    const isFramework = pkg === normalizeSuiAddress("0x2");
    if (isFramework || pkg === STD) return this.frameworkCall(pkg, mc, i, mutatedByRef);
    const table = pkg === this.view.packageId ? [...K3S_FUNCTIONS, ...K3S_READ_FUNCTIONS] : null;
    const sig: FunctionSig | undefined = table?.find((f) => f.module === mc.module && f.name === mc.function);
    if (!sig) {
      if (publishedFunction(this.view.packageId, pkg, mc.module, mc.function)) throw new NotModelled(`${pkg === normalizeSuiAddress("0x1") || isFramework ? `0x${pkg.replace(/^0x0*/, "")}` : pkg}::${mc.module}::${mc.function}`);
      throw new ExecFailure({ FunctionNotFound: true }, `FunctionNotFound in command ${i}`, i);
    }
    if (mc.arguments.length !== sig.params.length) throw new ExecFailure({ ArityMismatch: true }, `ArityMismatch in command ${i}`, i);
    const args = mc.arguments.map((a, k) => {
      const p = sig.params[k]!;
      const v = this.arg(a, i);
      return p.kind === "object" ? this.objectArg(v, i, k, p.layout, p.ref).obj : this.pure(v, i, k, p);
    });
    const ws = this.ws;
    ws.currentModule = mc.module;
    // Arguments were type-checked against the signature above; the tuple cast hands them to the model.
    const A = args as unknown as [never, never, never, never, never];
    // What the call may have changed through &mut (objects only: pure values are never by reference).
    const byRef = () => {
      mc.arguments.forEach((a, k) => {
        const p = sig.params[k]!;
        if (p.kind !== "object" || p.ref !== "mut") return;
        const o = (args[k] as StoredObject);
        mutatedByRef.push({ argument: a, type: o.type, bcs: contentsBcs(o) });
      });
    };
    try {
      const key = `${mc.module}::${mc.function}`;
      if (sig.valueReturns) {
        const read = PACKAGE_READS[key];
        if (!read) throw new NotModelled(`${pkg}::${key}`);
        const out = read(ws, A);
        return sig.valueReturns.map((t, k) => ({ t: "value" as const, type: t, bytes: valueBcs(t, out[k], `${key} return ${k}`) }));
      }
      const impl = PACKAGE_CALLS[key];
      if (impl) {
        const out = impl(ws, A);
        byRef();
        return out;
      }
    } catch (e) {
      if (e instanceof model.ArithmeticError) throw arithmeticFailure(e, isFramework ? normalizeSuiAddress("0x2") : this.view.packageId, i);
      if (!(e instanceof model.MoveAbort)) throw e;
      const modAddr = isFramework ? normalizeSuiAddress("0x2") : this.view.packageId;
      const modName = isFramework ? mc.module : e.module;
      const instruction = isFramework ? e.site : compiledAbortInstruction(e);
      const text = `MoveAbort(MoveLocation { module: ModuleId { address: ${modAddr.slice(2)}, name: Identifier("${modName}") }, function: ${sig.index}, instruction: ${instruction}, function_name: Some("${e.functionName}") }, ${e.code}) in command ${i}`;
      throw new ExecFailure(
        { MoveAbort: [{ module: { address: modAddr, name: modName }, function: sig.index, instruction, functionName: e.functionName }, BigInt(e.code)] },
        text, i, { module_id: `${modAddr}::${modName}`, function: e.functionName, error_code: e.code, line: null },
      );
    }
    throw new NotModelled(`${pkg}::${mc.module}::${mc.function}`);
  }

  /** Where a Result/NestedResult argument lives (to move a value out of it, or write a &mut back). */
  private slotOf(a: Arg): [number, number] | null {
    if (a.Result !== undefined && a.Result !== null) return [a.Result, 0];
    if (a.NestedResult) return a.NestedResult;
    return null;
  }

  /**
   * A call of a framework function: its signature from the framework's source (framework.ts),
   * instantiated with the call's type arguments; every argument checked against it (type,
   * by value or by reference); its model (FRAMEWORK_CALLS); the results encoded by the return
   * types. Functions without a model are refused plainly (NotModelled).
   */
  private frameworkCall(pkg: string, mc: { module: string; function: string; typeArguments?: string[]; arguments: Arg[] }, i: number,
    mutatedByRef: CommandResultOut["mutatedByRef"]): Val[] {
    const short = `0x${pkg.replace(/^0x0*/, "")}::${mc.module}::${mc.function}`;
    const key = `${mc.module}::${mc.function}`;
    const fn = frameworkFunction(pkg, mc.module, mc.function);
    const impl = pkg === FW ? FRAMEWORK_CALLS[key] : undefined;
    if (!fn || !impl) {
      if (publishedFunction(this.view.packageId, pkg, mc.module, mc.function)) throw new NotModelled(short);
      throw new ExecFailure({ FunctionNotFound: true }, `FunctionNotFound in command ${i}`, i);
    }
    let typeArgs: NormalizedType[];
    try {
      typeArgs = (mc.typeArguments ?? []).map((t) => typeOfTag(t));
    } catch {
      throw new ExecFailure({ TypeArgumentError: { argumentIdx: 0, kind: { TypeNotFound: true } } }, `TypeArgumentError { argument_idx: 0, kind: TypeNotFound } in command ${i}`, i);
    }
    if (typeArgs.length !== fn.typeParameters.length) throw new ExecFailure({ TypeArityMismatch: true }, `TypeArityMismatch in command ${i}`, i);
    fn.typeParameters.forEach((tp, k) => {
      const have = abilitiesOf(typeArgs[k]!);
      if (!tp.abilities.every((a) => have.includes(a))) {
        throw new ExecFailure({ TypeArgumentError: { argumentIdx: k, kind: { ConstraintNotSatisfied: true } } },
          `TypeArgumentError { argument_idx: ${k}, kind: ConstraintNotSatisfied } in command ${i}`, i);
      }
    });
    // The devnet's coins and balances are SUI's: Coin<T>/Balance<T> of another T are not modelled.
    if ((mc.module === "coin" || mc.module === "balance") && typeTagOf(typeArgs[0]!, this.view.packageId) !== SUI_TYPE_TAG) {
      throw new NotModelled(short, `the devnet models coin and balance functions at T = 0x2::sui::SUI only, not ${mc.typeArguments?.[0]}`);
    }
    const inst = (t: NormalizedType): NormalizedType => instantiate(t, typeArgs);
    const isCtx = (t: NormalizedType) => {
      const inner = typeof t === "object" && ("Reference" in t || "MutableReference" in t) ? ("Reference" in t ? t.Reference : t.MutableReference) : t;
      return typeof inner === "object" && "Struct" in inner && inner.Struct.address === FW && inner.Struct.module === "tx_context" && inner.Struct.name === "TxContext";
    };
    const params = fn.parameters.filter((t) => !isCtx(t)).map(inst);
    if (mc.arguments.length !== params.length) throw new ExecFailure({ ArityMismatch: true }, `ArityMismatch in command ${i}`, i);
    const ws = this.ws;
    type Cell = { value: bigint; type: NormalizedType; slot: [number, number] | null };
    const args = mc.arguments.map((a, k): unknown => {
      const p = params[k]!;
      const ref = typeof p === "object" && "Reference" in p ? "imm" : typeof p === "object" && "MutableReference" in p ? "mut" : "val";
      const inner = typeof p === "object" && "Reference" in p ? p.Reference : typeof p === "object" && "MutableReference" in p ? p.MutableReference : p;
      if (inner === "U64") return this.pure(this.arg(a, i), i, k, { kind: "u64" });
      if (inner === "Address") return this.pure(this.arg(a, i), i, k, { kind: "address" });
      const v = this.arg(a, i);
      const want = typeTagOf(inner, this.view.packageId);
      if (v.t === "obj") {
        const w = ws.byId(v.id);
        if (w.deleted) throw argErr(i, k, "ArgumentWithoutValue");
        if (normalizeStructTag(w.obj.type) !== normalizeStructTag(want)) throw argErr(i, k, "TypeMismatch");
        if (ref !== "imm" && (w.readOnlyShared || w.immutableInput)) throw argErr(i, k, "InvalidObjectByMutRef");
        if (ref === "val") {
          if ("Shared" in w.obj.owner && !w.created) throw argErr(i, k, "InvalidObjectByValue");
          if (w.obj.id === ws.gasId) throw argErr(i, k, "InvalidGasCoinUsage");
        }
        return w.obj;
      }
      if (v.t === "value" && typeTagOf(v.type, this.view.packageId) === want && isBalance(v.type)) {
        const slot = this.slotOf(a);
        if (ref === "val" && slot) this.results[slot[0]]![slot[1]] = { t: "moved" };
        return { value: BigInt(bcs.u64().parse(v.bytes)), type: v.type, slot } satisfies Cell;
      }
      throw argErr(i, k, "TypeMismatch");
    });
    ws.currentModule = mc.module;
    let out: unknown[];
    try {
      out = impl(ws, args);
    } catch (e) {
      if (e instanceof model.ArithmeticError) throw arithmeticFailure(e, FW, i);
      if (!(e instanceof FrameworkAbort)) throw e;
      const fnIndex = frameworkFunctionIndex(FW, e.module, e.functionName);
      // The devnet holds no framework bytecode: the instruction offset is not known, and reads 0.
      const text = `MoveAbort(MoveLocation { module: ModuleId { address: ${FW.slice(2)}, name: Identifier("${e.module}") }, function: ${fnIndex}, instruction: 0, function_name: Some("${e.functionName}") }, ${e.code}) in command ${i}`;
      throw new ExecFailure(
        { MoveAbort: [{ module: { address: FW, name: e.module }, function: fnIndex, instruction: 0, functionName: e.functionName }, BigInt(e.code)] },
        text, i, { module_id: `${FW}::${e.module}`, function: e.functionName, error_code: e.code, line: null },
      );
    }
    // What the call changed through &mut, written back to result slots, as a simulation reports it.
    mc.arguments.forEach((a, k) => {
      const p = params[k]!;
      if (typeof p !== "object" || !("MutableReference" in p)) return;
      const x = args[k] as StoredObject | Cell;
      if ("fields" in x) { mutatedByRef.push({ argument: a, type: x.type, bcs: contentsBcs(x) }); return; }
      const bytes = bcs.u64().serialize(x.value).toBytes();
      if (x.slot) this.results[x.slot[0]]![x.slot[1]] = { t: "value", type: x.type, bytes };
      mutatedByRef.push({ argument: a, type: typeTagOf(x.type, this.view.packageId), bcs: bytes });
    });
    return fn.return.map(inst).map((t, k): Val => {
      const v = out[k];
      if (v && typeof v === "object" && "fields" in v) return { t: "obj", id: (v as StoredObject).id };
      return { t: "value", type: t, bytes: valueBcs(t, v, `${short} return ${k}`) };
    });
  }
}

const SUI_TYPE_TAG = `${FW}::sui::SUI`;

function isBalance(t: NormalizedType): boolean {
  return typeof t === "object" && "Struct" in t && t.Struct.address === FW && t.Struct.module === "balance" && t.Struct.name === "Balance";
}

function instantiate(t: NormalizedType, args: NormalizedType[]): NormalizedType {
  if (typeof t === "string") return t;
  if ("TypeParameter" in t) return args[t.TypeParameter]!;
  if ("Vector" in t) return { Vector: instantiate(t.Vector, args) };
  if ("Reference" in t) return { Reference: instantiate(t.Reference, args) };
  if ("MutableReference" in t) return { MutableReference: instantiate(t.MutableReference, args) };
  return { Struct: { ...t.Struct, typeArguments: t.Struct.typeArguments.map((a) => instantiate(a, args)) } };
}

/** An abort inside a framework function: its module, function and abort constant, the code read from the source. */
class FrameworkAbort extends Error {
  readonly code: number;
  constructor(readonly module: string, readonly functionName: string, constant: string) {
    const code = frameworkAbortCode(FW, module, constant);
    super(`MoveAbort in sui::${module}::${functionName} with ${constant} (${code})`);
    this.code = code;
  }
}

/**
 * Whether a real network has this function callable from a transaction: a public (or entry)
 * function of k3s_daas's compiled modules, or of the Sui framework / Move stdlib sources the
 * package is built against (the crate in ~/.cache/k3s-daas; the devnet holds no framework bytecode).
 */
function publishedFunction(packageId: string, pkg: string, module: string, fn: string): boolean {
  if (pkg === packageId) {
    const f = compiledFunction(module, fn);
    return !!f && (f.visibility === "Public" || f.isEntry);
  }
  if (pkg !== FW && pkg !== STD) return false;
  const src = frameworkModule(pkg, module) ? frameworkSource(pkg, module) : undefined;
  return !!src && new RegExp(`^\\s*(public\\s+(entry\\s+)?|entry\\s+)fun\\s+${fn}\\b`, "m").test(src);
}

/**
 * The model of every read accessor of k3s_daas (public, not entry, returning values): what the
 * compiled function returns, as JS values that objects.ts encodes by the compiled return types.
 * A new accessor in move/ without an entry here answers NotModelled (and test/chain says so).
 */
type Read = (ws: Workspace, A: [never, never, never, never, never]) => unknown[];
const field = (name: string): Read => (_ws, A) => [(A[0] as StoredObject).fields[name]];
export const PACKAGE_READS: Record<string, Read> = {
  "staking::staker": field("staker"),
  "staking::node_id": field("node_id"),
  "staking::amount": field("amount"),
  "staking::status": field("status"),
  "staking::is_active": (_ws, A) => [(A[0] as StoredObject).fields.status === model.STATUS_ACTIVE],
  "staking::locked_until": field("locked_until"),
  "staking::withdrawal_requested": field("withdrawal_requested"),
  "staking::claimable_at": field("claimable_at"),
  "staking::record_pool_id": field("pool_id"),
  "staking::cap_pool_id": field("pool_id"),
  "staking::min_node_stake": field("min_node_stake"),
  "staking::lock_epochs": field("lock_epochs"),
  "staking::withdrawal_cooldown_epochs": field("withdrawal_cooldown_epochs"),
  "staking::pool_balance": field("balance"),
  "staking::total_staked": field("total_staked"),
  "staking::slashed_balance": field("slashed"),
  // Option<ID>: the live record of the node id in pool.node_stakes, or none.
  "staking::stake_id_for_node": (ws, A) => {
    const pool = A[0] as StoredObject;
    return [ws.tableGet((pool.fields.node_stakes as { id: string }).id, A[1] as string) ?? null];
  },
  "k8s_gateway::token_stake_id": field("stake_id"),
  "k8s_gateway::token_node_id": field("node_id"),
  "k8s_gateway::token_worker_pubkey": field("worker_pubkey"),
  "k8s_gateway::token_expires_at": field("expires_at"),
  "k8s_gateway::endpoint": field("endpoint"),
  "k8s_gateway::enclave_pubkey": field("enclave_pubkey"),
};

type Call = (ws: Workspace, A: [never, never, never, never, never]) => Val[];

/** The model of every executable k3s_daas function (test/move checks it covers the compiled package). */
export const PACKAGE_CALLS: Record<string, Call> = {
  "staking::stake_for_node": (ws, A) => { model.stakeForNode(ws, A[0], A[1], A[2]); return []; },
  "staking::request_withdrawal": (ws, A) => { model.requestWithdrawal(ws, A[0], A[1], A[2]); return []; },
  "staking::claim_withdrawal": (ws, A) => [{ t: "obj", id: model.claimWithdrawal(ws, A[0], A[1]).id }],
  "staking::transfer_stake": (ws, A) => { model.transferStake(ws, A[0], A[1], A[2]); return []; },
  "staking::add_stake": (ws, A) => { model.addStake(ws, A[0], A[1], A[2]); return []; },
  "staking::slash_stake": (ws, A) => { model.slashStake(ws, A[0], A[1], A[2], A[3], A[4]); return []; },
  "staking::set_pool_params": (ws, A) => { model.setPoolParams(ws, A[0], A[1], A[2], A[3], A[4]); return []; },
  "k8s_gateway::create_worker_seal_token": (ws, A) => { model.createWorkerSealToken(ws, A[0], A[1]); return []; },
  "k8s_gateway::revoke_seal_token": (ws, A) => { model.revokeSealToken(ws, A[0]); return []; },
  "k8s_gateway::set_registry": (ws, A) => { model.setRegistry(ws, A[0], A[1], A[2], A[3], A[4]); return []; },
};

/**
 * The model of the framework functions the devnet executes, as Sui's framework does them (the
 * sources in ~/.cache/k3s-daas; framework.ts reads their signatures and abort codes from there).
 * Arguments arrive type-checked against the instantiated signature: objects as StoredObject, a
 * Balance as a cell { value } (written back when passed by &mut), u64 as bigint, address as a
 * string. Results are encoded by the function's return types. Coin and balance functions run at
 * T = SUI only (the devnet's only coin type).
 */
type Cell = { value: bigint };
type FwCall = (ws: Workspace, A: unknown[]) => unknown[];
const newCoin = (ws: Workspace, balance: bigint) => ws.create("Coin", "coin", { id: ws.freshId(), balance });
/** sui::balance::split / join / destroy_zero on a u64 value, aborting and failing where they do. */
const bal = {
  split(value: bigint, amount: bigint): bigint {
    if (value < amount) throw new FrameworkAbort("balance", "split", "ENotEnough");
    return value - amount;
  },
  join(value: bigint, add: bigint): bigint {
    const r = value + add;
    if (r > model.U64_MAX) throw new model.ArithmeticError("staking", "", 0, "Add", { module: "balance", functionName: "join" });
    return r;
  },
  destroyZero(value: bigint) {
    if (value !== 0n) throw new FrameworkAbort("balance", "destroy_zero", "ENonZero");
  },
};
const FRAMEWORK_CALLS: Record<string, FwCall> = {
  "coin::value": (_ws, A) => [(A[0] as StoredObject).fields.balance],
  "coin::into_balance": (ws, A) => { const c = A[0] as StoredObject; ws.destroy(c); return [c.fields.balance]; },
  "coin::from_balance": (ws, A) => [newCoin(ws, (A[0] as Cell).value)],
  "coin::zero": (ws) => [newCoin(ws, 0n)],
  "coin::split": (ws, A) => {
    const c = A[0] as StoredObject; const amt = A[1] as bigint;
    c.fields.balance = bal.split(c.fields.balance as bigint, amt);
    return [newCoin(ws, amt)];
  },
  "coin::join": (ws, A) => {
    const [d, s] = [A[0] as StoredObject, A[1] as StoredObject];
    ws.destroy(s);
    d.fields.balance = bal.join(d.fields.balance as bigint, s.fields.balance as bigint);
    return [];
  },
  "coin::destroy_zero": (ws, A) => { const c = A[0] as StoredObject; ws.destroy(c); bal.destroyZero(c.fields.balance as bigint); return []; },
  "coin::take": (ws, A) => { const b = A[0] as Cell; const amt = A[1] as bigint; b.value = bal.split(b.value, amt); return [newCoin(ws, amt)]; },
  "coin::put": (ws, A) => { const b = A[0] as Cell; const c = A[1] as StoredObject; ws.destroy(c); b.value = bal.join(b.value, c.fields.balance as bigint); return []; },
  "balance::value": (_ws, A) => [(A[0] as Cell).value],
  "balance::zero": () => [0n],
  "balance::join": (_ws, A) => { const b = A[0] as Cell; b.value = bal.join(b.value, (A[1] as Cell).value); return [b.value]; },
  "balance::split": (_ws, A) => { const b = A[0] as Cell; const amt = A[1] as bigint; b.value = bal.split(b.value, amt); return [amt]; },
  "balance::withdraw_all": (_ws, A) => { const b = A[0] as Cell; const all = b.value; b.value = bal.split(b.value, all); return [all]; },
  "balance::destroy_zero": (_ws, A) => { bal.destroyZero((A[0] as Cell).value); return []; },
  "transfer::public_transfer": (ws, A) => { ws.transfer(A[0] as StoredObject, A[1] as string); return []; },
  // Sui shares only an object created in this transaction (transfer::share_object_impl aborts otherwise).
  "transfer::public_share_object": (ws, A) => {
    const o = A[0] as StoredObject;
    if (!ws.isNew(o)) throw new FrameworkAbort("transfer", "share_object_impl", "ESharedNonNewObject");
    ws.share(o);
    return [];
  },
  "transfer::public_freeze_object": (ws, A) => { ws.freeze(A[0] as StoredObject); return []; },
  "object::id": (_ws, A) => [(A[0] as StoredObject).id],
  "object::id_address": (_ws, A) => [(A[0] as StoredObject).id],
  "object::id_bytes": (_ws, A) => [fromHex((A[0] as StoredObject).id)],
  "clock::timestamp_ms": (_ws, A) => [(A[0] as StoredObject).fields.timestamp_ms],
};

/** The framework functions the devnet executes (the rest are refused with NotModelled). */
export const MODELLED_FRAMEWORK_FUNCTIONS = Object.keys(FRAMEWORK_CALLS);

/**
 * The instruction offset of the compiled abort the model's abort stands for (the n-th abort of
 * the function). A model whose checks are not the compiled function's, in the same order with
 * the same codes, is a devnet bug and fails loudly instead of reporting a wrong location.
 */
function compiledAbortInstruction(e: model.MoveAbort): number {
  const f = compiledFunction(e.module, e.functionName);
  const site = f?.abortSites[e.site - 1];
  if (!site || site.code !== e.code) {
    throw new Error(`devnet model out of step with move/: ${e.module}::${e.functionName} abort #${e.site} is code ${e.code} in the model, ` +
      `${site ? `code ${site.code}` : "absent"} in the compiled function (${JSON.stringify(f?.abortSites ?? [])})`);
  }
  return site.instruction;
}

/**
 * Move's arithmetic error as Sui reports it: MovePrimitiveRuntimeError at the failing
 * instruction (not a MoveAbort: there is no abort code). For the package's own code the
 * instruction is the compiled function's arithmetic site the model names, checked to be the
 * same operation. A failure inside a framework function (sui::balance::join) is located in that
 * module; the devnet does not hold the framework's bytecode, so its function index and offset
 * read 0 there (it cannot happen on the devnet anyway: all the SUI there is fits in a u64).
 */
function arithmeticFailure(e: model.ArithmeticError, packageId: string, cmd: number): ExecFailure {
  let loc: { address: string; module: string; fn: number; instruction: number; name: string };
  if (e.framework) {
    // Function index from the framework source's declaration order; the instruction offset is not
    // known (no framework bytecode on the devnet) and reads 0.
    loc = { address: FW, module: e.framework.module, fn: frameworkFunctionIndex(FW, e.framework.module, e.framework.functionName), instruction: 0, name: e.framework.functionName };
  } else {
    const f = compiledFunction(e.module, e.functionName);
    const site = f?.arithmeticSites[e.site - 1];
    if (!f || !site || site.op !== e.op) {
      throw new Error(`devnet model out of step with move/: ${e.module}::${e.functionName} arithmetic site #${e.site} is ${e.op} in the model, ` +
        `${site ? site.op : "absent"} in the compiled function (${JSON.stringify(f?.arithmeticSites ?? [])})`);
    }
    loc = { address: packageId, module: e.module, fn: f.index, instruction: site.instruction, name: e.functionName };
  }
  const text = `MovePrimitiveRuntimeError(MoveLocationOpt(Some(MoveLocation { module: ModuleId { address: ${loc.address.slice(2)}, name: Identifier("${loc.module}") }, ` +
    `function: ${loc.fn}, instruction: ${loc.instruction}, function_name: Some("${loc.name}") }))) in command ${cmd}`;
  return new ExecFailure(
    { MovePrimitiveRuntimeError: { module: { address: loc.address, name: loc.module }, function: loc.fn, instruction: loc.instruction, functionName: loc.name } },
    text, cmd,
  );
}

function argErr(cmd: number, idx: number, kind: string): ExecFailure {
  const k = kind === "IndexOutOfBounds" ? { IndexOutOfBounds: { idx } } : kind === "SecondaryIndexOutOfBounds" ? { SecondaryIndexOutOfBounds: { resultIdx: 0, secondaryIdx: 0 } }
    : kind === "InvalidResultArity" ? { InvalidResultArity: { resultIdx: 0 } } : { [kind]: true };
  return new ExecFailure({ CommandArgumentError: { argIdx: idx, kind: k } }, `CommandArgumentError { arg_idx: ${idx}, kind: ${kind} } in command ${cmd}`, cmd);
}

/** Turn a finished workspace into effects (BCS and JSON), object changes and the writes to commit. */
function finish(view: ChainView, digest: string, sender: string, lamport: bigint, ws: Workspace,
  gasUsed: ExecOutcome["gasUsed"], failure: ExecFailure | null, mockGas: boolean, commandResults: CommandResultOut[]): ExecOutcome {
  const writes: StoredObject[] = [];
  const deletes: string[] = [];
  const changed: [string, unknown][] = [];
  const created: unknown[] = [], mutated: unknown[] = [], deleted: unknown[] = [], modifiedAtVersions: unknown[] = [];
  const objectChanges: Record<string, unknown>[] = [];
  const unchangedShared: [string, unknown][] = [];
  const sharedJson: unknown[] = [];
  const deps = new Set<string>();
  let gasIndex: number | null = null;
  let gasRefJson: unknown = { owner: { AddressOwner: sender }, reference: { objectId: ZERO_ADDRESS, version: "0", digest: ZERO_DIGEST } };

  for (const w of ws.objs.values()) {
    if (w.obj.id === ZERO_ADDRESS) continue;
    if (w.input) deps.add(w.input.previousTransaction);
    if (w.readOnlyShared || w.immutableInput) {
      if (w.readOnlyShared) {
        unchangedShared.push([w.obj.id, { ReadOnlyRoot: [w.input!.version, w.input!.digest] }]);
        sharedJson.push({ objectId: w.obj.id, version: String(w.input!.version), digest: w.input!.digest });
      }
      continue;
    }
    if (w.created && w.deleted) continue;
    const inputState = w.input ? { Exist: [[w.input.version, w.input.digest], ownerBcs(w.input.owner)] } : { NotExist: true };
    if (w.input) {
      modifiedAtVersions.push({ objectId: w.obj.id, sequenceNumber: String(w.input.version) });
      if ("Shared" in w.input.owner) sharedJson.push({ objectId: w.obj.id, version: String(w.input.version), digest: w.input.digest });
    }
    if (w.deleted) {
      changed.push([w.obj.id, { inputState, outputState: { NotExist: true }, idOperation: { Deleted: true } }]);
      deleted.push({ objectId: w.obj.id, version: String(lamport), digest: DELETED_DIGEST });
      objectChanges.push({ type: "deleted", sender, objectType: w.obj.type, objectId: w.obj.id, version: String(lamport) });
      deletes.push(w.obj.id);
      continue;
    }
    const obj = w.obj;
    obj.version = lamport;
    obj.previousTransaction = digest;
    obj.digest = computeObjectDigest(obj);
    writes.push(obj);
    if (obj.id === ws.gasId) gasIndex = changed.length;
    changed.push([obj.id, { inputState, outputState: { ObjectWrite: [obj.digest, ownerBcs(obj.owner)] }, idOperation: w.created ? { Created: true } : { None: true } }]);
    const ref = { owner: ownerJson(obj.owner), reference: { objectId: obj.id, version: String(lamport), digest: obj.digest } };
    if (obj.id === ws.gasId) gasRefJson = ref;
    (w.created ? created : mutated).push(ref);
    objectChanges.push(w.created
      ? { type: "created", sender, owner: ownerJson(obj.owner), objectType: obj.type, objectId: obj.id, version: String(lamport), digest: obj.digest }
      : { type: "mutated", sender, owner: ownerJson(obj.owner), objectType: obj.type, objectId: obj.id, version: String(lamport), previousVersion: String(w.input!.version), digest: obj.digest });
  }

  const events = failure ? [] : ws.events;
  const eventsDigest = events.length ? digestOf(...events.map((e) => e.bcs)) : null;
  const status = failure ? { Failure: { error: failure.error, command: failure.command === null ? null : BigInt(failure.command) } } : { Success: true };
  const effectsBcs = bcs.TransactionEffects.serialize({
    V2: {
      status: status as never,
      executedEpoch: view.epoch,
      gasUsed,
      transactionDigest: digest,
      gasObjectIndex: gasIndex,
      eventsDigest,
      dependencies: [...deps].filter((d) => d !== ZERO_DIGEST && d !== digest),
      lamportVersion: lamport,
      changedObjects: changed as never,
      unchangedConsensusObjects: unchangedShared as never,
      auxDataDigest: null,
    },
  }).toBytes();

  const str = (v: bigint) => String(v);
  const effectsJson: Record<string, unknown> = {
    messageVersion: "v1",
    status: failure ? { status: "failure", error: failure.text } : { status: "success" },
    executedEpoch: str(view.epoch),
    gasUsed: { computationCost: str(gasUsed.computationCost), storageCost: str(gasUsed.storageCost), storageRebate: str(gasUsed.storageRebate), nonRefundableStorageFee: str(gasUsed.nonRefundableStorageFee) },
    modifiedAtVersions,
    sharedObjects: sharedJson,
    transactionDigest: digest,
    created, mutated, deleted,
    gasObject: gasRefJson,
    eventsDigest,
    dependencies: [...deps].filter((d) => d !== ZERO_DIGEST && d !== digest),
    ...(failure?.abort ? { abortError: failure.abort } : {}),
  };

  return {
    digest, success: !failure, errorText: failure?.text ?? null, abortError: failure?.abort ?? null,
    effectsBcs, effectsJson, events, objectChanges,
    balanceChanges: balanceChanges(ws, writes, mockGas),
    writes, deletes, sender, gasUsed, commandResults,
  };
}

/** Net SUI moved per address owner: coins written/deleted vs the same coins before. */
function balanceChanges(ws: Workspace, writes: StoredObject[], mockGas: boolean): Record<string, unknown>[] {
  const delta = new Map<string, bigint>();
  const add = (owner: Owner, v: bigint) => {
    if (!("AddressOwner" in owner)) return;
    delta.set(owner.AddressOwner, (delta.get(owner.AddressOwner) ?? 0n) + v);
  };
  for (const w of ws.objs.values()) {
    if (w.obj.layout !== "Coin" || w.obj.id === ZERO_ADDRESS || w.immutableInput) continue;
    if (w.input) add(w.input.owner, -(w.inputBalance ?? 0n));
  }
  for (const o of writes) if (o.layout === "Coin") add(o.owner, o.fields.balance as bigint);
  void mockGas;
  return [...delta].filter(([, v]) => v !== 0n).map(([addr, v]) => ({ owner: { AddressOwner: addr }, coinType: "0x2::sui::SUI", amount: String(v) }));
}

export { toBase64 };
