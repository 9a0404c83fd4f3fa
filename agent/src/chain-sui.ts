// StakeReader backed by src/sui (the only code that parses Move objects).
import { createSuiClient, currentEpoch, readRegistry, readSealToken, readStakeRecord } from "../../src/sui";
import type { StakeReader } from "./chain";

export function createSuiStakeReader(rpcUrl: string): StakeReader {
  const client = createSuiClient(rpcUrl);
  return {
    async readStake(id) {
      const r = await readStakeRecord(client, id);
      return r && { id: r.id, nodeId: r.nodeId, amountMist: r.amountMist, status: r.status };
    },
    async readSealToken(id) {
      const t = await readSealToken(client, id);
      return t && { id: t.id, stakeId: t.stakeId, nodeId: t.nodeId, workerPubkey: t.workerPubkey, expiresAtEpoch: t.expiresAtEpoch };
    },
    async readRegistry(id) {
      const r = await readRegistry(client, id);
      return { endpoint: r.endpoint, enclavePubkey: r.enclavePubkey };
    },
    currentEpoch: () => currentEpoch(client),
  };
}
