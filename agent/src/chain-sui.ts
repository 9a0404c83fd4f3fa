// StakeReader backed by src/sui (the only code that parses Move objects), over the transport
// the config names: gRPC (default; it can push changes) or JSON-RPC (polling only).
import {
  canWatch, createHttpFetch, createSuiClient, currentEpoch, httpFetch, currentEpochInfo, readRegistry, readSealToken, readStakeRecord, readWorkerObjects,
  watchObjects, type SealToken, type StakeRecord, type SuiTransport,
} from "../../src/sui";
import type { SealTokenView, StakeReader, StakeView } from "./chain";

/** Sent with every chain request so a node operator (or the devnet) can tell agents apart. */
export const CLIENT_NAME_HEADER = "x-k3s-daas-client";

const stakeView = (r: StakeRecord | null): StakeView | null => r && { id: r.id, nodeId: r.nodeId, amountMist: r.amountMist, status: r.status };
const tokenView = (t: SealToken | null): SealTokenView | null =>
  t && { id: t.id, stakeId: t.stakeId, nodeId: t.nodeId, workerPubkey: t.workerPubkey, expiresAtEpoch: t.expiresAtEpoch };

export function createSuiStakeReader(
  rpcUrl: string,
  opts: { transport?: SuiTransport; clientName?: string; headers?: Readonly<Record<string, string>>; caCertificates?: string } = {},
): StakeReader {
  const headers = { ...(opts.headers ?? {}), ...(opts.clientName ? { [CLIENT_NAME_HEADER]: opts.clientName } : {}) };
  // node:http, not the global fetch: see src/sui/node-http-fetch.ts (agent memory, issue 15).
  // With a private CA, a pool of its own that trusts it; else the process-wide one.
  const fetch = opts.caCertificates ? createHttpFetch({ ca: opts.caCertificates }) : httpFetch;
  const client = createSuiClient(rpcUrl, { transport: opts.transport, headers, fetch });
  const reader: StakeReader = {
    readStake: async (id) => stakeView(await readStakeRecord(client, id)),
    readSealToken: async (id) => tokenView(await readSealToken(client, id)),
    async readRegistry(id) {
      const r = await readRegistry(client, id);
      return { endpoint: r.endpoint, enclavePubkey: r.enclavePubkey };
    },
    currentEpoch: () => currentEpoch(client),
    epochInfo: () => currentEpochInfo(client),
    async readWorker(ids) {
      const w = await readWorkerObjects(client, ids);
      return { stake: stakeView(w.stake), sealToken: tokenView(w.sealToken), registry: { endpoint: w.registry.endpoint, enclavePubkey: w.registry.enclavePubkey } };
    },
  };
  if (canWatch(client)) {
    reader.watch = (ids, h) => watchObjects(client, ids, {
      onOpen: h.onOpen,
      onChange: (changed) => h.onChange(changed),
      onFrame: () => h.onFrame(),
      onClose: h.onClose,
    });
  }
  return reader;
}
