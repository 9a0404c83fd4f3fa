// The compiled k3s_daas package: the module bytes the Sui Move compiler produced from move/
// (`npm run move:build`, cached in dist/move by a hash of the sources and the compiler and
// framework versions), decoded with @mysten/move-bytecode-template. Everything the devnet says
// about the package (functions, struct layouts, abort codes and sites) is read from here, so a
// change to move/ changes the devnet's answers, and the model must follow.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { deserialize, serialize } from "@mysten/move-bytecode-template";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import { blake2b } from "@noble/hashes/blake2.js";
import { FRAMEWORK_CRATE, FRAMEWORK_CRATE_VERSION, FRAMEWORK_SUI_TAG, readTree } from "../../scripts/move/framework.js";

export const ROOT = resolve(__dirname, "..", "..");
// K3S_DAAS_MOVE_DIR points the devnet at another copy of the package (test/move/drift.test.ts
// uses it to show a change to move/ that the model does not follow fails the suite).
const OTHER_DIR = process.env.K3S_DAAS_MOVE_DIR ? resolve(process.env.K3S_DAAS_MOVE_DIR) : null;
export const MOVE_DIR = OTHER_DIR ?? join(ROOT, "move");
export const ARTEFACT = OTHER_DIR ? join(OTHER_DIR, "build", "k3s_daas.json") : join(ROOT, "dist", "move", "k3s_daas.json");
const BUILDER = "@zktx.io/sui-move-builder";
/** The package's own address in compiled (unpublished) modules. */
export const SELF_ADDRESS = normalizeSuiAddress("0x0");

/** What `npm run move:build` writes. */
export interface Artefact {
  sourceHash: string;
  compiler: { package: string; version: string; suiVersion: string };
  framework: { crate: string; version: string; suiTag: string };
  /** base64, self address 0x0, as `sui move build --dump-bytecode-as-base64` prints them. */
  modules: string[];
  dependencies: string[];
  digest: number[];
}

export function builderVersion(): string {
  const pj = join(require.resolve(`${BUILDER}/full`), "..", "..", "..", "package.json");
  return (JSON.parse(readFileSync(pj, "utf8")) as { version: string }).version;
}

/** Files that determine the published bytecode: Move.toml and sources/ (tests do not). */
export function publishFiles(dir = MOVE_DIR): Record<string, string> {
  return readTree(dir, (rel) => rel === "Move.toml" || (rel.startsWith("sources/") && rel.endsWith(".move")));
}

export function sourceHash(dir = MOVE_DIR): string {
  const h = createHash("sha256");
  h.update(`${BUILDER}@${builderVersion()}\0${FRAMEWORK_CRATE}@${FRAMEWORK_CRATE_VERSION}\0`);
  for (const [rel, text] of Object.entries(publishFiles(dir))) h.update(`${rel}\0${text}\0`);
  return h.digest("hex");
}

/**
 * The artefact for the current move/ sources. When it is missing or stale it is rebuilt here,
 * synchronously, by the same command setup runs (so every entry point sees the same package).
 */
export function loadArtefact(): Artefact {
  const want = sourceHash();
  const read = (): Artefact | null => {
    if (!existsSync(ARTEFACT)) return null;
    const a = JSON.parse(readFileSync(ARTEFACT, "utf8")) as Artefact;
    return a.sourceHash === want ? a : null;
  };
  let a = read();
  if (!a) {
    try {
      execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "move.ts"), "build", "--quiet"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      throw new Error(`move/ does not build, so the devnet has no package to publish:\n${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
    }
    a = read();
    if (!a) throw new Error(`npm run move:build did not produce ${ARTEFACT} for the current move/ sources`);
  }
  return a;
}

// ---- decoding ------------------------------------------------------------------------------

/** A Move type in the shape of Sui's normalized types (what sui_getNormalizedMoveFunction returns). */
export type NormalizedType =
  | "Bool" | "U8" | "U16" | "U32" | "U64" | "U128" | "U256" | "Address" | "Signer"
  | { Vector: NormalizedType }
  | { Struct: { address: string; module: string; name: string; typeArguments: NormalizedType[] } }
  | { Reference: NormalizedType }
  | { MutableReference: NormalizedType }
  | { TypeParameter: number };

export type Ability = "Copy" | "Drop" | "Store" | "Key";

export interface MoveStruct {
  module: string;
  name: string;
  abilities: Ability[];
  typeParameters: { constraints: Ability[]; isPhantom: boolean }[];
  fields: { name: string; type: NormalizedType }[];
}

export interface MoveFunction {
  module: string;
  name: string;
  /** Definition index in its module: what a MoveAbort location reports as `function`. */
  index: number;
  visibility: "Public" | "Friend" | "Private";
  isEntry: boolean;
  typeParameters: { abilities: Ability[] }[];
  parameters: NormalizedType[];
  return: NormalizedType[];
  /** Every `abort` in the bytecode, in code order: instruction offset and the code it aborts with. */
  abortSites: { instruction: number; code: number }[];
  /**
   * Every instruction that can fail with an arithmetic error (overflow, underflow, division by
   * zero, a lossy cast), in code order: its offset and opcode. A model's checked u64 operation
   * names the one it stands for (model.ts `ArithmeticError`).
   */
  arithmeticSites: { instruction: number; op: ArithmeticOp }[];
}

/** Bytecode instructions that fail with Move's arithmetic error (ARITHMETIC_ERROR). */
export const ARITHMETIC_OPS = ["Add", "Sub", "Mul", "Div", "Mod", "Shl", "CastU8", "CastU16", "CastU32", "CastU64", "CastU128"] as const;
export type ArithmeticOp = (typeof ARITHMETIC_OPS)[number];

export interface MoveModule {
  name: string;
  /** As compiled (self address 0x0). */
  bytes: Uint8Array;
  structs: MoveStruct[];
  functions: MoveFunction[];
  /** Abort constants by name (`const EName: u64 = n;` of this module), checked against the bytecode. */
  aborts: Record<string, number>;
}

export interface CompiledPackage {
  artefact: Artefact;
  modules: MoveModule[];
  /** Package digest as the Sui CLI computes it (over module digests and dependency ids). */
  digest: Uint8Array;
  dependencies: string[];
}

const ABILITY_BITS: [number, Ability][] = [[1, "Copy"], [2, "Drop"], [4, "Store"], [8, "Key"]];
const abilities = (mask: number): Ability[] => ABILITY_BITS.filter(([b]) => (mask & b) !== 0).map(([, a]) => a);
const PRIMITIVES = new Set(["Bool", "U8", "U16", "U32", "U64", "U128", "U256", "Address", "Signer"]);

// The JSON shape of move-bytecode-template's deserialize (CompiledModule, serde).
type Token = string | { [k: string]: unknown };
interface ModuleJson {
  self_module_handle_idx: number;
  module_handles: { address: number; name: number }[];
  datatype_handles: { module: number; name: number; abilities: number; type_parameters: { constraints: number; is_phantom: boolean }[] }[];
  function_handles: { module: number; name: number; parameters: number; return_: number; type_parameters: number[] }[];
  signatures: Token[][];
  identifiers: string[];
  address_identifiers: string[];
  constant_pool: { type_: Token; data: number[] }[];
  struct_defs: { struct_handle: number; field_information: { Declared?: { name: number; signature: Token }[] } }[];
  function_defs: { function: number; visibility: string; is_entry: boolean; code: { code: Token[] } | null }[];
}

function decodeModule(bytes: Uint8Array, sources: Record<string, string>): MoveModule {
  const m = deserialize(bytes) as ModuleJson;
  const id = (i: number) => m.identifiers[i]!;
  const moduleName = id(m.module_handles[m.self_module_handle_idx]!.name);
  const type = (t: Token): NormalizedType => {
    if (typeof t === "string") {
      if (!PRIMITIVES.has(t)) throw new Error(`${moduleName}: unknown signature token ${t}`);
      return t as NormalizedType;
    }
    const [k, v] = Object.entries(t)[0]!;
    switch (k) {
      case "Vector": return { Vector: type(v as Token) };
      case "Reference": return { Reference: type(v as Token) };
      case "MutableReference": return { MutableReference: type(v as Token) };
      case "TypeParameter": return { TypeParameter: v as number };
      case "Datatype": return datatype(v as number, []);
      case "DatatypeInstantiation": {
        const [h, args] = v as [number, Token[]];
        return datatype(h, args.map(type));
      }
    }
    throw new Error(`${moduleName}: unknown signature token ${k}`);
  };
  const datatype = (h: number, typeArguments: NormalizedType[]): NormalizedType => {
    const dh = m.datatype_handles[h]!;
    const mh = m.module_handles[dh.module]!;
    return { Struct: { address: normalizeSuiAddress(m.address_identifiers[mh.address]!), module: id(mh.name), name: id(dh.name), typeArguments } };
  };
  const structs: MoveStruct[] = m.struct_defs.map((sd) => {
    const dh = m.datatype_handles[sd.struct_handle]!;
    return {
      module: moduleName, name: id(dh.name), abilities: abilities(dh.abilities),
      typeParameters: dh.type_parameters.map((p) => ({ constraints: abilities(p.constraints), isPhantom: p.is_phantom })),
      fields: (sd.field_information.Declared ?? []).map((f) => ({ name: id(f.name), type: type(f.signature) })),
    };
  });
  const constant = (k: number): number => {
    const c = m.constant_pool[k]!;
    if (c.type_ !== "U64") throw new Error(`${moduleName}: abort with a non-u64 constant ${JSON.stringify(c.type_)}`);
    return Number(new DataView(Uint8Array.from(c.data).buffer).getBigUint64(0, true));
  };
  const functions: MoveFunction[] = m.function_defs.map((fd, index) => {
    const fh = m.function_handles[fd.function]!;
    const code = fd.code?.code ?? [];
    const abortSites: MoveFunction["abortSites"] = [];
    const arithmeticSites: MoveFunction["arithmeticSites"] = [];
    code.forEach((ins, i) => {
      if (typeof ins === "string" && (ARITHMETIC_OPS as readonly string[]).includes(ins)) arithmeticSites.push({ instruction: i, op: ins as ArithmeticOp });
      if (ins !== "Abort") return;
      const prev = code[i - 1] as { LdConst?: number; LdU64?: string } | string | undefined;
      const value = typeof prev === "object" && prev.LdConst !== undefined ? constant(prev.LdConst)
        : typeof prev === "object" && prev.LdU64 !== undefined ? Number(prev.LdU64) : NaN;
      if (Number.isNaN(value)) throw new Error(`${moduleName}::${id(fh.name)}: abort at ${i} with a computed code; the devnet needs constant codes`);
      abortSites.push({ instruction: i, code: value });
    });
    return {
      module: moduleName, name: id(fh.name), index,
      visibility: fd.visibility as MoveFunction["visibility"], isEntry: fd.is_entry,
      typeParameters: fh.type_parameters.map((c) => ({ abilities: abilities(c) })),
      parameters: m.signatures[fh.parameters]!.map(type),
      return: m.signatures[fh.return_]!.map(type),
      abortSites,
      arithmeticSites,
    };
  });
  return { name: moduleName, bytes, structs, functions, aborts: abortNames(moduleName, sources, functions) };
}

/**
 * Bytecode has no constant names, so the names come from the module's source (`const EName:
 * u64 = n;`, CamelCase after the E as Sui's convention has it), and the bytecode vouches for them: every abort in the compiled module must abort
 * with one of those codes, and no two names may share a code.
 */
function abortNames(moduleName: string, sources: Record<string, string>, functions: MoveFunction[]): Record<string, number> {
  const src = Object.values(sources).find((s) => new RegExp(`^module\\s+\\w+::${moduleName}\\s*;`, "m").test(s));
  if (!src) throw new Error(`no source declares module ${moduleName}`);
  const out: Record<string, number> = {};
  const byCode = new Map<number, string>();
  for (const [, name, value] of src.matchAll(/^const\s+(E[A-Z][A-Za-z0-9]*)\s*:\s*u64\s*=\s*([0-9_]+)\s*;/gm)) {
    const code = Number(value!.replace(/_/g, ""));
    if (byCode.has(code)) throw new Error(`${moduleName}: ${name} and ${byCode.get(code)} share abort code ${code}`);
    byCode.set(code, name!);
    out[name!] = code;
  }
  for (const f of functions) {
    for (const s of f.abortSites) {
      if (!byCode.has(s.code)) throw new Error(`${moduleName}::${f.name} aborts with ${s.code}, which no E constant of the module declares`);
    }
  }
  return out;
}

/** Sui's package digest: blake2b-256 over the sorted module digests and dependency ids. */
export function packageDigest(modules: Uint8Array[], dependencies: string[]): Uint8Array {
  const parts = [
    ...modules.map((b) => blake2b(b, { dkLen: 32 })),
    ...dependencies.map((d) => Uint8Array.from(Buffer.from(normalizeSuiAddress(d).slice(2), "hex"))),
  ].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const h = blake2b.create({ dkLen: 32 });
  for (const p of parts) h.update(p);
  return h.digest();
}

let cached: CompiledPackage | undefined;

/** The compiled package (built first if move/ changed since the last build). */
export function compiledPackage(): CompiledPackage {
  if (cached) return cached;
  const artefact = loadArtefact();
  const sources = publishFiles();
  const modules = artefact.modules.map((b) => decodeModule(Uint8Array.from(Buffer.from(b, "base64")), sources));
  cached = { artefact, modules, digest: Uint8Array.from(artefact.digest), dependencies: artefact.dependencies };
  return cached;
}

export function compiledModule(name: string): MoveModule {
  const m = compiledPackage().modules.find((x) => x.name === name);
  if (!m) throw new Error(`the compiled k3s_daas package has no module ${name}`);
  return m;
}

export function compiledStruct(module: string, name: string): MoveStruct {
  const s = compiledModule(module).structs.find((x) => x.name === name);
  if (!s) throw new Error(`the compiled module k3s_daas::${module} has no struct ${name}`);
  return s;
}

export function compiledFunction(module: string, name: string): MoveFunction | undefined {
  return compiledPackage().modules.find((x) => x.name === module)?.functions.find((f) => f.name === name);
}

/** The abort codes of `names` in `module`, from the compiled package; a missing name is an error. */
export function abortCodes<const N extends string>(module: string, names: readonly N[]): Record<N, number> {
  const aborts = compiledModule(module).aborts;
  const out = {} as Record<N, number>;
  for (const n of names) {
    if (aborts[n] === undefined) throw new Error(`move/ k3s_daas::${module} declares no abort constant ${n} (the devnet model uses it)`);
    out[n] = aborts[n];
  }
  return out;
}

/**
 * The modules as a publish stores them: Sui rewrites the package's self address (0x0) to the
 * new package id before it stores the bytes. Returned in module-name order.
 */
export function publishedModules(packageId: string): { name: string; bytes: Uint8Array }[] {
  const hex = normalizeSuiAddress(packageId).slice(2);
  return compiledPackage().modules
    .map((m) => {
      const json = deserialize(m.bytes) as { address_identifiers: string[] };
      const i = json.address_identifiers.findIndex((a) => normalizeSuiAddress(a) === SELF_ADDRESS);
      if (i < 0) throw new Error(`module ${m.name} has no 0x0 self address to publish at`);
      json.address_identifiers[i] = hex;
      return { name: m.name, bytes: serialize(json) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Replace the package's self address in a normalized type (0x0 in compiled modules). */
export function withPackageId(t: NormalizedType, packageId: string): NormalizedType {
  if (typeof t === "string") return t;
  if ("Vector" in t) return { Vector: withPackageId(t.Vector, packageId) };
  if ("Reference" in t) return { Reference: withPackageId(t.Reference, packageId) };
  if ("MutableReference" in t) return { MutableReference: withPackageId(t.MutableReference, packageId) };
  if ("Struct" in t) {
    const s = t.Struct;
    return { Struct: { ...s, address: s.address === SELF_ADDRESS ? normalizeSuiAddress(packageId) : s.address, typeArguments: s.typeArguments.map((a) => withPackageId(a, packageId)) } };
  }
  return t;
}

export const COMPILER_INFO = { builder: BUILDER, framework: { crate: FRAMEWORK_CRATE, version: FRAMEWORK_CRATE_VERSION, suiTag: FRAMEWORK_SUI_TAG } };
