// POST /api/v1/register (operator-signed): re-register with the control plane now.
import type { Route } from "../http";
import { HttpError, sendJson } from "../http";

export const registerRoute: Route = {
  method: "POST",
  path: "/api/v1/register",
  signed: true,
  async handle({ agent }, _req, res) {
    if (agent.status.phase !== "running") {
      throw new HttpError(409, `node is ${agent.status.phase}${agent.status.reason ? `: ${agent.status.reason}` : ""}`);
    }
    try {
      await agent.register();
    } catch (err) {
      throw new HttpError(502, `registration failed: ${(err as Error).message}`);
    }
    sendJson(res, 200, { status: "registered" });
  },
};
