// Shared setup for the chain tests: a devnet on a random loopback port and funded wallets.
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { requestSuiFromFaucetV2 } from "@mysten/sui/faucet";
import { startDevnet, type Devnet } from "../../devnet/chain/index.js";
import { ChainSession, createSuiClient, type ChainSessionOptions, type ClientWithCoreApi, type SuiTransport } from "../../src/sui/index.js";

export const ONE_SUI = 1_000_000_000n;

export interface Env {
  devnet: Devnet;
  client: ClientWithCoreApi;
  transport: SuiTransport;
}

/**
 * The chain tests run once per front the devnet serves: gRPC (what every real network serves)
 * and the legacy JSON-RPC (still served for old tooling). Both are views of the same chain.
 */
export async function startEnv(
  opts: { lockEpochs?: number; withdrawalCooldownEpochs?: number; minStakeMist?: bigint; transport?: SuiTransport } = {},
): Promise<Env> {
  const devnet = await startDevnet({
    host: "127.0.0.1", port: 0, lockEpochs: opts.lockEpochs ?? 1, withdrawalCooldownEpochs: opts.withdrawalCooldownEpochs, minStakeMist: opts.minStakeMist,
  });
  const transport = opts.transport ?? "grpc";
  return { devnet, client: createSuiClient(devnet.url, { transport }), transport };
}

/** A fresh wallet funded through the HTTP faucet (1000 SUI), the way an operator's tooling would. */
export async function fundedWallet(env: Env): Promise<Ed25519Keypair> {
  const kp = Ed25519Keypair.generate();
  const res = await requestSuiFromFaucetV2({ host: env.devnet.url, recipient: kp.toSuiAddress() });
  await env.client.core.waitForTransaction({ digest: res.coins_sent![0]!.transferTxDigest });
  return kp;
}

export function session(env: Env, kp: Ed25519Keypair, opts?: ChainSessionOptions): ChainSession {
  return new ChainSession(env.client, kp, env.devnet.ids, opts);
}

export async function balanceOf(env: Env, address: string): Promise<bigint> {
  const { balance } = await env.client.core.getBalance({ owner: address });
  return BigInt(balance.balance);
}

export function workerKey(): string {
  return Ed25519Keypair.generate().getPublicKey().toBase64();
}
