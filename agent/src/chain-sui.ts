// StakeReader backed by src/sui (the only code that parses Move objects), over the transport
// the config names: gRPC (default; it can push changes) or JSON-RPC (polling only). Every read
// checks the object's exact type against the k3s_daas package (its original id): an object of
// any other package, however alike, is an ObjectTypeError, never a view.
import {
  canWatch, createHttpFetch, createSuiClient, currentEpoch, httpFetch, currentEpochInfo, readRegistry, readSealToken, readStakeRecord, readWorkerObjects,
  watchObjects, type SealToken, type StakeRecord, type SuiTransport,
} from "../../src/sui";
import { normalizeObjectId, type SealTokenView, type StakeReader, type StakeView } from "./chain";
import { OBJECT_ID } from "../../src/rules";

/** Sent with every chain request so a node operator (or the devnet) can tell agents apart. */
export const CLIENT_NAME_HEADER = "x-k3s-daas-client";

const stakeView = (r: StakeRecord | null): StakeView | null =>
  r && { id: r.id, nodeId: r.nodeId, staker: r.staker, amountMist: r.amountMist, status: r.status, lockedUntilEpoch: r.lockedUntilEpoch };
const tokenView = (t: SealToken | null): SealTokenView | null =>
  t && { id: t.id, owner: t.owner, stakeId: t.stakeId, nodeId: t.nodeId, workerPubkey: t.workerPubkey, expiresAtEpoch: t.expiresAtEpoch };

function packageIdFrom(id: string): string {
  if (typeof id !== "string" || !OBJECT_ID.test(id)) throw new Error(`not a package id: ${String(id)}`);
  return normalizeObjectId(id);
}

export function createSuiStakeReader(
  rpcUrl: string,
  opts: {
    /**
     * The k3s_daas package's original id (sui.packageId), which every object's type must name.
     * Without it the reader reads nothing until `bindPackage` (the agent's start-up check binds
     * the configured one); pass it.
     */
    packageId?: string;
    transport?: SuiTransport; clientName?: string; headers?: Readonly<Record<string, string>>; caCertificates?: string;
  } = {},
): StakeReader {
  const headers = { ...(opts.headers ?? {}), ...(opts.clientName ? { [CLIENT_NAME_HEADER]: opts.clientName } : {}) };
  // node:http, not the global fetch: see src/sui/node-http-fetch.ts (agent memory, issue 15).
  // With a private CA, a pool of its own that trusts it; else the process-wide one.
  const fetch = opts.caCertificates ? createHttpFetch({ ca: opts.caCertificates }) : httpFetch;
  const client = createSuiClient(rpcUrl, { transport: opts.transport, headers, fetch });
  let bound = opts.packageId === undefined ? undefined : packageIdFrom(opts.packageId);
  const pkg = (): string => {
    if (!bound) throw new Error("no k3s_daas package id to check chain objects against yet (sui.packageId): nothing is read before it is known");
    return bound;
  };
  const reader: StakeReader = {
    get packageId() {
      return bound;
    },
    bindPackage(id) {
      const want = packageIdFrom(id);
      if (bound && bound !== want) throw new Error(`the chain reader checks objects against package ${bound}, not the configured ${want}`);
      bound = want;
    },
    readStake: async (id) => stakeView(await readStakeRecord(client, id, pkg())),
    readSealToken: async (id) => tokenView(await readSealToken(client, id, pkg())),
    async readRegistry(id) {
      const r = await readRegistry(client, id, pkg());
      return { endpoint: r.endpoint, enclavePubkey: r.enclavePubkey };
    },
    currentEpoch: () => currentEpoch(client),
    epochInfo: () => currentEpochInfo(client),
    async readWorker(ids) {
      const w = await readWorkerObjects(client, ids, pkg());
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
