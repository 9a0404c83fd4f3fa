// GET /api/v1/metrics: the last runtime sample (telemetry.ts) plus heartbeat counters. Answers
// from memory; only a request before the first sample waits for it.
import type { Route } from "../http";
import { sendJson } from "../http";

export const metricsRoute: Route = {
  method: "GET",
  path: "/api/v1/metrics",
  signed: false,
  async handle({ agent, cfg, telemetry }, _req, res) {
    const snap = await telemetry.current();
    sendJson(res, 200, {
      node_id: cfg.nodeId,
      timestamp: new Date().toISOString(),
      sampled_at: new Date(snap.at).toISOString(),
      running_pods: snap.runningPods,
      containers: snap.containers,
      container_runtime_error: snap.runtimeError,
      k3s_agent_running: snap.k3sActive,
      resource_usage: snap.resources,
      heartbeat: {
        consecutive_failures: agent.status.consecutiveFailures,
        k3s_restarts: agent.status.k3sRestarts,
      },
    });
  },
};
