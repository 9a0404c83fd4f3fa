// Verification of a worker's signed request against the chain: the seal token and its stake are
// objects of the k3s_daas package the control plane serves (exact types: a look-alike of another
// package is refused), the token exists, names the node and its stake, belongs to the stake's
// staker, has not expired; the stake is active (unless deregistering); the signature is by the
// token's worker_pubkey; the timestamp is fresh and the nonce unused.
import type { IncomingMessage } from "node:http";
import { ObjectTypeError } from "../../src/sui";
import { sameObjectId, sealTokenExpired, tokenOwnerProblem, type SealTokenView, type StakeReader, type StakeView } from "../../agent/src/chain";
import {
  H_NODE_ID, H_NONCE, H_SIGNATURE, H_TIMESTAMP, TIMESTAMP_WINDOW_MS, requestSigningString, verifyString,
} from "../../agent/src/protocol";
import { CpError, markAuthenticated } from "./http";
import type { NonceCache } from "./nonce-cache";

export interface VerifiedRequest {
  nodeId: string;
  body: Record<string, unknown>;
  token: SealTokenView;
  stake: StakeView | null;
}

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return typeof v === "string" ? v : "";
}

export async function verifyWorkerRequest(
  req: IncomingMessage,
  path: string,
  rawBody: string,
  chain: StakeReader,
  nonces: NonceCache,
  opts: { requireActiveStake: boolean },
): Promise<VerifiedRequest> {
  const nodeId = header(req, H_NODE_ID), ts = header(req, H_TIMESTAMP);
  const nonce = header(req, H_NONCE), sig = header(req, H_SIGNATURE);
  if (!nodeId || !ts || !nonce || !sig) throw new CpError(401, "unsigned", "request is not signed");
  if (!/^\d{1,15}$/.test(ts) || Math.abs(Date.now() - Number(ts)) > TIMESTAMP_WINDOW_MS) {
    throw new CpError(401, "stale_timestamp", "request timestamp outside the accepted window");
  }
  if (!/^[0-9a-zA-Z_-]{16,128}$/.test(nonce)) throw new CpError(400, "bad_nonce", "nonce must be 16-128 url-safe characters");
  let body: Record<string, unknown>;
  try {
    const j: unknown = JSON.parse(rawBody);
    if (!j || typeof j !== "object" || Array.isArray(j)) throw new Error();
    body = j as Record<string, unknown>;
  } catch {
    throw new CpError(400, "bad_request", "body must be a JSON object");
  }
  if (body.node_id !== nodeId) throw new CpError(400, "bad_request", "node_id does not match the signed node id");
  const tokenId = body.seal_token_id;
  if (typeof tokenId !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(tokenId)) {
    throw new CpError(400, "bad_request", "seal_token_id missing or malformed");
  }
  // A look-alike from another package is a refusal, not a chain failure (502): name both types,
  // never the token's id.
  const foreign = (code: string, what: string) => (err: unknown) => {
    if (err instanceof ObjectTypeError) {
      throw new CpError(403, code, `${what} for node ${nodeId} is a ${err.actualType}, not a ${err.expectedType}: ` +
        "objects of any other package than this control plane's k3s_daas package are refused");
    }
    throw err;
  };
  const [token, epoch] = await Promise.all([chain.readSealToken(tokenId).catch(foreign("seal_token_invalid", "seal token")), chain.currentEpoch()]);
  if (!token) throw new CpError(403, "seal_token_invalid", `no seal token on chain for node ${nodeId}`);
  if (token.nodeId !== nodeId) throw new CpError(403, "seal_token_invalid", `seal token does not name node ${nodeId}`);
  // Signature before anything else is trusted from the body.
  if (!verifyString(token.workerPubkey, requestSigningString(req.method ?? "", path, ts, nonce, rawBody), sig)) {
    throw new CpError(401, "bad_signature", "signature does not verify against the seal token's worker key");
  }
  // Checked and remembered in one synchronous step: two copies racing cannot both pass.
  if (!nonces.use(`${nodeId}:${nonce}`)) throw new CpError(409, "replay", "nonce already used (replayed request)");
  // Authenticated: its reply, refusals from here on included, is signed and bound to it.
  markAuthenticated(req, { nodeId, method: req.method ?? "", path, nonce, signature: sig });
  const stake = await chain.readStake(token.stakeId).catch(foreign("stake_invalid", "the seal token's stake"));
  // Only the stake's staker can hold a token of it (the Move package sends it there and it cannot
  // move); one held by anyone else speaks for no stake.
  const owner = stake && tokenOwnerProblem(token, stake);
  if (owner) throw new CpError(403, "seal_token_invalid", owner);
  if (opts.requireActiveStake) {
    if (sealTokenExpired(token.expiresAtEpoch, epoch)) throw new CpError(403, "seal_token_expired", `seal token for node ${nodeId} has expired`);
    if (!stake || stake.nodeId !== nodeId) throw new CpError(403, "stake_invalid", `no stake on chain for node ${nodeId}`);
    if (stake.status !== "active") throw new CpError(403, "stake_inactive", `stake for node ${nodeId} is ${stake.status}`);
    if (typeof body.stake_object_id === "string" && !sameObjectId(body.stake_object_id, stake.id)) {
      throw new CpError(403, "stake_invalid", "stake_object_id is not the seal token's stake");
    }
  }
  return { nodeId, body, token, stake };
}
