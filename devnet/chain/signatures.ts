// Signatures of the Move functions the devnet can call, in two forms: the parameter kinds the
// executor uses to decode PTB arguments, and the normalized JSON that
// sui_getNormalizedMoveFunction returns (the SDK resolves tx.object()/tx.pure() args from it).

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
}

const obj = (layout: string, ref: "imm" | "mut" | "val"): Param => ({ kind: "object", layout, ref });

export const K3S_FUNCTIONS: FunctionSig[] = [
  { module: "staking", name: "stake_for_node", index: 1, returns: [],
    params: [obj("StakingPool", "mut"), obj("Coin", "val"), { kind: "string" }] },
  { module: "staking", name: "withdraw_stake", index: 2, returns: ["Coin"],
    params: [obj("StakingPool", "mut"), obj("StakeRecord", "mut")] },
  { module: "staking", name: "slash_stake", index: 3, returns: [],
    params: [obj("AdminCap", "imm"), obj("StakingPool", "mut"), obj("StakeRecord", "mut"), { kind: "u64" }, { kind: "string" }] },
  { module: "staking", name: "set_pool_params", index: 4, returns: [],
    params: [obj("AdminCap", "imm"), obj("StakingPool", "mut"), { kind: "u64" }, { kind: "u64" }] },
  { module: "k8s_gateway", name: "create_worker_seal_token", index: 1, returns: [],
    params: [obj("StakeRecord", "imm"), { kind: "bytes" }] },
  { module: "k8s_gateway", name: "revoke_seal_token", index: 2, returns: [],
    params: [obj("SealToken", "val")] },
  { module: "k8s_gateway", name: "set_registry", index: 3, returns: [],
    params: [obj("AdminCap", "imm"), obj("StakingPool", "imm"), obj("NautilusRegistry", "mut"), { kind: "string" }, { kind: "bytes" }] },
];

/** Framework functions the SDK may emit. Their params reference Coin<SUI> only. */
export const FRAMEWORK_FUNCTIONS: FunctionSig[] = [
  { module: "transfer", name: "public_transfer", index: 0, returns: [], params: [obj("Coin", "val"), { kind: "address" }] },
  { module: "coin", name: "split", index: 0, returns: ["Coin"], params: [obj("Coin", "mut"), { kind: "u64" }] },
  { module: "coin", name: "join", index: 0, returns: [], params: [obj("Coin", "mut"), obj("Coin", "val")] },
  { module: "coin", name: "destroy_zero", index: 0, returns: [], params: [obj("Coin", "val")] },
];

const STRUCT_MODULE: Record<string, string> = {
  StakingPool: "staking", AdminCap: "staking", StakeRecord: "staking",
  SealToken: "k8s_gateway", NautilusRegistry: "k8s_gateway",
};

function structJson(pkg: string, layout: string): unknown {
  if (layout === "Coin") {
    return { Struct: { address: "0x2", module: "coin", name: "Coin", typeArguments: [{ Struct: { address: "0x2", module: "sui", name: "SUI", typeArguments: [] } }] } };
  }
  return { Struct: { address: pkg, module: STRUCT_MODULE[layout], name: layout, typeArguments: [] } };
}

function paramJson(pkg: string, p: Param): unknown {
  switch (p.kind) {
    case "u64": return "U64";
    case "address": return "Address";
    case "bytes": return { Vector: "U8" };
    case "string": return { Struct: { address: "0x1", module: "string", name: "String", typeArguments: [] } };
    case "object": {
      const s = structJson(pkg, p.layout);
      return p.ref === "imm" ? { Reference: s } : p.ref === "mut" ? { MutableReference: s } : s;
    }
  }
}

const TX_CONTEXT = { MutableReference: { Struct: { address: "0x2", module: "tx_context", name: "TxContext", typeArguments: [] } } };

/** The sui_getNormalizedMoveFunction result for one function. */
export function normalizedFunction(pkg: string, sig: FunctionSig, framework: boolean): unknown {
  const withCtx = !framework && sig.name !== "revoke_seal_token";
  return {
    visibility: "Public",
    isEntry: false,
    typeParameters: framework ? [{ abilities: ["Store"] }] : [],
    parameters: [...sig.params.map((p) => paramJson(pkg, p)), ...(withCtx ? [TX_CONTEXT] : [])],
    return: sig.returns.map((l) => structJson(pkg, l)),
  };
}
