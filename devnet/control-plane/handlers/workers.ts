// GET /api/v1/workers: registered workers and their last heartbeat.
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendSigned } from "../http";
import type { CpContext } from "../state";

export async function listWorkers(ctx: CpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  sendSigned(ctx.key, req, res, 200, { workers: [...ctx.workers.values()] });
}
