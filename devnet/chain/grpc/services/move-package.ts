// sui.rpc.v2.MovePackageService: functions, datatypes and the package, from the signatures and
// layouts the devnet executes with (devnet/chain/signatures.ts, datatypes.ts).
import { GrpcTypes } from "@mysten/sui/grpc";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import { FRAMEWORK_FUNCTIONS, K3S_FUNCTIONS, type FunctionSig, type Param } from "../../signatures.js";
import { DATATYPES, type FieldType } from "../../datatypes.js";
import type { Chain } from "../../state.js";
import { GrpcError, GrpcStatusCode } from "../wire.js";
import { required, type ServiceImpl } from "../service.js";

const B = GrpcTypes.OpenSignatureBody_Type;
const R = GrpcTypes.OpenSignature_Reference;
const FRAMEWORK = normalizeSuiAddress("0x2");

const datatype = (typeName: string, params: object[] = []) => ({ type: B.DATATYPE, typeName, typeParameterInstantiation: params });
const TX_CONTEXT = { reference: R.MUTABLE, body: datatype(`${FRAMEWORK}::tx_context::TxContext`) };

function coinBody(framework: boolean) {
  // Framework coin functions are generic (Coin<T>); the k3s_daas package takes Coin<SUI>.
  return datatype(`${FRAMEWORK}::coin::Coin`, [framework ? { type: B.TYPE_PARAMETER, typeParameter: 0 } : datatype(`${FRAMEWORK}::sui::SUI`)]);
}

function paramBody(pkg: string, p: Param, framework: boolean): object {
  switch (p.kind) {
    case "u64": return { type: B.U64 };
    case "address": return { type: B.ADDRESS };
    case "bytes": return { type: B.VECTOR, typeParameterInstantiation: [{ type: B.U8 }] };
    case "string": return datatype(`${normalizeSuiAddress("0x1")}::string::String`);
    case "object": {
      if (p.layout === "Coin") return coinBody(framework);
      const dt = DATATYPES.find((d) => d.name === p.layout);
      if (!dt) throw new Error(`devnet bug: no datatype for ${p.layout}`);
      return datatype(`${pkg}::${dt.module}::${dt.name}`);
    }
  }
}

function openSignature(pkg: string, p: Param, framework: boolean) {
  const body = paramBody(pkg, p, framework);
  const reference = p.kind === "object" && p.ref === "imm" ? R.IMMUTABLE : p.kind === "object" && p.ref === "mut" ? R.MUTABLE : undefined;
  return { reference, body };
}

function descriptor(pkg: string, sig: FunctionSig, framework: boolean) {
  // public_transfer<T: key + store>(obj: T, recipient): its object parameter is the type parameter.
  const isTransfer = framework && sig.module === "transfer";
  const params = sig.params.map((p, i) => (isTransfer && i === 0 ? { body: { type: B.TYPE_PARAMETER, typeParameter: 0 } } : openSignature(pkg, p, framework)));
  const takesCtx = framework ? sig.module === "coin" && sig.name === "split" : sig.name !== "revoke_seal_token";
  return {
    name: sig.name,
    visibility: GrpcTypes.FunctionDescriptor_Visibility.PUBLIC,
    isEntry: false,
    typeParameters: framework ? [{ constraints: isTransfer ? [GrpcTypes.Ability.KEY, GrpcTypes.Ability.STORE] : [], isPhantom: false }] : [],
    parameters: [...params, ...(takesCtx ? [TX_CONTEXT] : [])],
    returns: sig.returns.map((l) => ({ body: l === "Coin" ? coinBody(framework) : paramBody(pkg, { kind: "object", layout: l, ref: "val" }, framework) })),
  };
}

function fieldBody(pkg: string, t: FieldType): object {
  switch (t) {
    case "u8": return { type: B.U8 };
    case "u64": return { type: B.U64 };
    case "address": return { type: B.ADDRESS };
    case "UID": return datatype(`${FRAMEWORK}::object::UID`);
    case "ID": return datatype(`${FRAMEWORK}::object::ID`);
    case "String": return datatype(`${normalizeSuiAddress("0x1")}::string::String`);
    case "vector<u8>": return { type: B.VECTOR, typeParameterInstantiation: [{ type: B.U8 }] };
    case "vector<String>": return { type: B.VECTOR, typeParameterInstantiation: [datatype(`${normalizeSuiAddress("0x1")}::string::String`)] };
    case "Balance<SUI>": return datatype(`${FRAMEWORK}::balance::Balance`, [datatype(`${FRAMEWORK}::sui::SUI`)]);
    case "Table<String, ID>": return datatype(`${FRAMEWORK}::table::Table`, [datatype(`${normalizeSuiAddress("0x1")}::string::String`), datatype(`${FRAMEWORK}::object::ID`)]);
  }
  void pkg;
}

function packageOf(chain: Chain, pkgIn: string | undefined): "framework" | "k3s" {
  const pkg = normalizeSuiAddress(required(pkgIn, "package_id"));
  if (pkg === FRAMEWORK) return "framework";
  if (pkg === chain.packageId) return "k3s";
  throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Package ${pkg} not found`);
}

const ABILITY: Record<string, number> = { copy: GrpcTypes.Ability.COPY, drop: GrpcTypes.Ability.DROP, store: GrpcTypes.Ability.STORE, key: GrpcTypes.Ability.KEY };

export const movePackageService: ServiceImpl = {
  service: GrpcTypes.MovePackageService,
  unary: {
    GetFunction: (chain, req) => {
      const which = packageOf(chain, req.packageId);
      const module = required(req.moduleName as string | undefined, "module_name");
      const name = required(req.name as string | undefined, "name");
      const table = which === "framework" ? FRAMEWORK_FUNCTIONS : K3S_FUNCTIONS;
      const sig = table.find((f) => f.module === module && f.name === name);
      if (!sig) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Function ${normalizeSuiAddress(req.packageId)}::${module}::${name} not found`);
      return { function: descriptor(chain.packageId, sig, which === "framework") };
    },
    GetDatatype: (chain, req) => {
      const which = packageOf(chain, req.packageId);
      const module = required(req.moduleName as string | undefined, "module_name");
      const name = required(req.name as string | undefined, "name");
      const dt = which === "k3s" ? DATATYPES.find((d) => d.module === module && d.name === name) : undefined;
      if (!dt) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Datatype ${normalizeSuiAddress(req.packageId)}::${module}::${name} not found`);
      return {
        datatype: {
          typeName: `${chain.packageId}::${dt.module}::${dt.name}`, definingId: chain.packageId, module: dt.module, name: dt.name,
          abilities: dt.abilities.map((a) => ABILITY[a]!), typeParameters: [], kind: GrpcTypes.DatatypeDescriptor_DatatypeKind.STRUCT,
          fields: dt.fields.map(([fname, t], position) => ({ name: fname, position, type: fieldBody(chain.packageId, t) })),
          variants: [],
        },
      };
    },
    GetPackage: (chain, req) => {
      if (packageOf(chain, req.packageId) !== "k3s") throw new GrpcError(GrpcStatusCode.NOT_FOUND, "the devnet serves only the k3s_daas package");
      const pkg = chain.objects.get(chain.packageId)!;
      const modules = (pkg.fields.modules as { name: string; bytes: Uint8Array }[] | undefined) ?? [];
      return { package: { storageId: pkg.id, originalId: pkg.id, version: pkg.version, modules: modules.map((m) => ({ name: m.name, contents: m.bytes })), typeOrigins: [], linkage: [] } };
    },
  },
};
