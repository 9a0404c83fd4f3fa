// Signatures of the Move functions the devnet can call, in two forms: the parameter kinds the
// executor uses to decode PTB arguments, and the normalized JSON that
// sui_getNormalizedMoveFunction returns (the SDK resolves tx.object()/tx.pure() args from it).
// The k3s_daas ones are read from the compiled package (compiled.ts); only the four framework
// functions the SDK itself emits are written out here.
import { normalizeSuiAddress } from "@mysten/sui/utils";
import {
  SELF_ADDRESS, compiledFunction, compiledPackage, withPackageId, type MoveFunction, type NormalizedType,
} from "./compiled.js";

export type Param =
  | { kind: "object"; layout: string; ref: "imm" | "mut" | "val" }
  | { kind: "u64" }
  | { kind: "address" }
  | { kind: "string" }
  | { kind: "bytes" };

export interface FunctionSig {
  module: string;
  name: string;
  params: Param[];
  returns: string[]; // layouts of returned objects
  /** Index of the function in its module (reported in MoveAbort locations). */
  index: number;
  /** The compiled function this signature was read from (k3s_daas functions only). */
  compiled?: MoveFunction;
  /** A read accessor's return types (values, not objects), from the compiled function. */
  valueReturns?: NormalizedType[];
}

const obj = (layout: string, ref: "imm" | "mut" | "val"): Param => ({ kind: "object", layout, ref });

const FW = normalizeSuiAddress("0x2");
const STD = normalizeSuiAddress("0x1");
type StructTag = { address: string; module: string; name: string; typeArguments: NormalizedType[] };
const isStruct = (t: NormalizedType, address: string, module: string, name: string): t is { Struct: StructTag } =>
  typeof t === "object" && "Struct" in t && t.Struct.address === address && t.Struct.module === module && t.Struct.name === name;
const isSuiCoin = (t: NormalizedType) => isStruct(t, FW, "coin", "Coin") && isStruct(t.Struct.typeArguments[0]!, FW, "sui", "SUI");

/** The object layout a value type stands for (a key struct of the package, or Coin<SUI>), else null. */
function objectLayout(t: NormalizedType): string | null {
  if (isSuiCoin(t)) return "Coin";
  if (typeof t !== "object" || !("Struct" in t) || t.Struct.address !== SELF_ADDRESS) return null;
  const { module, name } = t.Struct;
  const s = compiledPackage().modules.find((m) => m.name === module)?.structs.find((x) => x.name === name);
  return s?.abilities.includes("Key") ? name : null;
}

function toParam(t: NormalizedType): Param | "ctx" | null {
  if (typeof t === "object" && "MutableReference" in t && isStruct(t.MutableReference, FW, "tx_context", "TxContext")) return "ctx";
  if (t === "U64") return { kind: "u64" };
  if (t === "Address") return { kind: "address" };
  if (typeof t === "object" && "Vector" in t && t.Vector === "U8") return { kind: "bytes" };
  if (isStruct(t, STD, "string", "String")) return { kind: "string" };
  const [inner, ref] = typeof t === "object" && "Reference" in t ? [t.Reference, "imm" as const]
    : typeof t === "object" && "MutableReference" in t ? [t.MutableReference, "mut" as const] : [t, "val" as const];
  const layout = objectLayout(inner);
  return layout ? obj(layout, ref) : null;
}

/**
 * A public function the executor can run: every parameter is an object of the package (or a
 * Coin<SUI>), a u64, an address, a String or bytes, a &mut TxContext only last, and it returns
 * only objects. The rest (read accessors returning values) have no model: null.
 */
function executable(f: MoveFunction): FunctionSig | null {
  if (f.visibility !== "Public") return null;
  const params: Param[] = [];
  for (const [i, t] of f.parameters.entries()) {
    const p = toParam(t);
    if (p === null) return null;
    if (p === "ctx") { if (i !== f.parameters.length - 1) return null; continue; }
    params.push(p);
  }
  const returns = f.return.map(objectLayout);
  if (returns.some((r) => r === null)) return null;
  return { module: f.module, name: f.name, index: f.index, params, returns: returns as string[], compiled: f };
}

export const K3S_FUNCTIONS: FunctionSig[] = compiledPackage().modules.flatMap((m) =>
  m.functions.map(executable).filter((s): s is FunctionSig => s !== null));

/**
 * A public read accessor: not entry, every object parameter an immutable reference (so it
 * changes nothing), and it returns values (u64, bool, String, ID, Option<ID>, bytes...), whose
 * types are the compiled function's. The devnet runs its model (execute.ts PACKAGE_READS) and
 * encodes what it returns by those types, as a node returns them from a simulation.
 */
function readAccessor(f: MoveFunction): FunctionSig | null {
  if (f.visibility !== "Public" || f.isEntry || f.typeParameters.length || !f.return.length) return null;
  if (f.return.some((t) => objectLayout(t) !== null)) return null;
  const params: Param[] = [];
  for (const [i, t] of f.parameters.entries()) {
    const p = toParam(t);
    if (p === null) return null;
    if (p === "ctx") { if (i !== f.parameters.length - 1) return null; continue; }
    if (p.kind === "object" && p.ref !== "imm") return null;
    params.push(p);
  }
  return { module: f.module, name: f.name, index: f.index, params, returns: [], compiled: f, valueReturns: f.return };
}

export const K3S_READ_FUNCTIONS: FunctionSig[] = compiledPackage().modules.flatMap((m) =>
  m.functions.map(readAccessor).filter((s): s is FunctionSig => s !== null));

/** A compiled function in sui_getNormalizedMoveFunction's shape, at the package's published id. */
export function normalizedCompiledFunction(pkg: string, f: MoveFunction): unknown {
  return {
    visibility: f.visibility,
    isEntry: f.isEntry,
    typeParameters: f.typeParameters,
    parameters: f.parameters.map((t) => withPackageId(t, pkg)),
    return: f.return.map((t) => withPackageId(t, pkg)),
  };
}

/** The normalized form of any function of the compiled package (accessors included), or null. */
export function normalizedMoveFunction(pkg: string, module: string, name: string): unknown {
  const f = compiledFunction(module, name);
  return f ? normalizedCompiledFunction(pkg, f) : null;
}

