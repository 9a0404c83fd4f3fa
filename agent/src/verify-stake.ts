// Start-up checks against the chain: the stake and the seal token are objects of the configured
// k3s_daas package (not look-alikes of another package), the stake is active and ours, the seal
// token exists, belongs to the stake's staker, names this node and stake, carries our worker key
// and has not expired.
import { ObjectTypeError } from "../../src/sui";
import type { AgentConfig } from "./config";
import { sameObjectId, sealTokenExpired, tokenOwnerProblem, type SealTokenView, type StakeReader, type StakeView } from "./chain";

export class StakeCheckError extends Error {
  override name = "StakeCheckError";
  /** terminal: retrying cannot help (slashed, leaving or withdrawn: a stake never becomes active again). */
  constructor(message: string, readonly terminal = false) {
    super(message);
  }
}

export async function verifyStakeAndToken(
  cfg: AgentConfig,
  chain: StakeReader,
  workerPubkey: string,
): Promise<{ stake: StakeView; token: SealTokenView }> {
  // Every object must be of the configured package: bind the reader to it (a reader made for
  // another package refuses) before anything is read.
  try {
    chain.bindPackage?.(cfg.sui.packageId);
  } catch (err) {
    throw new StakeCheckError((err as Error).message);
  }
  const foreign = (what: string) => (err: unknown) => {
    if (err instanceof ObjectTypeError) {
      throw new StakeCheckError(`${what} for node ${cfg.nodeId} is not an object of the configured k3s_daas package ${cfg.sui.packageId}: ` +
        `it is a ${err.actualType} (a look-alike from another package is refused)`);
    }
    throw err;
  };
  const [stake, token, epoch] = await Promise.all([
    chain.readStake(cfg.stakeId).catch(foreign(`stake ${cfg.stakeId}`)),
    // The token's id is a secret in agent output: never name it in a message.
    chain.readSealToken(cfg.sealTokenId).catch(foreign("seal token")),
    chain.currentEpoch(),
  ]);
  if (!stake) throw new StakeCheckError(`stake ${cfg.stakeId} for node ${cfg.nodeId} not found on chain`);
  if (stake.nodeId !== cfg.nodeId) throw new StakeCheckError(`stake ${cfg.stakeId} is for node ${stake.nodeId}, not ${cfg.nodeId}`);
  if (stake.status !== "active") {
    // Terminal for every status but active: a leaving stake (full withdrawal requested) is on its
    // way out like a withdrawn one, and a stake never becomes active again.
    const why = stake.status === "leaving" ? " (a full withdrawal of it was requested)" : "";
    throw new StakeCheckError(`stake for node ${cfg.nodeId} is ${stake.status}${why}`, true);
  }
  if (!token) throw new StakeCheckError(`seal token for node ${cfg.nodeId} not found on chain`);
  if (token.nodeId !== cfg.nodeId) throw new StakeCheckError(`seal token names node ${token.nodeId}, not ${cfg.nodeId}`);
  if (!sameObjectId(token.stakeId, cfg.stakeId)) throw new StakeCheckError(`seal token for node ${cfg.nodeId} belongs to another stake`);
  const owner = tokenOwnerProblem(token, stake);
  if (owner) throw new StakeCheckError(owner);
  if (token.workerPubkey !== workerPubkey) {
    throw new StakeCheckError(`seal token for node ${cfg.nodeId} carries worker key ${token.workerPubkey}, but this host's key is ${workerPubkey}`);
  }
  if (sealTokenExpired(token.expiresAtEpoch, epoch)) {
    throw new StakeCheckError(`seal token for node ${cfg.nodeId} expired at epoch ${token.expiresAtEpoch} (now ${epoch})`);
  }
  return { stake, token };
}
