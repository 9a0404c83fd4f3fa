// Object model of the devnet: what a Sui object is (id, version, digest, owner, type, contents)
// and the BCS layouts of the Move structs the k3s_daas package and the framework define.
// Layouts are written here independently of src/sui on purpose: if both sides shared one
// schema, a layout bug would be invisible to the tests.
import { bcs } from "@mysten/sui/bcs";
import { blake2b } from "@noble/hashes/blake2.js";
import { toBase58 } from "@mysten/sui/utils";

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

/** A Move object or package as the devnet stores it. `fields` is the JS value of the struct. */
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

const Address = bcs.Address;
const TableLayout = bcs.struct("Table", { id: Address, size: bcs.u64() });

// Field order matches the Move struct declarations in move/sources exactly: BCS is positional.
export const LAYOUTS = {
  Coin: bcs.struct("Coin", { id: Address, balance: bcs.u64() }),
  StakingPool: bcs.struct("StakingPool", {
    id: Address,
    balance: bcs.u64(),
    slashed: bcs.u64(),
    min_node_stake: bcs.u64(),
    lock_epochs: bcs.u64(),
    node_stakes: TableLayout,
    total_staked: bcs.u64(),
    total_slashed: bcs.u64(),
    active_stakes: bcs.u64(),
  }),
  AdminCap: bcs.struct("AdminCap", { id: Address, pool_id: Address }),
  StakeRecord: bcs.struct("StakeRecord", {
    id: Address,
    pool_id: Address,
    staker: Address,
    node_id: bcs.string(),
    amount: bcs.u64(),
    status: bcs.u8(),
    staked_at: bcs.u64(),
    locked_until: bcs.u64(),
  }),
  SealToken: bcs.struct("SealToken", {
    id: Address,
    stake_id: Address,
    node_id: bcs.string(),
    worker_pubkey: bcs.byteVector(),
    permissions: bcs.vector(bcs.string()),
    issued_at: bcs.u64(),
    expires_at: bcs.u64(),
  }),
  NautilusRegistry: bcs.struct("NautilusRegistry", {
    id: Address,
    endpoint: bcs.string(),
    enclave_pubkey: bcs.byteVector(),
    updated_at: bcs.u64(),
  }),
  // 0x2::dynamic_field::Field<String, ID>: one entry of StakingPool.node_stakes.
  StringIdField: bcs.struct("Field", { id: Address, name: bcs.string(), value: Address }),
} as const;
export type LayoutName = keyof typeof LAYOUTS;

export function contentsBcs(obj: StoredObject): Uint8Array {
  if (obj.layout === "package") return new Uint8Array();
  return (LAYOUTS[obj.layout] as { serialize(v: unknown): { toBytes(): Uint8Array } })
    .serialize(obj.fields)
    .toBytes();
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

/** Rough JSON-RPC `content.fields` rendering: numbers as strings, bytes as number arrays, UIDs as {id}. */
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
