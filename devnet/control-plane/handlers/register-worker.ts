// POST /api/v1/register-worker: admit a worker whose seal token and active stake are on chain.
import type { IncomingMessage, ServerResponse } from "node:http";
import { PATH_REGISTER } from "../../../agent/src/protocol";
import { readBody, sendReply, wantedReplyVersion } from "../http";
import { superseded, type CpContext } from "../state";
import { normalizeObjectId } from "../../../agent/src/chain";
import { verifyWorkerRequest } from "../verify";

export async function registerWorker(ctx: CpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const v = await verifyWorkerRequest(req, PATH_REGISTER, await readBody(req), ctx.chain, ctx.nonces, { requireActiveStake: true });
  const tokenId = normalizeObjectId(v.token.id);
  // A move is one-way: a token that a newer worker key replaced never registers the node again.
  if (ctx.retiredTokens.get(v.nodeId)?.has(tokenId)) throw superseded(v.nodeId);
  const prev = ctx.workers.get(v.nodeId);
  // The latest registration wins: a node moved to a new host registers with the new host's key,
  // and the old key's heartbeats, deregistration and registrations are refused from then on.
  const moved = prev !== undefined && prev.worker_pubkey !== v.token.workerPubkey;
  if (moved) {
    let retired = ctx.retiredTokens.get(v.nodeId);
    if (!retired) ctx.retiredTokens.set(v.nodeId, (retired = new Set()));
    retired.add(prev.seal_token_id);
  }
  ctx.workers.set(v.nodeId, {
    node_id: v.nodeId,
    stake_object_id: v.token.stakeId,
    worker_pubkey: v.token.workerPubkey,
    seal_token_id: tokenId,
    registered_at: new Date().toISOString(),
    last_heartbeat_at: prev?.last_heartbeat_at ?? null,
    last_heartbeat: prev?.last_heartbeat ?? null,
    heartbeats: prev?.heartbeats ?? 0,
    reply_version: wantedReplyVersion(req) ?? 1,
  });
  ctx.log(moved ? "worker registered from a new worker key (moved host)" : "worker registered", { node_id: v.nodeId });
  sendReply(ctx.key, req, res, 200, { status: "registered", node_id: v.nodeId });
}
