// POST /api/v1/nodes/deregister: a worker leaves. Signed like the others, but allowed with a
// slashed or withdrawn stake: a node being stopped must still be able to say goodbye.
import type { IncomingMessage, ServerResponse } from "node:http";
import { PATH_DEREGISTER } from "../../../agent/src/protocol";
import { readBody, sendReply } from "../http";
import { superseded, type CpContext } from "../state";
import { verifyWorkerRequest } from "../verify";

export async function deregister(ctx: CpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const v = await verifyWorkerRequest(req, PATH_DEREGISTER, await readBody(req), ctx.chain, ctx.nonces, { requireActiveStake: false });
  const w = ctx.workers.get(v.nodeId);
  // The host a node moved away from says goodbye on its teardown: that must not unregister the
  // node from the host that serves it now.
  if (w && w.worker_pubkey !== v.token.workerPubkey) throw superseded(v.nodeId);
  const existed = ctx.workers.delete(v.nodeId);
  ctx.log("worker deregistered", { node_id: v.nodeId, reason: v.body.reason });
  sendReply(ctx.key, req, res, 200, { status: existed ? "deregistered" : "not_registered", node_id: v.nodeId });
}
