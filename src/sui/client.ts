// Client and key construction. No module-level clients: every caller owns its client, so tests
// and the Pulumi engine can run several against different networks in one process.
//
// gRPC (sui.rpc.v2, grpc-web over HTTP) is the transport: Sui Foundation switched JSON-RPC off
// on its public full nodes in July 2026 and removed it from sui-node in October 2026. JSON-RPC
// stays selectable only for a private node that still serves it.
import type { ClientWithCoreApi } from "@mysten/sui/client";
import { JsonRpcHTTPTransport, SuiJsonRpcClient } from "@mysten/sui/jsonRpc";
import { SuiGrpcClient } from "@mysten/sui/grpc";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { decodeSuiPrivateKey } from "@mysten/sui/cryptography";
import { GrpcWebHttpTransport } from "./grpc-web-http.js";
import { createHttpFetch, type HttpFetch } from "./node-http-fetch.js";
import { namingFailureCauses, retryingDroppedConnections } from "./retry-fetch.js";

export type SuiTransport = "grpc" | "jsonrpc";
export const SUI_TRANSPORTS: readonly SuiTransport[] = ["grpc", "jsonrpc"];

export interface CreateSuiClientOptions {
  /** "grpc" (default; what every public full node serves) or "jsonrpc" (private nodes only). */
  transport?: SuiTransport;
  /** Network name the SDK records (affects MVR name resolution only). */
  network?: "mainnet" | "testnet" | "devnet" | "localnet";
  /**
   * Extra request headers, e.g. an RPC provider's API key (`{ "x-api-key": "..." }`). Sent as
   * gRPC metadata (HTTP headers) on every call. Values may be secrets: never log them.
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * The HTTP client for every chain request, e.g. node-http-fetch.ts's `httpFetch` (the agent:
   * it keeps undici, and its ~13 MB, out of the process). Unset: the global fetch, through
   * @mysten/sui's own transports (the Pulumi providers).
   */
  fetch?: HttpFetch;
  /**
   * PEM CA certificates trusted besides Node's public ones, for a node whose certificate comes
   * from a private CA. Requests then go through node-http-fetch's client (node:https with these
   * CAs). Not with `fetch`: give that client the CAs (createHttpFetch({ ca })).
   */
  ca?: string;
}

/** The global fetch as the controller's clients use it (see retry-fetch.ts). */
function controllerFetch(): typeof fetch {
  return retryingDroppedConnections(namingFailureCauses(globalThis.fetch));
}

/** A client exposing `client.core`; src/sui only ever uses the core API, so either transport works. */
export function createSuiClient(url: string, opts: CreateSuiClientOptions = {}): ClientWithCoreApi {
  const network = opts.network ?? "localnet";
  const transport = opts.transport ?? "grpc";
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new Error(`Sui RPC URL ${JSON.stringify(url)} is not a URL (expected http(s)://host[:port])`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new Error(`Sui RPC URL ${url} must be http:// or https://`);
  const headers = { ...(opts.headers ?? {}) };
  if (opts.ca && opts.fetch) throw new Error("createSuiClient: give the CA certificates to the fetch client (createHttpFetch({ ca })), not beside it");
  // The controller with a private CA: node:https with those CAs, once more on a dropped connection.
  if (opts.ca) opts = { ...opts, fetch: retryingDroppedConnections(createHttpFetch({ ca: opts.ca })) };
  if (transport === "grpc") {
    const baseUrl = url.replace(/\/+$/, "");
    // The SDK's transport builds request headers with the global Headers (undici), so an
    // injected fetch comes with our transport. Binary framing: the text variant is for browsers.
    if (opts.fetch) return new SuiGrpcClient({ network, transport: new GrpcWebHttpTransport({ baseUrl, meta: headers, fetch: opts.fetch }) });
    // The global fetch, once more on a dropped keep-alive connection, its failures named (retry-fetch.ts).
    return new SuiGrpcClient({ baseUrl, network, format: "binary", meta: headers, fetch: controllerFetch() });
  }
  if (transport !== "jsonrpc") throw new Error(`Sui transport must be "grpc" or "jsonrpc", got ${JSON.stringify(transport)}`);
  // The JSON-RPC transport uses only ok/status/statusText/json() of the reply and passes its
  // headers as a plain record, which HttpFetch covers; its option is typed as the global fetch.
  const fetchOpt = { fetch: opts.fetch ? (opts.fetch as unknown as typeof fetch) : controllerFetch() };
  return new SuiJsonRpcClient({ network, transport: new JsonRpcHTTPTransport({ url, rpc: { url, headers }, ...fetchOpt }) });
}

/**
 * Ed25519 keypair from a `suiprivkey1...` string. Errors never include the input: it is a
 * secret, and error messages end up in logs and Pulumi output.
 */
export function keypairFromSecret(suiprivkey: string): Ed25519Keypair {
  if (typeof suiprivkey !== "string" || !suiprivkey.startsWith("suiprivkey1")) {
    throw new Error("wallet key must be a bech32 'suiprivkey1...' string (sui keytool export)");
  }
  let scheme: string;
  try {
    scheme = decodeSuiPrivateKey(suiprivkey.trim()).scheme;
  } catch {
    throw new Error("wallet key is not a valid 'suiprivkey1...' string (bad checksum or length)");
  }
  if (scheme !== "ED25519") throw new Error(`wallet key scheme ${scheme} is not supported; use an ED25519 key`);
  return Ed25519Keypair.fromSecretKey(suiprivkey.trim());
}
