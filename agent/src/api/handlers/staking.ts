// GET /api/v1/staking: stake facts only. Never the seal token id or any secret (the original
// returned the whole token to anyone).
import type { Route } from "../http";
import { isoOrNull, sendJson } from "../http";

export const stakingRoute: Route = {
  method: "GET",
  path: "/api/v1/staking",
  signed: false,
  async handle({ agent, cfg }, _req, res) {
    const s = agent.status;
    sendJson(res, 200, {
      node_id: cfg.nodeId,
      stake_object_id: cfg.stakeId,
      stake_amount_mist: s.stake.amountMist === null ? null : s.stake.amountMist.toString(),
      stake_status: s.stake.status,
      last_validation: isoOrNull(s.stake.checkedAt),
      seal_token: { present: s.sealToken.present, expires_at_epoch: s.sealToken.expiresAtEpoch?.toString() ?? null },
      pool_id: cfg.sui.poolId,
      package_id: cfg.sui.packageId,
    });
  },
};
