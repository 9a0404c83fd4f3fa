// src/sui: the only code in the project that builds transactions for, or parses objects of,
// the k3s_daas Move package. Everything goes through @mysten/sui's transport-neutral core API.
export * from "./types.js";
export { createSuiClient, keypairFromSecret, SUI_TRANSPORTS, type CreateSuiClientOptions, type SuiTransport } from "./client.js";
export { ChainSession, type ChainSessionOptions, type TxOutcome } from "./session.js";
export {
  ChainError, STAKING_ABORTS, GATEWAY_ABORTS, lockedMessage, belowMinimumMessage, coolingDownMessage, type ChainErrorKind, type StakeOperation,
} from "./errors.js";
export { readStakeRecord, readSealToken, readRegistry, readPool, findLiveStake, stakeIdForNode, currentEpoch } from "./read.js";
export { formatSui } from "./format.js";
export type { ClientWithCoreApi } from "@mysten/sui/client";
export { readWorkerObjects, currentEpochInfo, ObjectTypeError, type WorkerObjects } from "./read.js";
export { watchObjects, canWatch, type ObjectChangeHandlers } from "./watch.js";
export { httpFetch, createHttpFetch, HttpFetchResponse, HttpFetchHeaders, type HttpFetch, type HttpFetchInit } from "./node-http-fetch.js";
export { GrpcWebHttpTransport, type GrpcWebHttpOptions } from "./grpc-web-http.js";
export { rpcHeaderIssues, rpcHeaderProblems, rpcHeadersKey, rpcHeadersSchema, sameOrigin, MAX_RPC_HEADERS, type RpcHeaderIssue } from "./headers.js";
export { readWalletLedger, readSlashes, type WalletLedger, type NodeLedger } from "./ledger.js";
