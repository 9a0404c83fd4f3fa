// sui.rpc.v2.StateService: owned objects, balances, coin info, dynamic fields.
import { bcs } from "@mysten/sui/bcs";
import { GrpcTypes } from "@mysten/sui/grpc";
import { normalizeStructTag } from "@mysten/sui/utils";
import { ID_TYPE, STRING_TYPE, SUI_COIN_TYPE, SUI_TYPE, type StoredObject } from "../../objects.js";
import type { Chain } from "../../state.js";
import { objectProto } from "../convert.js";
import { GrpcError, GrpcStatusCode } from "../wire.js";
import { pageOf, requestAddress, required, type ServiceImpl } from "../service.js";
import { masked } from "../mask.js";

const OWNED_DEFAULT = ["object_id", "version", "object_type"];
const DYNAMIC_FIELD_DEFAULT = ["parent", "field_id"];

function typeMatches(objectType: string, filter: string): boolean {
  let want: string;
  try {
    want = normalizeStructTag(filter);
  } catch {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid object_type filter ${filter}`);
  }
  // A filter without type parameters matches every instantiation, as on a full node.
  return objectType === want || (!want.includes("<") && objectType.startsWith(`${want}<`));
}

function isSui(coinType: string | undefined): boolean {
  if (!coinType) return true;
  try {
    return normalizeStructTag(coinType) === normalizeStructTag(SUI_TYPE);
  } catch {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid coin_type ${coinType}`);
  }
}

function suiCoins(chain: Chain, owner: string): StoredObject[] {
  return [...chain.objects.values()].filter((o) => o.type === SUI_COIN_TYPE && "AddressOwner" in o.owner && o.owner.AddressOwner === owner);
}

function balanceOf(chain: Chain, owner: string) {
  const total = suiCoins(chain, owner).reduce((s, o) => s + (o.fields.balance as bigint), 0n);
  // No address balances on the devnet: everything is in coins.
  return { coinType: normalizeStructTag(SUI_TYPE), balance: total, coinBalance: total, addressBalance: 0n };
}

export const stateService: ServiceImpl = {
  service: GrpcTypes.StateService,
  unary: {
    ListOwnedObjects: (chain, req) => {
      const owner = requestAddress(req.owner, "owner");
      const items = [...chain.objects.values()]
        .filter((o) => "AddressOwner" in o.owner && o.owner.AddressOwner === owner && (!req.objectType || typeMatches(o.type, req.objectType)))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const { page, nextPageToken } = pageOf(items, req.pageToken, req.pageSize, (o) => o.id);
      const paths = req.readMask?.paths?.length ? req.readMask.paths : OWNED_DEFAULT;
      return { objects: page.map((o) => masked(GrpcTypes.Object, objectProto(o), paths)), nextPageToken };
    },
    GetBalance: (chain, req) => {
      const owner = requestAddress(req.owner, "owner");
      const coinType = required(req.coinType as string | undefined, "coin_type");
      if (!isSui(coinType)) return { balance: { coinType: normalizeStructTag(coinType), balance: 0n, coinBalance: 0n, addressBalance: 0n } };
      return { balance: balanceOf(chain, owner) };
    },
    ListBalances: (chain, req) => {
      const owner = requestAddress(req.owner, "owner");
      const b = balanceOf(chain, owner);
      return { balances: b.balance > 0n ? [b] : [] };
    },
    GetCoinInfo: (_chain, req) => {
      const coinType = required(req.coinType as string | undefined, "coin_type");
      if (!isSui(coinType)) throw new GrpcError(GrpcStatusCode.NOT_FOUND, `Coin type ${coinType} not found`);
      return {
        coinType: normalizeStructTag(SUI_TYPE),
        metadata: { decimals: 9, name: "Sui", symbol: "SUI", description: "", iconUrl: undefined },
      };
    },
    ListDynamicFields: (chain, req) => {
      const parent = requestAddress(req.parent, "parent");
      // The devnet's only dynamic fields are Table<String, ID> entries (StakingPool.node_stakes).
      const items = [...chain.objects.values()]
        .filter((o) => "ObjectOwner" in o.owner && o.owner.ObjectOwner === parent && o.layout === "StringIdField")
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const { page, nextPageToken } = pageOf(items, req.pageToken, req.pageSize, (o) => o.id);
      const paths = req.readMask?.paths?.length ? req.readMask.paths : DYNAMIC_FIELD_DEFAULT;
      return {
        dynamicFields: page.map((o) => masked(GrpcTypes.DynamicField, GrpcTypes.DynamicField.create({
          kind: GrpcTypes.DynamicField_DynamicFieldKind.FIELD,
          parent,
          fieldId: o.id,
          fieldObject: objectProto(o),
          name: { name: STRING_TYPE, value: bcs.string().serialize(o.fields.name as string).toBytes() },
          value: { name: ID_TYPE, value: bcs.Address.serialize(o.fields.value as string).toBytes() },
          valueType: ID_TYPE,
        }), paths)),
        nextPageToken,
      };
    },
  },
};
