// How one gRPC service of the devnet is written: the ServiceType that @mysten/sui ships (its
// method names, request and reply MessageTypes) plus a handler per served method. Methods of
// the service without a handler answer UNIMPLEMENTED, as a node does for what it doesn't serve.
import type { ServiceType } from "@protobuf-ts/runtime-rpc";
import { fromBase58, normalizeSuiAddress } from "@mysten/sui/utils";
import { NotModelled, TxRejected } from "../execute.js";
import type { Chain } from "../state.js";
import { GrpcError, GrpcStatusCode } from "./wire.js";

export type Unary = (chain: Chain, req: any) => object | Promise<object>;
export type ServerStream = (chain: Chain, req: any, send: (reply: object) => void, signal: AbortSignal) => Promise<void>;

export interface ServiceImpl {
  service: ServiceType;
  unary?: Record<string, Unary>;
  stream?: Record<string, ServerStream>;
}

/** A transaction the chain refused before execution, as the gRPC status a node gives it. */
export function rejectedStatus(e: unknown): never {
  // The devnet's own limit, not the transaction's fault: said as what it is.
  if (e instanceof NotModelled) throw new GrpcError(GrpcStatusCode.UNIMPLEMENTED, e.message);
  if (e instanceof TxRejected) {
    // State-dependent refusals (stale or missing inputs, short balance) may pass on a retry.
    const precondition = /not available for consumption|has been deleted|Could not find|lower than the needed amount|No valid gas coins/.test(e.message);
    throw new GrpcError(precondition ? GrpcStatusCode.FAILED_PRECONDITION : GrpcStatusCode.INVALID_ARGUMENT, e.message);
  }
  throw e;
}

export const required = <T>(v: T | undefined | null | "", what: string): T => {
  if (v === undefined || v === null || v === "") throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `missing ${what}`);
  return v;
};

/**
 * An address or object id of a request, parsed as a node parses one (sui-sdk-types
 * `Address::from_hex`: hex, `0x` optional, at most 32 bytes, shorter ones padded on the left),
 * else INVALID_ARGUMENT naming the field. Never NOT_FOUND: a malformed id names no object.
 */
export function requestAddress(v: unknown, field: string): string {
  const s = typeof v === "string" ? v : "";
  if (!s) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `missing ${field}`);
  if (!/^(0x)?[0-9a-fA-F]{0,64}$/.test(s)) {
    throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid ${field}: Unable to parse Address (must be hex string of length 32): ${JSON.stringify(s)}`);
  }
  return normalizeSuiAddress(s);
}

/** A transaction digest of a request (base58 of 32 bytes), else INVALID_ARGUMENT naming the field. */
export function requestDigest(v: unknown, field: string): string {
  const s = typeof v === "string" ? v : "";
  if (!s) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `missing ${field}`);
  let n = -1;
  try {
    n = fromBase58(s).length;
  } catch {
    // not base58
  }
  if (n !== 32) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, `invalid ${field}: ${JSON.stringify(s)} is not a digest (base58 of 32 bytes)`);
  return s;
}

export function pageOf<T>(items: T[], pageToken: Uint8Array | undefined, pageSize: number | undefined, key: (t: T) => string) {
  const after = pageToken?.length ? Buffer.from(pageToken).toString("utf8") : null;
  const start = after ? items.findIndex((i) => key(i) === after) + 1 : 0;
  if (after && start === 0) throw new GrpcError(GrpcStatusCode.INVALID_ARGUMENT, "invalid page_token");
  const n = pageSize && pageSize > 0 ? Math.min(pageSize, 1000) : 50;
  const page = items.slice(start, start + n);
  const more = start + n < items.length;
  return { page, nextPageToken: more && page.length ? new Uint8Array(Buffer.from(key(page[page.length - 1]!), "utf8")) : undefined };
}
