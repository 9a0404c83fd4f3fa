// GET /api/v1/metrics: real resource figures sampled now, plus pods and heartbeat counters.
import type { Route } from "../http";
import { sendJson } from "../http";

export const metricsRoute: Route = {
  method: "GET",
  path: "/api/v1/metrics",
  auth: false,
  async handle({ agent, cfg }, _req, res) {
    const [resources, pods] = await Promise.all([agent.sampleResources(), agent.runningPods()]);
    sendJson(res, 200, {
      node_id: cfg.nodeId,
      timestamp: new Date().toISOString(),
      running_pods: pods,
      resource_usage: resources,
      heartbeat: {
        consecutive_failures: agent.status.consecutiveFailures,
        k3s_restarts: agent.status.k3sRestarts,
      },
    });
  },
};
