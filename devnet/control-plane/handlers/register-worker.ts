// POST /api/v1/register-worker: admit a worker whose seal token and active stake are on chain.
import type { IncomingMessage, ServerResponse } from "node:http";
import { PATH_REGISTER } from "../../../agent/src/protocol";
import { readBody, sendReply } from "../http";
import type { CpContext } from "../state";
import { verifyWorkerRequest } from "../verify";

export async function registerWorker(ctx: CpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const v = await verifyWorkerRequest(req, PATH_REGISTER, await readBody(req), ctx.chain, ctx.nonces, { requireActiveStake: true });
  const prev = ctx.workers.get(v.nodeId);
  ctx.workers.set(v.nodeId, {
    node_id: v.nodeId,
    stake_object_id: v.token.stakeId,
    worker_pubkey: v.token.workerPubkey,
    registered_at: new Date().toISOString(),
    last_heartbeat_at: prev?.last_heartbeat_at ?? null,
    last_heartbeat: prev?.last_heartbeat ?? null,
    heartbeats: prev?.heartbeats ?? 0,
  });
  // The latest registration wins: a node moved to a new host registers with the new host's key,
  // and the old key's heartbeats and deregistration are refused from then on (superseded).
  const moved = prev !== undefined && prev.worker_pubkey !== v.token.workerPubkey;
  ctx.log(moved ? "worker registered from a new worker key (moved host)" : "worker registered", { node_id: v.nodeId });
  sendReply(ctx.key, req, res, 200, { status: "registered", node_id: v.nodeId });
}
