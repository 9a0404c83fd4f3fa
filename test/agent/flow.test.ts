// An agent starts against the devnet chain and the control-plane stand-in: it verifies its
// stake, starts the (stand-in) k3s agent, registers, heartbeats, serves every endpoint with
// real figures, guards its POSTs, and never shows a secret. Then it leaves (unstake).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { cmdline, getJson, processAlive, signedPost, startStakedAgent, stopStakedAgent, waitFor, type Chain, type Node, type Started } from "./helpers";
import type { ProcessK3s } from "../../agent/src/k3s-service";
import type { ResourceUsage } from "../../agent/src/protocol";

let chain: Chain, cp: ControlPlane, node: Node, agent: Started;

before(async () => {
  ({ chain, cp, node, agent } = await startStakedAgent("worker-flow"));
});
after(() => stopStakedAgent({ agent, cp, chain, node }));

const k3sPid = () => (agent.k3s as ProcessK3s).pid;

test("registers, starts k3s through the env file, and heartbeats", async () => {
  const w = await waitFor("two heartbeats at the control plane", () => cp.workers().find((x) => x.node_id === node.nodeId && x.heartbeats >= 2));
  assert.equal(w.worker_pubkey, node.workerPubkey);
  const beat = w.last_heartbeat!;
  assert.equal(beat.stake_status, "active");
  assert.equal(beat.stake_amount, "2000000000");
  assert.equal(beat.running_pods, 2);
  const usage = beat.resource_usage as unknown as ResourceUsage;
  assert.ok(usage.memory_total_bytes > 0 && usage.disk_total_bytes > 0 && usage.cpu_cores >= 1);

  const pid = k3sPid();
  assert.ok(pid && processAlive(pid), "stand-in k3s runs as a child");
  const state = readFileSync(node.k3sState, "utf8");
  assert.match(state, /args=agent$/m);
  assert.match(state, /token=present/, "join token reached k3s through its environment");
  assert.ok(!cmdline(pid).includes("join-secret"), "join token is not on the k3s command line");
});

test("GET endpoints answer with real figures", async () => {
  const health = await getJson(agent.base + "/health");
  assert.equal(health.status, 200);
  assert.equal(health.body.status, "healthy");
  assert.equal(health.body.registered, true);
  assert.equal(health.body.stake_status, "active");
  assert.ok(Date.parse(health.body.last_heartbeat) > 0);

  const staking = await getJson(agent.base + "/api/v1/staking");
  assert.equal(staking.body.stake_amount_mist, "2000000000");
  assert.equal(staking.body.stake_status, "active");
  assert.equal(staking.body.seal_token.present, true);
  assert.equal(typeof staking.body.seal_token.expires_at_epoch, "string");

  const metrics = await getJson(agent.base + "/api/v1/metrics");
  const r = metrics.body.resource_usage;
  assert.equal(metrics.body.running_pods, 2);
  // Figures come from this machine, not constants.
  assert.ok(r.memory_total_bytes > 1e7 && r.memory_used_bytes > 0 && r.memory_used_bytes < r.memory_total_bytes);
  assert.ok(r.disk_total_bytes > 0 && r.disk_used_bytes > 0);
  assert.ok(r.cpu_percent >= 0 && r.cpu_percent <= 100);
  assert.ok(Number.isFinite(r.network_rx_bytes) && Number.isFinite(r.load_avg_1m));
  const meminfo = readFileSync("/proc/meminfo", "utf8");
  const totalKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)![1]);
  assert.equal(r.memory_total_bytes, totalKb * 1024);

  const config = await getJson(agent.base + "/api/v1/config");
  assert.equal(config.body.nodeId, node.nodeId);
  assert.equal(config.body.sealTokenId, "[redacted]");

  const prom = await fetch(agent.base + "/metrics");
  assert.match(prom.headers.get("content-type") ?? "", /text\/plain/);
  const text = await prom.text();
  assert.match(text, /^k3s_daas_stake_amount_mist\{node_id="worker-flow"\} 2000000000$/m);
  assert.match(text, /^k3s_daas_registered\{node_id="worker-flow"\} 1$/m);
  assert.match(text, /^k3s_daas_memory_total_bytes\{node_id="worker-flow"\} \d+$/m);
  // prom-client's process metrics and the build info, under Prometheus' names.
  assert.match(text, /^k3s_daas_agent_build_info\{version="\d+\.\d+\.\d+",node_id="worker-flow"\} 1$/m);
  for (const name of ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "nodejs_eventloop_lag_seconds"]) {
    assert.match(text, new RegExp(`^${name}\\{node_id="worker-flow"\\} [0-9.e+-]+$`, "m"), name);
  }
  assert.match(text, /^# TYPE k3s_daas_network_receive_bytes_total counter$/m);
  assert.match(text, /^k3s_daas_running_pods\{node_id="worker-flow"\} 2$/m);
});

test("bad requests get 4xx, never a crash", async () => {
  assert.equal((await getJson(agent.base + "/nope")).status, 404);
  assert.equal((await getJson(agent.base + "/health", { method: "POST" })).status, 405);
  assert.equal((await getJson(agent.base + "/api/v1/register")).status, 405);
  assert.equal((await signedPost(agent.base, node, "/api/v1/register", "{not json")).status, 400);
  assert.equal((await signedPost(agent.base, node, "/api/v1/register", "[1]")).status, 400);
  const big = "x".repeat(200 * 1024);
  const tooBig = await fetch(agent.base + "/api/v1/register", { method: "POST", body: big }).then((r) => r.status);
  assert.equal(tooBig, 413);
  assert.equal((await getJson(agent.base + "/health")).status, 200, "still serving");
});

test("POST /api/v1/register re-registers when signed by the operator key", async () => {
  const res = await signedPost(agent.base, node, "/api/v1/register");
  assert.equal(res.status, 200);
  assert.equal(res.body.status, "registered");
});

test("no endpoint, log line or process argument holds a secret", async () => {
  const secrets = [node.sealTokenId, node.sealTokenId.replace(/^0x/, ""), readFileSync(node.cfg.paths.workerKey, "utf8").split("\n")[1]!, readFileSync(node.operatorKey, "utf8").split("\n")[1]!];
  const bodies = await Promise.all(
    ["/health", "/livez", "/readyz", "/api/v1/staking", "/api/v1/metrics", "/api/v1/config", "/metrics"].map((p) => fetch(agent.base + p).then((r) => r.text())),
  );
  const cpList = await fetch(cp.url + "/api/v1/workers").then((r) => r.text());
  const pid = k3sPid()!;
  const surfaces = { endpoints: bodies.join("\n"), controlPlaneList: cpList, logs: agent.lines.join(""), args: cmdline(pid) + cmdline(process.pid) };
  assert.ok(agent.lines.length > 5, "the agent logged");
  for (const line of agent.lines) JSON.parse(line); // one JSON object per line
  for (const [where, text] of Object.entries(surfaces)) {
    for (const s of secrets) assert.ok(!text.includes(s), `${where} contains a secret`);
  }
});

test("POST /api/v1/unstake stops k3s and containers and deregisters", async () => {
  const pid = k3sPid()!;
  const res = await signedPost(agent.base, node, "/api/v1/unstake");
  assert.equal(res.status, 202);
  assert.equal(res.body.status, "unstake requested");
  assert.equal(res.body.deregistered, true);
  assert.ok(!processAlive(pid), "k3s stand-in stopped");
  assert.equal(cp.workers().some((w) => w.node_id === node.nodeId), false);
  const killed = readFileSync(node.ctrDir + "/killed", "utf8").trim().split("\n").sort();
  assert.deepEqual(killed, ["app-a", "sb-a", "sb-b"]);
  const health = await getJson(agent.base + "/health");
  assert.equal(health.status, 503);
  assert.equal(health.body.reason, "unstake requested");
});
