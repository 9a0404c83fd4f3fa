// One ChainSession per wallet and network for the life of the provider process. The engine runs
// every stake and seal-token operation of an `up` in the same dynamic-provider process, so
// sharing the session shares its ParallelTransactionExecutor: transactions from one wallet never
// pick the same gas coin, however many workers there are.
import { ChainSession, createSuiClient, keypairFromSecret, rpcHeadersKey, type ChainIds, type ClientWithCoreApi } from "../../sui";
import type { ChainInputs } from "./chain-inputs";

interface Entry {
  client: ClientWithCoreApi;
  session: ChainSession;
}

const sessions = new Map<string, Entry>();
const clients = new Map<string, ClientWithCoreApi>();

export function chainIds(i: ChainInputs): ChainIds {
  // The admin cap id is unused by an operator's transactions; a placeholder keeps the type whole.
  return { packageId: i.packageId, poolId: i.poolId, registryId: i.registryId, adminCapId: i.adminCapId ?? "0x0" };
}

export function clientFor(i: Pick<ChainInputs, "rpcUrl" | "transport" | "rpcHeaders" | "rpcCaCertificates">): ClientWithCoreApi {
  // The headers and CAs are part of the key (in memory only): a rotated API key gets a new client.
  const key = `${i.transport}|${i.rpcUrl}|${rpcHeadersKey(i.rpcHeaders)}|${i.rpcCaCertificates ?? ""}`;
  let c = clients.get(key);
  if (!c) {
    c = createSuiClient(i.rpcUrl, { transport: i.transport, headers: i.rpcHeaders, ...(i.rpcCaCertificates ? { ca: i.rpcCaCertificates } : {}) });
    clients.set(key, c);
  }
  return c;
}

function sessionKey(i: ChainInputs, address: string): string {
  return [i.transport, i.rpcUrl, rpcHeadersKey(i.rpcHeaders), i.rpcCaCertificates ?? "", i.packageId, i.poolId, address].join("|");
}

export function sessionFor(i: ChainInputs, opts: { gasCoinMist?: bigint } = {}): Entry {
  const signer = keypairFromSecret(i.walletKey);
  const key = sessionKey(i, signer.toSuiAddress());
  let e = sessions.get(key);
  if (!e) {
    const client = clientFor(i);
    e = { client, session: new ChainSession(client, signer, chainIds(i), { gasCoinMist: opts.gasCoinMist }) };
    sessions.set(key, e);
  }
  return e;
}

/** Forget every cached session, as a fresh provider process would start. */
export function resetSessions(): void {
  sessions.clear();
}

const STALE_INPUTS = /not available for consumption|validator signing failed|equivocat|locked by a different transaction/i;

/**
 * Runs `fn` with the wallet's session. If the chain refuses the transaction because a gas coin
 * the session cached was spent elsewhere (the same wallet used by another process, such as the
 * run that crashed before this one), the session is rebuilt from the chain and `fn` retried once.
 */
export async function withSession<T>(i: ChainInputs, opts: { gasCoinMist?: bigint }, fn: (e: Entry) => Promise<T>): Promise<T> {
  try {
    return await fn(sessionFor(i, opts));
  } catch (err) {
    if (!(err instanceof Error) || !STALE_INPUTS.test(err.message)) throw err;
    const signer = keypairFromSecret(i.walletKey);
    sessions.delete(sessionKey(i, signer.toSuiAddress()));
    return fn(sessionFor(i, opts));
  }
}
