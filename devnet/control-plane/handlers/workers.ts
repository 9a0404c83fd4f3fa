// GET /api/v1/workers: registered workers and their last heartbeat. Unauthenticated, so never
// signed: a signature here would be one anyone could ask for, over any nonce.
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendReply } from "../http";
import type { CpContext } from "../state";

export async function listWorkers(ctx: CpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Without the seal token ids: a token id is a credential's name, not for anyone who asks.
  sendReply(ctx.key, req, res, 200, { workers: [...ctx.workers.values()].map(({ seal_token_id: _omit, ...w }) => w) });
}
