// POST /api/v1/nodes/heartbeat: record a registered worker's beat (stake re-checked on chain).
import type { IncomingMessage, ServerResponse } from "node:http";
import { PATH_HEARTBEAT } from "../../../agent/src/protocol";
import { CpError, readBody, sendReply, wantedReplyVersion } from "../http";
import { superseded, type CpContext } from "../state";
import { verifyWorkerRequest } from "../verify";

export async function heartbeat(ctx: CpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const v = await verifyWorkerRequest(req, PATH_HEARTBEAT, await readBody(req), ctx.chain, ctx.nonces, { requireActiveStake: true });
  const w = ctx.workers.get(v.nodeId);
  if (!w) throw new CpError(404, "not_registered", `node ${v.nodeId} is not registered`);
  // One node id, one host: after a move the old host's key no longer speaks for the node.
  if (w.worker_pubkey !== v.token.workerPubkey) throw superseded(v.nodeId);
  // Keep the beat minus the token id: GET /workers is not the place to republish it.
  const { seal_token_id: _omit, ...beat } = v.body;
  w.last_heartbeat = beat;
  w.last_heartbeat_at = new Date().toISOString();
  w.heartbeats += 1;
  w.reply_version = wantedReplyVersion(req) ?? 1;
  sendReply(ctx.key, req, res, 200, { status: "ok", node_id: v.nodeId });
}
