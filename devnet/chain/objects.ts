// Object model of the devnet: what a Sui object is (id, version, digest, owner, type, contents)
// and the BCS layouts of the Move structs. The k3s_daas structs' layouts (objects and events)
// are read from the compiled package (compiled.ts), field for field; only framework types
// (UID, ID, String, Balance, Table, Option, Coin<SUI>, dynamic fields) are mapped here, the way
// Sui lays them out. The JSON a node renders (gRPC `json` of objects, events, command outputs)
// is read back from the BCS through the same layouts (`moveJson`), as a node renders it from
// the object's contents. src/sui has its own hand-written layouts on purpose: tests compare the two.
import { bcs, type BcsType } from "@mysten/sui/bcs";
import { blake2b } from "@noble/hashes/blake2.js";
import { normalizeStructTag, normalizeSuiAddress, parseStructTag, toBase58, toBase64 } from "@mysten/sui/utils";
import { SELF_ADDRESS, compiledPackage, publishedModules, type MoveStruct, type NormalizedType } from "./compiled.js";

export type Owner =
  | { AddressOwner: string }
  | { ObjectOwner: string }
  | { Shared: { initialSharedVersion: bigint } }
  | { Immutable: true };

export const SUI_COIN_TYPE =
  "0x0000000000000000000000000000000000000000000000000000000000000002::coin::Coin<0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI>";
export const SUI_TYPE = "0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI";
export const STRING_TYPE = "0x0000000000000000000000000000000000000000000000000000000000000001::string::String";
export const ID_TYPE = "0x0000000000000000000000000000000000000000000000000000000000000002::object::ID";

/**
 * A Move object or package as the devnet stores it. `fields` is the JS value of the struct; for
 * the package (layout "package") it is a PackageFields.
 */
export interface StoredObject {
  id: string;
  version: bigint;
  digest: string;
  owner: Owner;
  /** Full, normalized struct tag; "package" for packages. */
  type: string;
  /** Name of the layout in LAYOUTS (e.g. "Coin", "StakeRecord"); "package" for packages. */
  layout: LayoutName | "package";
  fields: Record<string, unknown>;
  hasPublicTransfer: boolean;
  previousTransaction: string;
  storageRebate: bigint;
}

/**
 * The published package's contents, as Sui's MovePackage holds them: the module bytes (self
 * address rewritten to the package id), by module name in name order; the type origin table;
 * the linkage table (the framework packages it was linked against). `digest` is the package
 * digest the Sui CLI prints for the compiled modules.
 */
export interface PackageFields {
  modules: { name: string; bytes: Uint8Array }[];
  typeOrigins: { moduleName: string; datatypeName: string; package: string }[];
  linkage: { originalId: string; upgradedId: string; upgradedVersion: bigint }[];
  digest: Uint8Array;
}

const Address = bcs.Address;

const FW = normalizeSuiAddress("0x2");
const STD = normalizeSuiAddress("0x1");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyBcs = BcsType<any, any>;
type StructType = Extract<NormalizedType, { Struct: unknown }>["Struct"];
type Field = { name: string; type: NormalizedType };

const fwType = (address: string, module: string, name: string, typeArguments: NormalizedType[] = []): NormalizedType =>
  ({ Struct: { address, module, name, typeArguments } });
const UID_T = fwType(FW, "object", "UID");

/**
 * The framework structs the devnet stores, field for field as the Sui framework declares them
 * (test/chain/full-node.test.ts reads the framework sources and checks them); `TypeParameter n`
 * is the struct's n-th type argument. Everything else is either the package's own (read from the
 * compiled modules) or one of the types a node treats as a value of its own (UID, ID, String,
 * Balance, Option: `leafKind`).
 */
export const FRAMEWORK_STRUCTS: Record<string, Field[]> = {
  "0x2::table::Table": [{ name: "id", type: UID_T }, { name: "size", type: "U64" }],
  "0x2::coin::Coin": [{ name: "id", type: UID_T }, { name: "balance", type: fwType(FW, "balance", "Balance", [{ TypeParameter: 0 }]) }],
  "0x2::clock::Clock": [{ name: "id", type: UID_T }, { name: "timestamp_ms", type: "U64" }],
  "0x2::dynamic_field::Field": [{ name: "id", type: UID_T }, { name: "name", type: { TypeParameter: 0 } }, { name: "value", type: { TypeParameter: 1 } }],
};

const shortKey = (s: StructType) => `${s.address === FW ? "0x2" : s.address === STD ? "0x1" : s.address === SELF_ADDRESS ? "self" : s.address}::${s.module}::${s.name}`;

/**
 * The framework types Sui's RPC renders as values rather than as structs (sui-types
 * `object/rpc_visitor.rs`): UID and ID as the id, both strings as the string, Balance as its
 * u64, Option as its value or null. Their BCS is the same value's.
 */
function leafKind(s: StructType): "id" | "string" | "balance" | "option" | undefined {
  switch (shortKey(s)) {
    case "0x2::object::UID": case "0x2::object::ID": return "id";
    case "0x1::string::String": case "0x1::ascii::String": return "string";
    case "0x2::balance::Balance": return "balance";
    case "0x1::option::Option": return "option";
  }
  return undefined;
}

function substitute(t: NormalizedType, args: NormalizedType[]): NormalizedType {
  if (typeof t === "string") return t;
  if ("TypeParameter" in t) return args[t.TypeParameter] ?? t;
  if ("Vector" in t) return { Vector: substitute(t.Vector, args) };
  if ("Struct" in t) return { Struct: { ...t.Struct, typeArguments: t.Struct.typeArguments.map((a) => substitute(a, args)) } };
  return t;
}

/**
 * The fields of a struct type: a framework struct's from FRAMEWORK_STRUCTS, the package's own
 * from the compiled modules (at the self address, or at any other address: a copy of the package
 * published elsewhere has the same layouts).
 */
function structFields(s: StructType, where: string): Field[] {
  const key = shortKey(s);
  const fw = FRAMEWORK_STRUCTS[key];
  if (fw) return fw.map((f) => ({ name: f.name, type: substitute(f.type, s.typeArguments) }));
  if (s.address === FW || s.address === STD) {
    throw new Error(`${where}: the devnet has no layout for the framework type ${key} (add it to FRAMEWORK_STRUCTS in devnet/chain/objects.ts)`);
  }
  return packageStruct(s.module, s.name).fields;
}

/** BCS of a Move type as Sui lays it out; the package's own structs are read from the compiled modules. */
function bcsOf(t: NormalizedType, where: string): AnyBcs {
  if (typeof t === "string") {
    switch (t) {
      case "Bool": return bcs.bool();
      case "U8": return bcs.u8();
      case "U16": return bcs.u16();
      case "U32": return bcs.u32();
      case "U64": return bcs.u64();
      case "U128": return bcs.u128();
      case "U256": return bcs.u256();
      case "Address": case "Signer": return Address;
    }
    throw new Error(`${where}: no BCS for ${t}`);
  }
  if ("Vector" in t) return t.Vector === "U8" ? bcs.byteVector() : bcs.vector(bcsOf(t.Vector, where));
  if (!("Struct" in t)) throw new Error(`${where}: no BCS for ${JSON.stringify(t)}`);
  switch (leafKind(t.Struct)) {
    case "id": return Address;
    case "string": return bcs.string();
    case "balance": return bcs.u64();
    case "option": return bcs.option(bcsOf(t.Struct.typeArguments[0]!, where));
  }
  const fields: Record<string, AnyBcs> = {};
  for (const f of structFields(t.Struct, where)) fields[f.name] = bcsOf(f.type, `${where}.${f.name}`);
  return bcs.struct(t.Struct.name, fields);
}

/**
 * A Move value as a Sui full node renders it in gRPC `json` fields (objects, events, command
 * outputs): sui-types `object/rpc_visitor.rs` applied to the value decoded from its BCS with the
 * layout above. bool as a boolean; u8, u16, u32 as numbers; u64, u128, u256 as decimal strings;
 * an address as "0x" and 64 hex digits; vector<u8> as base64, other vectors as lists; UID and ID
 * as the id; String as the string; Balance as its u64; Option as its value or null; any other
 * struct (Table, Coin, the package's own) as an object of its fields in declaration order.
 */
function renderJson(t: NormalizedType, v: unknown, where: string): unknown {
  if (typeof t === "string") {
    switch (t) {
      case "Bool": return v as boolean;
      case "U8": case "U16": case "U32": return Number(v);
      case "U64": case "U128": case "U256": return BigInt(v as string).toString();
      case "Address": case "Signer": return normalizeSuiAddress(v as string);
    }
    throw new Error(`${where}: no JSON for ${t}`);
  }
  if ("Vector" in t) {
    return t.Vector === "U8" ? toBase64(v as Uint8Array) : (v as unknown[]).map((x, i) => renderJson(t.Vector, x, `${where}[${i}]`));
  }
  if (!("Struct" in t)) throw new Error(`${where}: no JSON for ${JSON.stringify(t)}`);
  switch (leafKind(t.Struct)) {
    case "id": return normalizeSuiAddress(v as string);
    case "string": return v as string;
    case "balance": return BigInt(v as string).toString();
    case "option": return v === null || v === undefined ? null : renderJson(t.Struct.typeArguments[0]!, v, where);
  }
  const obj = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of structFields(t.Struct, where)) out[f.name] = renderJson(f.type, obj[f.name], `${where}.${f.name}`);
  return out;
}

/** The node's JSON of the BCS value `bytes` of Move type `t` (decoded with the type's layout). */
export function moveJson(t: NormalizedType, bytes: Uint8Array, where = "value"): unknown {
  return renderJson(t, bcsOf(t, where).parse(bytes), where);
}

/**
 * A type tag as a Move type ("u64", "vector<u8>", "0x2::coin::Coin<0x2::sui::SUI>", an event's
 * `<package>::module::Name`), in the normalized shape the layouts above take.
 */
export function typeOfTag(tag: string): NormalizedType {
  const s = tag.trim();
  const prim: Record<string, NormalizedType> = { bool: "Bool", u8: "U8", u16: "U16", u32: "U32", u64: "U64", u128: "U128", u256: "U256", address: "Address", signer: "Signer" };
  if (prim[s]) return prim[s]!;
  const vec = /^vector<(.*)>$/s.exec(s);
  if (vec) return { Vector: typeOfTag(vec[1]!) };
  const st = parseStructTag(s);
  const of = (p: string | ReturnType<typeof parseStructTag>): NormalizedType => (typeof p === "string" ? typeOfTag(p) : typeOfTag(normalizeStructTag(p)));
  return { Struct: { address: normalizeSuiAddress(st.address), module: st.module, name: st.name, typeArguments: st.typeParams.map(of) } };
}

/** The node's JSON of a value named by its type tag; undefined when the devnet has no layout for it (a node leaves `json` unset then). */
export function taggedJson(tag: string, bytes: Uint8Array): unknown {
  try {
    return moveJson(typeOfTag(tag), bytes, tag);
  } catch {
    return undefined;
  }
}

/**
 * BCS of a Move value of type `t` (a type of the compiled package: its own structs at the self
 * address), laid out as Sui lays it out: what a function's return value is on the wire.
 */
export function valueBcs(t: NormalizedType, value: unknown, where: string): Uint8Array {
  return bcsOf(t, where).serialize(value).toBytes();
}

/** The canonical type tag of `t` (full-length addresses, the package's own at `packageId`), as a node names a value's type. */
export function typeTagOf(t: NormalizedType, packageId: string): string {
  if (typeof t === "string") return t.toLowerCase();
  if ("Vector" in t) return `vector<${typeTagOf(t.Vector, packageId)}>`;
  if ("Struct" in t) {
    const { address, module, name, typeArguments } = t.Struct;
    const a = address === SELF_ADDRESS ? normalizeSuiAddress(packageId) : normalizeSuiAddress(address);
    return `${a}::${module}::${name}${typeArguments.length ? `<${typeArguments.map((x) => typeTagOf(x, packageId)).join(",")}>` : ""}`;
  }
  throw new Error(`no type tag for ${JSON.stringify(t)} (a reference or type parameter is not a value type)`);
}

function packageStruct(module: string, name: string): MoveStruct {
  for (const m of compiledPackage().modules) {
    const s = m.structs.find((x) => x.name === name && (module === "" || x.module === module));
    if (s) return s;
  }
  throw new Error(`the compiled k3s_daas package has no struct ${module ? `${module}::` : ""}${name} (the devnet model uses it)`);
}

const packageType = (s: MoveStruct): NormalizedType => ({ Struct: { address: SELF_ADDRESS, module: s.module, name: s.name, typeArguments: [] } });

function structLayout(s: MoveStruct): AnyBcs {
  return bcsOf(packageType(s), `${s.module}::${s.name}`);
}

/** The package's object types the model stores, by layout name (the struct's name). */
const PACKAGE_OBJECTS = ["StakingPool", "AdminCap", "StakeRecord", "SealToken", "NautilusRegistry"] as const;
type PackageObject = (typeof PACKAGE_OBJECTS)[number];

/** Module of each package object type, from the compiled package. */
export const LAYOUT_MODULE = Object.fromEntries(PACKAGE_OBJECTS.map((n) => [n, packageStruct("", n).module])) as Record<PackageObject, string>;

/** Field names in declaration order (BCS is positional), from the compiled package. */
export const LAYOUT_FIELDS = Object.fromEntries(PACKAGE_OBJECTS.map((n) => [n, packageStruct("", n).fields.map((f) => f.name)])) as Record<PackageObject, string[]>;

/** The Move type of each layout the devnet stores objects in. */
export const LAYOUT_TYPES = {
  Coin: fwType(FW, "coin", "Coin", [fwType(FW, "sui", "SUI")]),
  // 0x2::clock::Clock, the shared object 0x6 (its timestamp follows the checkpoints: state.ts).
  Clock: fwType(FW, "clock", "Clock"),
  ...(Object.fromEntries(PACKAGE_OBJECTS.map((n) => [n, packageType(packageStruct("", n))])) as Record<PackageObject, NormalizedType>),
  // 0x2::dynamic_field::Field<String, ID>: one entry of StakingPool.node_stakes.
  StringIdField: fwType(FW, "dynamic_field", "Field", [fwType(STD, "string", "String"), fwType(FW, "object", "ID")]),
};

export const LAYOUTS = Object.fromEntries(Object.entries(LAYOUT_TYPES).map(([n, t]) => [n, bcsOf(t, n)])) as Record<keyof typeof LAYOUT_TYPES, AnyBcs>;
export type LayoutName = keyof typeof LAYOUTS;

/**
 * The contents of k3s_daas published at `packageId`: the compiled modules (self address
 * rewritten to the id, as Sui's publish does), every struct's origin at this package, and the
 * framework packages it links against (version 1 on the devnet).
 */
export function publishedPackageFields(packageId: string): PackageFields {
  const pkg = compiledPackage();
  const id = normalizeSuiAddress(packageId);
  return {
    modules: publishedModules(id),
    typeOrigins: pkg.modules.flatMap((m) => m.structs.map((st) => ({ moduleName: m.name, datatypeName: st.name, package: id })))
      .sort((a, b) => `${a.moduleName}::${a.datatypeName}` < `${b.moduleName}::${b.datatypeName}` ? -1 : 1),
    linkage: pkg.dependencies.map((d) => ({ originalId: normalizeSuiAddress(d), upgradedId: normalizeSuiAddress(d), upgradedVersion: 1n })),
    digest: pkg.digest,
  };
}

// Sui's MovePackage (the `Package` arm of an object's data), for the package object's contents.
const MovePackageBcs = bcs.struct("MovePackage", {
  id: Address,
  version: bcs.u64(),
  module_map: bcs.map(bcs.string(), bcs.byteVector()),
  type_origin_table: bcs.vector(bcs.struct("TypeOrigin", { module_name: bcs.string(), datatype_name: bcs.string(), package: Address })),
  linkage_table: bcs.map(Address, bcs.struct("UpgradeInfo", { upgraded_id: Address, upgraded_version: bcs.u64() })),
});

/** BCS of the package object: a MovePackage holding the compiled module bytes. */
export function packageBcs(obj: StoredObject): Uint8Array {
  const p = obj.fields as unknown as PackageFields;
  return MovePackageBcs.serialize({
    id: obj.id,
    version: obj.version,
    module_map: new Map(p.modules.map((m) => [m.name, m.bytes])),
    type_origin_table: p.typeOrigins.map((t) => ({ module_name: t.moduleName, datatype_name: t.datatypeName, package: t.package })),
    linkage_table: new Map(p.linkage.map((l) => [l.originalId, { upgraded_id: l.upgradedId, upgraded_version: l.upgradedVersion }])),
  }).toBytes();
}

/**
 * BCS contents of an object. A package object's struct fields must be exactly the compiled
 * struct's: a model that misses or invents a field fails here instead of encoding garbage.
 */
export function contentsBcs(obj: StoredObject): Uint8Array {
  if (obj.layout === "package") return packageBcs(obj);
  if (obj.layout in LAYOUT_FIELDS) checkFields(obj.layout, LAYOUT_FIELDS[obj.layout as PackageObject], obj.fields);
  return (LAYOUTS[obj.layout] as AnyBcs).serialize(obj.fields).toBytes();
}

function checkFields(what: string, want: string[], fields: Record<string, unknown>) {
  const have = Object.keys(fields);
  if (have.length !== want.length || want.some((f) => !(f in fields))) {
    throw new Error(`devnet model out of step with move/: ${what} has fields {${have.join(", ")}}, the compiled struct {${want.join(", ")}}`);
  }
}

/** An event of the package: BCS and the JSON rendering, both from the compiled event struct. */
export function encodeEvent(module: string, name: string, fields: Record<string, unknown>): { bcs: Uint8Array; parsedJson: Record<string, unknown> } {
  const s = packageStruct(module, name);
  if (!s.abilities.includes("Copy") || !s.abilities.includes("Drop")) throw new Error(`${module}::${name} is not an event struct (copy, drop)`);
  checkFields(`event ${module}::${name}`, s.fields.map((f) => f.name), fields);
  const parsedJson: Record<string, unknown> = {};
  for (const f of s.fields) parsedJson[f.name] = jsonValue(fields[f.name]);
  return { bcs: structLayout(s).serialize(fields).toBytes(), parsedJson };
}

/** Move values as JSON-RPC renders them in parsedJson: u64 as strings, bytes as number arrays (gRPC's `json` is `moveJson`). */
function jsonValue(v: unknown): unknown {
  if (typeof v === "bigint") return String(v);
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(jsonValue);
  return v;
}

/** Sui-style 32-byte digest, base58. */
export function digestOf(...parts: Uint8Array[]): string {
  const h = blake2b.create({ dkLen: 32 });
  for (const p of parts) h.update(p);
  return toBase58(h.digest());
}

const enc = new TextEncoder();
function u64Bytes(v: bigint): Uint8Array {
  return bcs.u64().serialize(v).toBytes();
}

/** Object digest over everything that identifies this version of the object. */
export function computeObjectDigest(obj: StoredObject): string {
  return digestOf(
    enc.encode("ObjectDigest::"),
    enc.encode(obj.id),
    u64Bytes(obj.version),
    enc.encode(obj.type),
    enc.encode(ownerKey(obj.owner)),
    contentsBcs(obj),
  );
}

export function ownerKey(owner: Owner): string {
  if ("AddressOwner" in owner) return `a:${owner.AddressOwner}`;
  if ("ObjectOwner" in owner) return `o:${owner.ObjectOwner}`;
  if ("Shared" in owner) return `s:${owner.Shared.initialSharedVersion}`;
  return "i";
}

/** Owner as the JSON-RPC API renders it. */
export function ownerJson(owner: Owner): unknown {
  if ("AddressOwner" in owner) return { AddressOwner: owner.AddressOwner };
  if ("ObjectOwner" in owner) return { ObjectOwner: owner.ObjectOwner };
  if ("Shared" in owner) return { Shared: { initial_shared_version: Number(owner.Shared.initialSharedVersion) } };
  return "Immutable";
}

/** Owner in the BCS shape of bcs.Owner (effects). */
export function ownerBcs(owner: Owner): Parameters<typeof bcs.Owner.serialize>[0] {
  if ("AddressOwner" in owner) return { AddressOwner: owner.AddressOwner };
  if ("ObjectOwner" in owner) return { ObjectOwner: owner.ObjectOwner };
  if ("Shared" in owner) return { Shared: { initialSharedVersion: owner.Shared.initialSharedVersion } };
  return { Immutable: true };
}

/** An object's gRPC `json`, as a node renders it from its contents; none for a package (as on a node). */
export function objectJson(obj: StoredObject, contents: Uint8Array = contentsBcs(obj)): unknown {
  if (obj.layout === "package") return undefined;
  return moveJson(LAYOUT_TYPES[obj.layout], contents, obj.type);
}

/** Rough JSON-RPC `content.fields` rendering (the legacy JSON-RPC front's shape, not gRPC's): numbers as strings, bytes as number arrays, UIDs as {id}. */
export function fieldsJson(obj: StoredObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj.fields)) {
    if (k === "id") out[k] = { id: v };
    else if (k === "balance" && obj.layout === "Coin") out[k] = String(v);
    else if (k === "node_stakes" && typeof v === "object" && v) {
      const t = v as { id: string; size: bigint };
      out[k] = { type: `0x2::table::Table<${STRING_TYPE}, ${ID_TYPE}>`, fields: { id: { id: t.id }, size: String(t.size) } };
    } else if (typeof v === "bigint") out[k] = String(v);
    else if (v instanceof Uint8Array) out[k] = Array.from(v);
    else out[k] = v;
  }
  return out;
}
