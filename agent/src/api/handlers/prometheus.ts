// GET /metrics: Prometheus text exposition (format 0.0.4) of the same figures.
import type { Route } from "../http";

function line(name: string, help: string, type: "gauge" | "counter", value: number | bigint, labels = ""): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}${labels} ${value.toString()}\n`;
}

export const prometheusRoute: Route = {
  method: "GET",
  path: "/metrics",
  auth: false,
  async handle({ agent, cfg }, _req, res) {
    const [r, pods] = await Promise.all([agent.sampleResources(), agent.runningPods()]);
    const s = agent.status;
    const node = `{node_id="${cfg.nodeId}"}`; // nodeId is a DNS-1123 name: no escaping needed
    const text = [
      line("k3s_daas_agent_running", "1 when the node is running workloads", "gauge", s.phase === "running" ? 1 : 0, node),
      line("k3s_daas_registered", "1 when registered with the control plane", "gauge", s.registered ? 1 : 0, node),
      line("k3s_daas_stake_active", "1 when the stake on chain is active", "gauge", s.stake.status === "active" ? 1 : 0, node),
      line("k3s_daas_stake_amount_mist", "Stake amount on chain in MIST", "gauge", s.stake.amountMist ?? 0n, node),
      line("k3s_daas_heartbeat_last_success_timestamp_seconds", "Unix time of the last accepted heartbeat", "gauge", s.lastHeartbeatAt === null ? 0 : s.lastHeartbeatAt / 1000, node),
      line("k3s_daas_heartbeat_consecutive_failures", "Heartbeat failures in a row", "gauge", s.consecutiveFailures, node),
      line("k3s_daas_k3s_restarts_total", "k3s agent restarts after heartbeat failures", "counter", s.k3sRestarts, node),
      line("k3s_daas_running_pods", "Pod sandboxes with a running task", "gauge", pods ?? 0, node),
      line("k3s_daas_cpu_usage_percent", "CPU busy percent since the previous sample", "gauge", r.cpu_percent, node),
      line("k3s_daas_memory_used_bytes", "Memory in use (total minus available)", "gauge", r.memory_used_bytes, node),
      line("k3s_daas_memory_total_bytes", "Total memory", "gauge", r.memory_total_bytes, node),
      line("k3s_daas_disk_used_bytes", "Disk used on the data filesystem", "gauge", r.disk_used_bytes, node),
      line("k3s_daas_disk_total_bytes", "Size of the data filesystem", "gauge", r.disk_total_bytes, node),
      line("k3s_daas_network_receive_bytes_total", "Bytes received on non-loopback interfaces", "counter", r.network_rx_bytes, node),
      line("k3s_daas_network_transmit_bytes_total", "Bytes sent on non-loopback interfaces", "counter", r.network_tx_bytes, node),
    ].join("");
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" });
    res.end(text);
  },
};
