// The devnet's package is the compiled package: the package object holds the compiled module
// bytes (its digest is over them), and what the devnet answers about functions, layouts and
// abort codes is what the compiled modules say, as src/sui's hand-written tables must be too.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { deserialize, serialize } from "@mysten/move-bytecode-template";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import type { BcsType } from "@mysten/sui/bcs";
import {
  SELF_ADDRESS, compiledModule, compiledPackage, packageDigest, withPackageId, type NormalizedType,
} from "../../devnet/chain/compiled.js";
import { LAYOUTS, computeObjectDigest, encodeEvent, type PackageFields, type StoredObject } from "../../devnet/chain/objects.js";
import { K3S_FUNCTIONS } from "../../devnet/chain/signatures.js";
import { PACKAGE_CALLS } from "../../devnet/chain/execute.js";
import { GATEWAY_ABORTS, STAKING_ABORTS } from "../../src/sui/index.js";
import {
  NautilusRegistryBcs, SealTokenBcs, StakeAddedBcs, StakeRecordBcs, StakeReducedBcs, StakeTransferredBcs, StakeWithdrawnBcs, StakingPoolBcs,
  WithdrawalRequestedBcs,
} from "../../src/sui/layouts.js";
import { startEnv, type Env } from "../chain/helpers.js";

const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Undo the publish's address rewrite: the module as the compiler emitted it. */
function unpublish(bytes: Uint8Array, packageId: string): Uint8Array {
  const json = deserialize(bytes) as { address_identifiers: string[] };
  const i = json.address_identifiers.findIndex((a) => normalizeSuiAddress(a) === normalizeSuiAddress(packageId));
  assert.ok(i >= 0, "published module does not name the package id");
  json.address_identifiers[i] = SELF_ADDRESS.slice(2);
  return serialize(json);
}

/** One rendering for both the compiled types and the core API's parsed ones. */
function render(t: NormalizedType): string {
  if (typeof t === "string") return t.toLowerCase();
  if ("Reference" in t) return `&${render(t.Reference)}`;
  if ("MutableReference" in t) return `&mut ${render(t.MutableReference)}`;
  if ("Vector" in t) return `vector<${render(t.Vector)}>`;
  if ("TypeParameter" in t) return `T${t.TypeParameter}`;
  const s = t.Struct;
  return `${normalizeSuiAddress(s.address)}::${s.module}::${s.name}${s.typeArguments.length ? `<${s.typeArguments.map(render).join(",")}>` : ""}`;
}
type CoreBody = { $kind: string; vector?: CoreBody; datatype?: { typeName: string; typeParameters: CoreBody[] }; index?: number };
function renderCore(p: { reference: string | null; body: CoreBody }): string {
  const body = (b: CoreBody): string => b.$kind === "vector" ? `vector<${body(b.vector!)}>`
    : b.$kind === "datatype" ? `${b.datatype!.typeName}${b.datatype!.typeParameters.length ? `<${b.datatype!.typeParameters.map(body).join(",")}>` : ""}`
    : b.$kind === "typeParameter" ? `T${b.index}` : b.$kind;
  return `${p.reference === "immutable" ? "&" : p.reference === "mutable" ? "&mut " : ""}${body(p.body)}`;
}

describe("the devnet publishes the compiled package", () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(async () => {
    await env.devnet.close();
  });

  test("the package object holds the compiled modules; its digests come from their bytes", async () => {
    const pkgId = env.devnet.ids.packageId;
    const compiled = compiledPackage();
    const obj = env.devnet.chain.objects.get(pkgId)!;
    const fields = obj.fields as unknown as PackageFields;
    assert.deepEqual(fields.modules.map((m) => m.name), ["k8s_gateway", "staking"]);
    for (const m of fields.modules) {
      const own = compiled.modules.find((c) => c.name === m.name)!;
      assert.equal(hexOf(unpublish(m.bytes, pkgId)), hexOf(own.bytes), `${m.name}: published bytes are the compiled module at ${pkgId}`);
    }
    // The package digest the compiler printed is the one over these bytes.
    const unpublished = fields.modules.map((m) => unpublish(m.bytes, pkgId));
    assert.equal(hexOf(packageDigest(unpublished, compiled.dependencies)), hexOf(Uint8Array.from(compiled.artefact.digest)));
    assert.equal(hexOf(fields.digest), hexOf(Uint8Array.from(compiled.artefact.digest)));
    // The object digest clients see covers the module bytes: one flipped byte changes it.
    const { object } = await env.client.core.getObject({ objectId: pkgId });
    assert.equal(object.digest, obj.digest);
    assert.equal(object.digest, computeObjectDigest(obj));
    const flipped: StoredObject = structuredClone(obj);
    const f = (flipped.fields as unknown as PackageFields).modules[0]!.bytes;
    f[f.length - 1] = f[f.length - 1]! ^ 1;
    assert.notEqual(computeObjectDigest(flipped), obj.digest);
    assert.deepEqual(fields.linkage.map((l) => BigInt(l.originalId)), [1n, 2n]);
    assert.ok(fields.typeOrigins.some((t) => t.moduleName === "staking" && t.datatypeName === "StakeRecord" && t.package === pkgId));
  });

  test("getMoveFunction answers every public function as compiled", async () => {
    const pkgId = env.devnet.ids.packageId;
    let n = 0;
    for (const m of compiledPackage().modules) {
      for (const f of m.functions.filter((x) => x.visibility === "Public")) {
        const { function: got } = await env.client.core.getMoveFunction({ packageId: pkgId, moduleName: m.name, name: f.name });
        assert.deepEqual(got.parameters.map((p) => renderCore(p as never)), f.parameters.map((t) => render(withPackageId(t, pkgId))), `${m.name}::${f.name} parameters`);
        assert.deepEqual(got.returns.map((p) => renderCore(p as never)), f.return.map((t) => render(withPackageId(t, pkgId))), `${m.name}::${f.name} returns`);
        assert.equal(got.isEntry, f.isEntry);
        n++;
      }
    }
    assert.ok(n >= 25, `only ${n} public functions`);
  });

  test("every public function is modelled by the devnet, or is a read accessor", () => {
    const executable = K3S_FUNCTIONS.map((s) => `${s.module}::${s.name}`).sort();
    assert.deepEqual(executable, Object.keys(PACKAGE_CALLS).sort(), "executable compiled functions vs the model's");
    for (const s of K3S_FUNCTIONS) {
      assert.equal(s.index, s.compiled!.index);
      assert.equal(s.params.length, s.compiled!.parameters.filter((t) => !render(t).endsWith("::tx_context::TxContext")).length);
    }
    const isObject = (t: NormalizedType) => typeof t === "object" && "Struct" in t && t.Struct.address === SELF_ADDRESS;
    for (const m of compiledPackage().modules) {
      for (const f of m.functions.filter((x) => x.visibility === "Public" && !executable.includes(`${m.name}::${x.name}`))) {
        const readOnly = f.parameters.every((t) => typeof t === "string" || "Reference" in t || !isObject(t)) && !f.return.some(isObject);
        assert.ok(readOnly, `${m.name}::${f.name} changes state but the devnet has no model for it`);
      }
    }
  });

  test("src/sui's layouts (objects and the events it reads) are the compiled structs, field for field", () => {
    const pairs: [keyof typeof LAYOUTS, string, BcsType<Record<string, unknown>>][] = [
      ["StakingPool", "staking", StakingPoolBcs as never], ["StakeRecord", "staking", StakeRecordBcs as never],
      ["SealToken", "k8s_gateway", SealTokenBcs as never], ["NautilusRegistry", "k8s_gateway", NautilusRegistryBcs as never],
    ];
    const events: [string, string, BcsType<Record<string, unknown>>][] = [
      ["StakeAdded", "staking", StakeAddedBcs as never], ["StakeReduced", "staking", StakeReducedBcs as never],
      ["StakeWithdrawn", "staking", StakeWithdrawnBcs as never], ["WithdrawalRequested", "staking", WithdrawalRequestedBcs as never],
      ["StakeTransferred", "staking", StakeTransferredBcs as never],
    ];
    for (const [name, module, src] of [...pairs, ...events]) {
      const s = compiledModule(module).structs.find((x) => x.name === name)!;
      // A sample with a distinct value per field, encoded with the compiled layout...
      const sample: Record<string, unknown> = {};
      s.fields.forEach((f, i) => {
        const t = render(f.type);
        sample[f.name] = t.includes("::table::Table") ? { id: normalizeSuiAddress(`0x${i + 50}`), size: BigInt(i) }
          : t === "u64" || t.includes("::balance::Balance") ? BigInt(1000 + i)
          : t === "u8" ? i
          : t === "address" || t.includes("::object::") ? normalizeSuiAddress(`0x${i + 1}`)
          : t === "vector<u8>" ? Uint8Array.from([i, i + 1])
          : t.startsWith("vector<") && t.includes("::string::String") ? [`a${i}`, `b${i}`]
          : t.includes("::string::String") ? `s${i}`
          : assert.fail(`no sample for ${t}`);
      });
      const bytes = name in LAYOUTS ? (LAYOUTS[name as keyof typeof LAYOUTS] as BcsType<unknown>).serialize(sample).toBytes() : encodeEvent(module, name, sample).bcs;
      // ...reads back through src/sui's layout with the same names in the same order.
      const parsed = src.parse(bytes);
      assert.deepEqual(Object.keys(parsed), s.fields.map((f) => f.name), `${name} field order`);
      assert.equal(hexOf(src.serialize(parsed as never).toBytes()), hexOf(bytes), `${name} encoding`);
    }
  });

  test("abort codes: src/sui's tables and the model are the compiled modules' constants", () => {
    assert.deepEqual({ ...STAKING_ABORTS }, compiledModule("staking").aborts);
    assert.deepEqual({ ...GATEWAY_ABORTS }, compiledModule("k8s_gateway").aborts);
  });
});
