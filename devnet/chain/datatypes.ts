// The k3s_daas structs (move/sources), field by field in declaration order: what
// MovePackageService.GetDatatype answers. objects.ts holds their BCS layouts; a test checks both
// agree field for field.
export type FieldType = "u8" | "u64" | "address" | "UID" | "ID" | "String" | "vector<u8>" | "vector<String>" | "Balance<SUI>" | "Table<String, ID>";

export interface Datatype {
  module: "staking" | "k8s_gateway";
  name: string;
  abilities: ("copy" | "drop" | "store" | "key")[];
  fields: [string, FieldType][];
}

export const DATATYPES: Datatype[] = [
  { module: "staking", name: "StakingPool", abilities: ["key"], fields: [
    ["id", "UID"], ["balance", "Balance<SUI>"], ["slashed", "Balance<SUI>"], ["min_node_stake", "u64"], ["lock_epochs", "u64"],
    ["node_stakes", "Table<String, ID>"], ["total_staked", "u64"], ["total_slashed", "u64"], ["active_stakes", "u64"]] },
  { module: "staking", name: "AdminCap", abilities: ["key", "store"], fields: [["id", "UID"], ["pool_id", "ID"]] },
  { module: "staking", name: "StakeRecord", abilities: ["key"], fields: [
    ["id", "UID"], ["pool_id", "ID"], ["staker", "address"], ["node_id", "String"], ["amount", "u64"], ["status", "u8"],
    ["staked_at", "u64"], ["locked_until", "u64"]] },
  { module: "k8s_gateway", name: "SealToken", abilities: ["key"], fields: [
    ["id", "UID"], ["stake_id", "ID"], ["node_id", "String"], ["worker_pubkey", "vector<u8>"], ["permissions", "vector<String>"],
    ["issued_at", "u64"], ["expires_at", "u64"]] },
  { module: "k8s_gateway", name: "NautilusRegistry", abilities: ["key"], fields: [
    ["id", "UID"], ["endpoint", "String"], ["enclave_pubkey", "vector<u8>"], ["updated_at", "u64"]] },
];
