// Client and key construction. No module-level clients: every caller owns its client, so tests
// and the Pulumi engine can run several against different networks in one process.
import type { ClientWithCoreApi } from "@mysten/sui/client";
import { SuiJsonRpcClient } from "@mysten/sui/jsonRpc";
import { SuiGrpcClient } from "@mysten/sui/grpc";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { decodeSuiPrivateKey } from "@mysten/sui/cryptography";

export type SuiTransport = "jsonrpc" | "grpc";

export interface CreateSuiClientOptions {
  /** jsonrpc (default; what the devnet serves) or grpc (Sui's recommended transport). */
  transport?: SuiTransport;
  /** Network name the SDK records (affects MVR name resolution only). */
  network?: "mainnet" | "testnet" | "devnet" | "localnet";
}

/** A client exposing `client.core`; src/sui only ever uses the core API, so either transport works. */
export function createSuiClient(url: string, opts: CreateSuiClientOptions = {}): ClientWithCoreApi {
  const network = opts.network ?? "localnet";
  if (opts.transport === "grpc") return new SuiGrpcClient({ baseUrl: url, network });
  return new SuiJsonRpcClient({ url, network });
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
