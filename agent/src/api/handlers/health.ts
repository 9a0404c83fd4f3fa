// GET /health: is the node serving, registered, staked; when did it last beat; is its Kubernetes
// Node Ready (as of the last runtime sample; `node`, see node-ready.ts).
import { nodeReport } from "../../node-ready";
import type { Route } from "../http";
import { isoOrNull, sendJson } from "../http";

export const healthRoute: Route = {
  method: "GET",
  path: "/health",
  signed: false,
  async handle({ agent, cfg, telemetry }, _req, res) {
    const s = agent.status;
    const healthy = s.phase === "running" && s.stake.status === "active";
    // 503 when not serving workloads, so a load balancer or probe sees it; the body says why.
    // The Node's readiness is reported, not folded into the status: /readyz combines them.
    sendJson(res, healthy ? 200 : 503, {
      status: healthy ? "healthy" : s.phase,
      reason: s.reason,
      node_id: cfg.nodeId,
      registered: s.registered,
      stake_status: s.stake.status,
      last_heartbeat: isoOrNull(s.lastHeartbeatAt),
      last_heartbeat_error: s.lastHeartbeatError,
      consecutive_failures: s.consecutiveFailures,
      k3s_restarts: s.k3sRestarts,
      last_k3s_restart: s.lastK3sRestart && { at: isoOrNull(s.lastK3sRestart.at), reason: s.lastK3sRestart.reason },
      uptime_seconds: Math.floor((Date.now() - s.startedAt) / 1000),
      // Which config file the agent runs (a renewed seal token is applied by a reload): a deploy
      // waits for the sha of the file it wrote. A digest, so the token id itself stays private.
      config_sha256: s.configSha256,
      // And which bundle it started from: a new bundle on disk is not yet a new agent.
      bundle_sha256: s.bundleSha256,
      // And on which Node: a new Node unpacked on the host is not yet the one the agent runs on.
      node_version: process.version,
      // The Kubernetes Node: a deploy waits for Ready (HostState), naming the kubelet's reason.
      node: nodeReport(cfg.k3s.nodeName ?? cfg.nodeId, cfg.k3s.nodeReadyCheck, telemetry.latest?.node),
    });
  },
};
