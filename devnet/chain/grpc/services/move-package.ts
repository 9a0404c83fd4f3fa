// sui.rpc.v2.MovePackageService: functions, datatypes and the package. The k3s_daas answers come
// from the compiled modules (devnet/chain/compiled.ts); the few framework functions the SDK may
// emit come from signatures.ts.
import { GrpcTypes } from "@mysten/sui/grpc";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import { frameworkFunction } from "../../framework.js";
import { compiledFunction, compiledPackage, withPackageId, type Ability, type NormalizedType } from "../../compiled.js";
import type { Chain } from "../../state.js";
import { GrpcError, GrpcStatusCode } from "../wire.js";
import { packageProto } from "../convert.js";
import { required, type ServiceImpl } from "../service.js";

const B = GrpcTypes.OpenSignatureBody_Type;
const R = GrpcTypes.OpenSignature_Reference;
const FRAMEWORK = normalizeSuiAddress("0x2");

const datatype = (typeName: string, params: object[] = []) => ({ type: B.DATATYPE, typeName, typeParameterInstantiation: params });



const PRIMITIVE: Record<string, number> = { Bool: B.BOOL, U8: B.U8, U16: B.U16, U32: B.U32, U64: B.U64, U128: B.U128, U256: B.U256, Address: B.ADDRESS };

/** OpenSignatureBody of a compiled (normalized) type. */
function bodyOf(t: NormalizedType): object {
  if (typeof t === "string") {
    const k = PRIMITIVE[t];
    if (k === undefined) throw new Error(`devnet bug: no OpenSignatureBody for ${t}`);
    return { type: k };
  }
  if ("Vector" in t) return { type: B.VECTOR, typeParameterInstantiation: [bodyOf(t.Vector)] };
  if ("Struct" in t) return datatype(`${normalizeSuiAddress(t.Struct.address)}::${t.Struct.module}::${t.Struct.name}`, t.Struct.typeArguments.map(bodyOf));
  if ("TypeParameter" in t) return { type: B.TYPE_PARAMETER, typeParameter: t.TypeParameter };
  throw new Error("devnet bug: a reference inside a type");
}

function signatureOf(t: NormalizedType) {
  if (typeof t !== "string" && "Reference" in t) return { reference: R.IMMUTABLE, body: bodyOf(t.Reference) };
  if (typeof t !== "string" && "MutableReference" in t) return { reference: R.MUTABLE, body: bodyOf(t.MutableReference) };
  return { body: bodyOf(t) };
}

const ABILITY: Record<Ability, number> = { Copy: GrpcTypes.Ability.COPY, Drop: GrpcTypes.Ability.DROP, Store: GrpcTypes.Ability.STORE, Key: GrpcTypes.Ability.KEY };
const VISIBILITY = { Public: GrpcTypes.FunctionDescriptor_Visibility.PUBLIC, Friend: GrpcTypes.FunctionDescriptor_Visibility.FRIEND, Private: GrpcTypes.FunctionDescriptor_Visibility.PRIVATE };



function packageOf(chain: Chain, pkgIn: string | undefined): "framework" | "k3s" {
  const pkg = normalizeSuiAddress(required(pkgIn, "package_id"));
  if (pkg === FRAMEWORK) return "framework";
  if (pkg === chain.packageId) return "k3s";
  throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Package ${pkg} not found`);
}


export const movePackageService: ServiceImpl = {
  service: GrpcTypes.MovePackageService,
  unary: {
    GetFunction: (chain, req) => {
      const which = packageOf(chain, req.packageId);
      const module = required(req.moduleName as string | undefined, "module_name");
      const name = required(req.name as string | undefined, "name");
      const missing = () => new GrpcError(GrpcStatusCode.NOT_FOUND, `Function ${normalizeSuiAddress(req.packageId)}::${module}::${name} not found`);
      // The framework's from its sources (framework.ts), the package's from its compiled modules.
      const f = which === "framework" ? frameworkFunction(FRAMEWORK, module, name) : compiledFunction(module, name);
      if (!f) throw missing();
      return {
        function: {
          name: f.name, visibility: VISIBILITY[f.visibility], isEntry: f.isEntry,
          typeParameters: f.typeParameters.map((t) => ({ constraints: t.abilities.map((a) => ABILITY[a]), isPhantom: false })),
          parameters: f.parameters.map((t) => signatureOf(withPackageId(t, chain.packageId))),
          returns: f.return.map((t) => signatureOf(withPackageId(t, chain.packageId))),
        },
      };
    },
    GetDatatype: (chain, req) => {
      const which = packageOf(chain, req.packageId);
      const module = required(req.moduleName as string | undefined, "module_name");
      const name = required(req.name as string | undefined, "name");
      const dt = which === "k3s" ? compiledPackage().modules.find((m) => m.name === module)?.structs.find((d) => d.name === name) : undefined;
      if (!dt) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Datatype ${normalizeSuiAddress(req.packageId)}::${module}::${name} not found`);
      return {
        datatype: {
          typeName: `${chain.packageId}::${dt.module}::${dt.name}`, definingId: chain.packageId, module: dt.module, name: dt.name,
          abilities: dt.abilities.map((a) => ABILITY[a]),
          typeParameters: dt.typeParameters.map((t) => ({ constraints: t.constraints.map((a) => ABILITY[a]), isPhantom: t.isPhantom })),
          kind: GrpcTypes.DatatypeDescriptor_DatatypeKind.STRUCT,
          fields: dt.fields.map((fl, position) => ({ name: fl.name, position, type: bodyOf(withPackageId(fl.type, chain.packageId)) })),
          variants: [],
        },
      };
    },
    GetPackage: (chain, req) => {
      if (packageOf(chain, req.packageId) !== "k3s") throw new GrpcError(GrpcStatusCode.NOT_FOUND, "the devnet serves only the k3s_daas package");
      return { package: packageProto(chain.objects.get(chain.packageId)!) };
    },
  },
};
