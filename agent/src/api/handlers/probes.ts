// GET /livez: the process serves (for a liveness probe: restart only when this fails).
// GET /readyz: the node does its job: running, registered with the control plane, stake active on
// chain, k3s agent active, and (unless k3s.nodeReadyCheck is off) its Kubernetes Node Ready and
// the kubelet's healthz ok (for a readiness probe or a load balancer). Both answer from memory.
// A Node that cannot be read (not registered yet, API server unreachable) is not ready: the
// agent cannot tell, and a worker whose Node nobody can see runs no new pods.
import { nodeReport } from "../../node-ready";
import type { Route } from "../http";
import { sendJson } from "../http";

export const livezRoute: Route = {
  method: "GET",
  path: "/livez",
  signed: false,
  async handle(_ctx, _req, res) {
    sendJson(res, 200, { status: "alive" });
  },
};

export const readyzRoute: Route = {
  method: "GET",
  path: "/readyz",
  signed: false,
  async handle({ agent, cfg, telemetry }, _req, res) {
    const s = agent.status;
    const sample = telemetry.latest;
    const checks: Record<string, boolean> = {
      running: s.phase === "running",
      registered: s.registered,
      stake_active: s.stake.status === "active",
      // As of the last runtime sample (telemetry.sampleIntervalMs); unknown before the first.
      k3s_active: sample?.k3sActive ?? false,
    };
    if (cfg.k3s.nodeReadyCheck) {
      checks.node_ready = sample?.node?.ready === true;
      checks.kubelet_healthy = sample?.node?.kubeletHealthy === true;
    }
    const ready = Object.values(checks).every(Boolean);
    sendJson(res, ready ? 200 : 503, {
      status: ready ? "ready" : "not ready",
      checks,
      phase: s.phase,
      reason: s.reason,
      k3s_checked_at: sample ? new Date(sample.at).toISOString() : null,
      node: nodeReport(cfg.k3s.nodeName ?? cfg.nodeId, cfg.k3s.nodeReadyCheck, sample?.node),
    });
  },
};
