// Prometheus metrics through prom-client. The registry (and prom-client itself: the bundle keeps
// a lazy require) is built on the first scrape, so an agent nobody scrapes pays neither its
// memory nor its event-loop monitor. Every value is read from memory at scrape time.
import type * as Prom from "prom-client";
import type { Agent } from "../agent";
import type { HistogramSeries } from "../histogram";
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
  // Metrics whose series are computed at scrape time, possibly none: a gauge whose value is not
  // known yet (no chain read so far) is absent rather than a 0 that alert rules would act on.
  const custom = (name: string, help: string, type: "gauge" | "histogram", values: () => Array<{ metricName?: string; labels?: Record<string, string | number>; value: number }>) => {
    const get = async () => ({ name, help, type, aggregator: "sum" as const, values: values() });
    registry.registerMetric({ name, help, type, aggregator: "sum", get } as unknown as Prom.Metric);
  };
  const optionalGauge = (name: string, help: string, value: () => number | null | undefined) =>
    custom(name, help, "gauge", () => {
      const v = value();
      return v === null || v === undefined ? [] : [{ value: v }];
    });
  // A state set as Prometheus has it (one series per state, 1 for the current one, 0 for the others).
  const stateSet = (name: string, help: string, label: string, states: readonly string[], current: () => string) =>
    new prom.Gauge({ name, help, labelNames: [label], registers, collect() { const c = current(); for (const st of states) this.set({ [label]: st }, st === c ? 1 : 0); } });
  const histogram = (name: string, help: string, bounds: readonly number[], series: () => HistogramSeries[]) =>
    custom(name, help, "histogram", () => series().flatMap((h) => [
      ...bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...h.labels, le }, value: h.buckets[i]! })),
      { metricName: `${name}_bucket`, labels: { ...h.labels, le: "+Inf" }, value: h.count },
      { metricName: `${name}_sum`, labels: h.labels, value: h.sum },
      { metricName: `${name}_count`, labels: h.labels, value: h.count },
    ]));
  const epoch = () => agent.chainWatch.view?.epoch ?? null;

  new prom.Gauge({ name: "k3s_daas_agent_build_info", help: "Agent build: version and node id; always 1", labelNames: ["version"], registers })
    .set({ version: AGENT_VERSION }, 1);
  const s = agent.status;
  const r = () => telemetry.latest?.resources;
  gauge("k3s_daas_agent_running", "1 when the node is running workloads", () => (s.phase === "running" ? 1 : 0));
  stateSet("k3s_daas_agent_phase", "The agent's phase: 1 for the current one (starting, blocked, running, stopped, shutting-down)", "phase",
    ["starting", "blocked", "running", "stopped", "shutting-down"], () => s.phase);
  gauge("k3s_daas_registered", "1 when registered with the control plane", () => (s.registered ? 1 : 0));
  // Stake: as of the last chain read (start-up check, the watch's pushed change or re-read).
  gauge("k3s_daas_stake_active", "1 when the stake on chain is active", () => (s.stake.status === "active" ? 1 : 0));
  stateSet("k3s_daas_stake_status", "The stake's status on chain: 1 for the current one (active, slashed, withdrawn; missing or unknown before it could be read)", "status",
    ["active", "slashed", "leaving", "withdrawn", "missing", "unknown"], () => s.stake.status);
  gauge("k3s_daas_stake_amount_mist", "Stake amount on chain in MIST", () => Number(s.stake.amountMist ?? 0n));
  optionalGauge("k3s_daas_stake_locked_until_epoch", "The epoch until which the stake cannot be withdrawn", () => (s.stake.lockedUntilEpoch === null ? null : Number(s.stake.lockedUntilEpoch)));
  optionalGauge("k3s_daas_chain_epoch", "The chain's current epoch, as of the agent's last chain read", () => { const e = epoch(); return e === null ? null : Number(e); });
  // Seal token: absent until the chain has been read (a 0 would look like an expired token).
  optionalGauge("k3s_daas_seal_token_present", "1 when the seal token exists on chain, 0 when the chain says it does not (revoked)", () => (s.sealToken.checkedAt === null ? null : s.sealToken.present ? 1 : 0));
  optionalGauge("k3s_daas_seal_token_expires_at_epoch", "The epoch at which the seal token expires (it is valid up to, not including, it)", () => (s.sealToken.expiresAtEpoch === null ? null : Number(s.sealToken.expiresAtEpoch)));
  optionalGauge("k3s_daas_seal_token_remaining_epochs", "Epochs before the seal token expires: its expiry epoch minus the current epoch (0 or less: expired)", () => {
    const e = epoch();
    return s.sealToken.expiresAtEpoch === null || e === null ? null : Number(s.sealToken.expiresAtEpoch - e);
  });
  // Chain watch: the checkpoint stream (gRPC only; absent with the JSON-RPC transport, which polls).
  const w = agent.chainWatch;
  if (w.canPush) {
    gauge("k3s_daas_chain_stream_connected", "1 while the checkpoint stream is open", () => (w.streamUp ? 1 : 0));
    optionalGauge("k3s_daas_chain_checkpoint_age_seconds", "Seconds since the checkpoint stream last delivered a checkpoint (a change or a progress frame)", () => (w.lastFrameAt === null ? null : Math.max(0, (Date.now() - w.lastFrameAt) / 1000)));
    counter("k3s_daas_chain_stream_drops_total", "Times an open checkpoint stream closed (the agent polls until it reconnects)", () => w.stats.streamDrops);
  }
  optionalGauge("k3s_daas_chain_view_timestamp_seconds", "Unix time of the last successful read of stake, seal token and registry", () => (w.view ? w.view.readAt / 1000 : null));
  counter("k3s_daas_chain_reads_total", "Chain reads of the watched objects (and of the epoch)", () => w.stats.reads);
  counter("k3s_daas_chain_read_failures_total", "Chain reads of the watched objects that failed or timed out (never taken for a slash)", () => w.stats.readFailures);
  // Control plane.
  histogram("k3s_daas_control_plane_request_duration_seconds", "Round trip of signed requests to the control plane, by path and outcome (ok, refused, bad_reply, unreachable)",
    agent.cpRoundTrips.bounds, () => agent.cpRoundTrips.snapshot());
  gauge("k3s_daas_heartbeat_last_success_timestamp_seconds", "Unix time of the last accepted heartbeat (0: none yet)", () => (s.lastHeartbeatAt ?? 0) / 1000);
  gauge("k3s_daas_heartbeat_consecutive_failures", "Heartbeat failures in a row", () => s.consecutiveFailures);
  new prom.Counter({
    name: "k3s_daas_k3s_restarts_total",
    help: "k3s agent restarts by reason: heartbeat_failures (the agent restarted it after failed beats), not_running (a beat found it stopped and started it), node_missing (its Node was deleted under a running kubelet), systemd (the unit restarted itself)",
    labelNames: ["reason"], registers,
    collect() {
      this.reset();
      this.inc({ reason: "heartbeat_failures" }, s.k3sRestarts);
      this.inc({ reason: "not_running" }, s.k3sRecoveries);
      this.inc({ reason: "node_missing" }, s.nodeMissingRestarts);
      this.inc({ reason: "systemd" }, telemetry.k3sManagerRestarts);
    },
  });
  new prom.Counter({
    name: "k3s_daas_stake_source_disagreements_total",
    help: "Times a stake read as not active by some RPC sources but fewer than the quorum (sui.confirmSources): k3s was not stopped; a lying or broken RPC node is likely",
    registers,
    collect() {
      this.reset();
      this.inc(agent.stakeDisagreements);
    },
  });
  gauge("k3s_daas_stake_sources", "RPC sources the stake is read from (sui.rpcUrl and sui.confirmSources)", () => agent.stakeQuorum.sources);
  gauge("k3s_daas_stake_quorum", "Sources that must read the stake as not active before k3s stops", () => agent.stakeQuorum.quorum);
  gauge("k3s_daas_k3s_active", "1 when the k3s agent was running at the last runtime sample", () => (telemetry.latest?.k3sActive ? 1 : 0));
  gauge("k3s_daas_runtime_sample_timestamp_seconds", "Unix time of the last runtime sample", () => (telemetry.latest?.at ?? 0) / 1000);
  gauge("k3s_daas_running_pods", "Pod sandboxes with a running task", () => telemetry.latest?.runningPods ?? 0);
  gauge("k3s_daas_running_containers", "Containers (sandboxes included) with a running task", () => telemetry.latest?.containers?.running ?? 0);
  gauge("k3s_daas_cpu_usage_ratio", "Host CPU busy fraction between the last two samples (0-1)", () => (r()?.cpu_percent ?? 0) / 100);
  gauge("k3s_daas_memory_used_bytes", "Host memory in use (total minus available)", () => r()?.memory_used_bytes ?? 0);
  gauge("k3s_daas_memory_total_bytes", "Host total memory", () => r()?.memory_total_bytes ?? 0);
  gauge("k3s_daas_disk_used_bytes", "Disk used on the data filesystem", () => r()?.disk_used_bytes ?? 0);
  gauge("k3s_daas_disk_total_bytes", "Size of the data filesystem", () => r()?.disk_total_bytes ?? 0);
  optionalGauge("k3s_daas_disk_available_bytes", "Disk available to unprivileged users on the data filesystem (statfs bavail)", () => telemetry.latest?.diskAvailableBytes);
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
