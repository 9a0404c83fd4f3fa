// GET /api/v1/workers: registered workers and their last heartbeat. Unauthenticated, so never
// signed: a signature here would be one anyone could ask for, over any nonce.
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendReply } from "../http";
import type { CpContext } from "../state";

export async function listWorkers(ctx: CpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  sendReply(ctx.key, req, res, 200, { workers: [...ctx.workers.values()] });
}
