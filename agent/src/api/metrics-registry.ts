// Prometheus metrics through prom-client. The registry (and prom-client itself: the bundle keeps
// a lazy require) is built on the first scrape, so an agent nobody scrapes pays neither its
// memory nor its event-loop monitor. Every value is read from memory at scrape time.
import type * as Prom from "prom-client";
import type { Agent } from "../agent";
import type { Telemetry } from "../telemetry";
import { AGENT_VERSION } from "../version";

export interface AgentMetrics {
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; text: string }>;
}

interface Sources {
  nodeId: string;
  /** k3s.nodeReadyCheck: without it the Node gauges are not exported (absent, not 0). */
  nodeReadyCheck: boolean;
  agent: Agent;
  telemetry: Telemetry;
}

function build({ nodeId, nodeReadyCheck, agent, telemetry }: Sources): Prom.Registry {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const prom = require("prom-client") as typeof Prom;
  const registry = new prom.Registry();
  registry.setDefaultLabels({ node_id: nodeId });
  // process_resident_memory_bytes, process_cpu_seconds_total, process_open_fds,
  // nodejs_eventloop_lag_seconds (and its percentiles), heap and GC figures.
  // The lag histogram samples every 100 ms rather than the default 10 ms: ten wakeups a second
  // instead of a hundred on an otherwise idle process; a lag of any size still shows.
  prom.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });

  const registers = [registry];
  const gauge = (name: string, help: string, value: () => number) =>
    new prom.Gauge({ name, help, registers, collect() { this.set(value()); } });
  // A counter mirrored from a source that keeps its own total (the kernel's byte counters).
  const counter = (name: string, help: string, value: () => number) =>
    new prom.Counter({ name, help, registers, collect() { this.reset(); this.inc(Math.max(0, value())); } });

  new prom.Gauge({ name: "k3s_daas_agent_build_info", help: "Agent build: version and node id; always 1", labelNames: ["version"], registers })
    .set({ version: AGENT_VERSION }, 1);
  const s = agent.status;
  const r = () => telemetry.latest?.resources;
  gauge("k3s_daas_agent_running", "1 when the node is running workloads", () => (s.phase === "running" ? 1 : 0));
  gauge("k3s_daas_registered", "1 when registered with the control plane", () => (s.registered ? 1 : 0));
  gauge("k3s_daas_stake_active", "1 when the stake on chain is active", () => (s.stake.status === "active" ? 1 : 0));
  gauge("k3s_daas_stake_amount_mist", "Stake amount on chain in MIST", () => Number(s.stake.amountMist ?? 0n));
  gauge("k3s_daas_heartbeat_last_success_timestamp_seconds", "Unix time of the last accepted heartbeat", () => (s.lastHeartbeatAt ?? 0) / 1000);
  gauge("k3s_daas_heartbeat_consecutive_failures", "Heartbeat failures in a row", () => s.consecutiveFailures);
  counter("k3s_daas_k3s_restarts_total", "k3s agent restarts after heartbeat failures", () => s.k3sRestarts);
  gauge("k3s_daas_k3s_active", "1 when the k3s agent was running at the last runtime sample", () => (telemetry.latest?.k3sActive ? 1 : 0));
  gauge("k3s_daas_runtime_sample_timestamp_seconds", "Unix time of the last runtime sample", () => (telemetry.latest?.at ?? 0) / 1000);
  gauge("k3s_daas_running_pods", "Pod sandboxes with a running task", () => telemetry.latest?.runningPods ?? 0);
  gauge("k3s_daas_running_containers", "Containers (sandboxes included) with a running task", () => telemetry.latest?.containers?.running ?? 0);
  gauge("k3s_daas_cpu_usage_ratio", "Host CPU busy fraction between the last two samples (0-1)", () => (r()?.cpu_percent ?? 0) / 100);
  gauge("k3s_daas_memory_used_bytes", "Host memory in use (total minus available)", () => r()?.memory_used_bytes ?? 0);
  gauge("k3s_daas_memory_total_bytes", "Host total memory", () => r()?.memory_total_bytes ?? 0);
  gauge("k3s_daas_disk_used_bytes", "Disk used on the data filesystem", () => r()?.disk_used_bytes ?? 0);
  gauge("k3s_daas_disk_total_bytes", "Size of the data filesystem", () => r()?.disk_total_bytes ?? 0);
  counter("k3s_daas_network_receive_bytes_total", "Bytes received on non-loopback interfaces", () => r()?.network_rx_bytes ?? 0);
  counter("k3s_daas_network_transmit_bytes_total", "Bytes sent on non-loopback interfaces", () => r()?.network_tx_bytes ?? 0);
  if (nodeReadyCheck) {
    // 0 also when the Node could not be read (not registered, API server unreachable): /health
    // and /readyz say which. A host with the check off has neither gauge, rather than a false 0.
    const n = () => telemetry.latest?.node;
    gauge("k3s_daas_node_ready", "1 when the Kubernetes Node's Ready condition is True at the last sample", () => (n()?.ready === true ? 1 : 0));
    gauge("k3s_daas_kubelet_healthy", "1 when the kubelet's healthz answered ok at the last sample", () => (n()?.kubeletHealthy === true ? 1 : 0));
    gauge("k3s_daas_node_unschedulable", "1 when the Kubernetes Node is cordoned (spec.unschedulable)", () => (n()?.unschedulable === true ? 1 : 0));
  }
  return registry;
}

/** How long one rendering is served: a scrape costs a few ms (heap, GC, /proc/self), so a flood
 * of requests gets the same text instead of keeping a core busy. Prometheus scrapes every 15 s+. */
const REUSE_MS = 1_000;

export function createAgentMetrics(src: Sources): AgentMetrics {
  let registry: Prom.Registry | undefined;
  let last: { at: number; text: Promise<string> } | undefined;
  return {
    async scrape() {
      registry ??= build(src);
      const now = Date.now();
      if (!last || now - last.at >= REUSE_MS) {
        const text = registry.metrics();
        last = { at: now, text };
        text.catch(() => { if (last?.text === text) last = undefined; }); // a failed render is not reused
      }
      return { contentType: registry.contentType, text: await last.text };
    },
  };
}
