// Verification of a worker's signed request against the chain: the seal token and its stake are
// objects of the k3s_daas package the control plane serves (exact types: a look-alike of another
// package is refused), the token exists, names the node and its stake, belongs to the stake's
// staker, has not expired; the stake is active (unless deregistering); the signature is by the
// token's worker_pubkey; the timestamp is fresh and the nonce unused.
//
// Order, so that an unauthenticated request spends as little of the RPC quota as possible: every
// check that needs no chain (headers, timestamp window, nonce shape and reuse, the signature's
// shape, the body, a full nonce cache) comes first; then the seal token, which names the key the
// signature must verify against (one read; a token seen in the last TOKEN_CACHE_TTL_MS refuses a
// bad signature with no read at all); the epoch and the stake are read only once the request is
// authenticated. What remains: a well-formed request naming a token id not seen lately costs one
// token read before its signature can be checked (docs/contracts.md).
import type { IncomingMessage } from "node:http";
import { ObjectTypeError } from "../../src/sui";
import { sameObjectId, sealTokenExpired, tokenOwnerProblem, type SealTokenView, type StakeReader, type StakeView } from "../../agent/src/chain";
import {
  H_NODE_ID, H_NONCE, H_SIGNATURE, H_TIMESTAMP, TIMESTAMP_WINDOW_MS, requestSigningString, verifyString,
} from "../../agent/src/protocol";
import { CpError, markAuthenticated } from "./http";
import type { NonceCache } from "./nonce-cache";
import { OBJECT_ID } from "../../src/rules";

/** An ed25519 signature in standard base64: 64 bytes, 88 characters. */
const SIGNATURE_B64 = /^[A-Za-z0-9+/]{86}==$/;

/**
 * Seal tokens as last read, per chain reader, used only to refuse a bad signature (or a token
 * naming another node) without a read. Safe: a token's fields never change on chain (it can only
 * be revoked, i.e. deleted), so a signature that fails against a cached token fails against the
 * chain's too; a request that passes is still checked against a fresh read.
 */
export const TOKEN_CACHE_TTL_MS = 60_000;
const TOKEN_CACHE_MAX = 10_000;
const tokenCaches = new WeakMap<StakeReader, Map<string, { token: SealTokenView; until: number }>>();

function cachedToken(chain: StakeReader, tokenId: string, now: number): SealTokenView | undefined {
  const hit = tokenCaches.get(chain)?.get(tokenId.toLowerCase());
  return hit && hit.until > now ? hit.token : undefined;
}

function cacheToken(chain: StakeReader, tokenId: string, token: SealTokenView, now: number): void {
  let m = tokenCaches.get(chain);
  if (!m) tokenCaches.set(chain, (m = new Map()));
  const key = tokenId.toLowerCase();
  m.delete(key);
  // Only an optimization: forgetting the oldest entry costs a read, never a wrong answer.
  if (m.size >= TOKEN_CACHE_MAX) m.delete(m.keys().next().value!);
  m.set(key, { token, until: now + TOKEN_CACHE_TTL_MS });
}

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

/** Too many requests in the nonce window to remember another: refuse rather than forget one. */
function busy(): CpError {
  return new CpError(503, "busy", "too many signed requests in the last two minutes; retry later");
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
  if (!SIGNATURE_B64.test(sig)) throw new CpError(401, "bad_signature", "signature must be a base64 ed25519 signature (64 bytes)");
  const nonceKey = `${nodeId}:${nonce}`;
  // A replay is refused before any chain read (and again, atomically, once authenticated).
  if (nonces.has(nonceKey)) throw new CpError(409, "replay", "nonce already used (replayed request)");
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
  if (typeof tokenId !== "string" || !OBJECT_ID.test(tokenId)) {
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
  // A request that could not be remembered is not served: refused before any read, unsigned.
  if (nonces.full()) throw busy();
  const signingString = requestSigningString(req.method ?? "", path, ts, nonce, rawBody);
  const checkToken = (token: SealTokenView) => {
    if (token.nodeId !== nodeId) throw new CpError(403, "seal_token_invalid", `seal token does not name node ${nodeId}`);
    // Signature before anything else is trusted from the body.
    if (!verifyString(token.workerPubkey, signingString, sig)) {
      throw new CpError(401, "bad_signature", "signature does not verify against the seal token's worker key");
    }
  };
  const cached = cachedToken(chain, tokenId, Date.now());
  if (cached) checkToken(cached);
  const token = await chain.readSealToken(tokenId).catch(foreign("seal_token_invalid", "seal token"));
  if (!token) throw new CpError(403, "seal_token_invalid", `no seal token on chain for node ${nodeId}`);
  cacheToken(chain, tokenId, token, Date.now());
  checkToken(token);
  // Checked and remembered in one synchronous step: two copies racing cannot both pass.
  const used = nonces.use(nonceKey);
  if (used === "replay") throw new CpError(409, "replay", "nonce already used (replayed request)");
  if (used === "full") throw busy();
  // Authenticated: its reply, refusals from here on included, is signed and bound to it.
  markAuthenticated(req, { nodeId, method: req.method ?? "", path, nonce, signature: sig });
  const [stake, epoch] = await Promise.all([
    chain.readStake(token.stakeId).catch(foreign("stake_invalid", "the seal token's stake")),
    opts.requireActiveStake ? chain.currentEpoch() : Promise.resolve(0n),
  ]);
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
