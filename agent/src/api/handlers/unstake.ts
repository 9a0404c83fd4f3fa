// POST /api/v1/unstake (operator-signed): leave the cluster. The on-chain withdraw is the operator's
// `pulumi destroy` (the agent holds no wallet key); this stops k3s and deregisters.
import type { Route } from "../http";
import { sendJson } from "../http";

export const unstakeRoute: Route = {
  method: "POST",
  path: "/api/v1/unstake",
  signed: true,
  async handle({ agent }, _req, res) {
    const { deregistered } = await agent.unstake();
    sendJson(res, 202, {
      status: "unstake requested",
      deregistered,
      next: "withdraw the stake with `pulumi destroy` (the wallet key stays with the operator)",
    });
  },
};
