// Start-up checks against the chain: the stake is active and ours, the seal token exists, names
// this node and stake, carries our worker key and has not expired.
import type { AgentConfig } from "./config";
import { sameObjectId, sealTokenExpired, type SealTokenView, type StakeReader, type StakeView } from "./chain";

export class StakeCheckError extends Error {
  override name = "StakeCheckError";
  /** terminal: retrying cannot help (slashed or withdrawn). */
  constructor(message: string, readonly terminal = false) {
    super(message);
  }
}

export async function verifyStakeAndToken(
  cfg: AgentConfig,
  chain: StakeReader,
  workerPubkey: string,
): Promise<{ stake: StakeView; token: SealTokenView }> {
  const [stake, token, epoch] = await Promise.all([
    chain.readStake(cfg.stakeId),
    chain.readSealToken(cfg.sealTokenId),
    chain.currentEpoch(),
  ]);
  if (!stake) throw new StakeCheckError(`stake ${cfg.stakeId} for node ${cfg.nodeId} not found on chain`);
  if (stake.nodeId !== cfg.nodeId) throw new StakeCheckError(`stake ${cfg.stakeId} is for node ${stake.nodeId}, not ${cfg.nodeId}`);
  if (stake.status !== "active") throw new StakeCheckError(`stake for node ${cfg.nodeId} is ${stake.status}`, true);
  // The token's id is a secret in agent output: never name it in a message.
  if (!token) throw new StakeCheckError(`seal token for node ${cfg.nodeId} not found on chain`);
  if (token.nodeId !== cfg.nodeId) throw new StakeCheckError(`seal token names node ${token.nodeId}, not ${cfg.nodeId}`);
  if (!sameObjectId(token.stakeId, cfg.stakeId)) throw new StakeCheckError(`seal token for node ${cfg.nodeId} belongs to another stake`);
  if (token.workerPubkey !== workerPubkey) {
    throw new StakeCheckError(`seal token for node ${cfg.nodeId} carries worker key ${token.workerPubkey}, but this host's key is ${workerPubkey}`);
  }
  if (sealTokenExpired(token.expiresAtEpoch, epoch)) {
    throw new StakeCheckError(`seal token for node ${cfg.nodeId} expired at epoch ${token.expiresAtEpoch} (now ${epoch})`);
  }
  return { stake, token };
}
