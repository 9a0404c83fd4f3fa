// /metrics carries a figure for every decision an operator makes (docs/runbook.md, the alert
// rules in monitoring/alerts): the agent's phase, the stake's status, amount and lock end, the
// seal token's expiry against the current epoch, the chain watch's stream and checkpoint age,
// the control plane's round trips and the last accepted heartbeat, and k3s restarts by reason.
// Scraped from an agent running against the devnet chain and control plane, and checked against
// what the chain says; the metrics that existed before keep their names.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { createK3sService, type K3sService, type ProcessK3s } from "../../agent/src/k3s-service";
import { createLogger } from "../../agent/src/log";
import { PATH_HEARTBEAT, PATH_REGISTER } from "../../agent/src/protocol";
import { startAgent } from "../../agent/src/run";
import { createSuiClient, currentEpoch, readSealToken, readStakeRecord } from "../../src/sui";
import { ONE_SUI, processAlive, slash, stakeNode, startChain, startCp, waitFor, type Chain, type Node, type Started } from "./helpers";

const NODE = "worker-metrics";
let chain: Chain, cp: ControlPlane, node: Node, agent: Started;
let jsonNode: Node, jsonAgent: Started;
/** The unit's NRestarts as the stand-in systemd reports it (the k3s child is a process). */
let nRestarts = 0;

interface Sample { name: string; labels: Record<string, string>; value: number }

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `exposition line ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of m[2]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g) ?? []) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: m[3] === "+Inf" ? Infinity : Number(m[3]) });
  }
  return out;
}

const scrape = async (a = agent) => {
  const res = await fetch(a.base + "/metrics");
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, samples: parse(text) };
};
/** The one sample of `name` whose labels include `labels`; undefined when there is none. */
const one = (samples: Sample[], name: string, labels: Record<string, string> = {}) => {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)}: ${found.length} series`);
  return found[0];
};
const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) => one(samples, name, labels)?.value;
/** Scrape until `ok` holds (/metrics renders at most once a second; figures move on their loops). */
const scrapeUntil = (what: string, ok: (s: Sample[]) => boolean, a = agent, timeoutMs?: number) =>
  waitFor(what, async () => { const s = (await scrape(a)).samples; return ok(s) ? s : undefined; }, timeoutMs);

before(async () => {
  chain = await startChain();
  cp = await startCp(chain);
  node = await stakeNode(chain, NODE);
  // 26 of the token's 30 epochs pass before the agent starts: 4 are left, inside the renewal window.
  (chain as unknown as { advanceEpoch(n: number): bigint }).advanceEpoch(26);
  const log = createLogger("debug", () => {});
  // The child-process k3s, with systemd's restart count of a unit standing beside it.
  const k3s: K3sService = Object.assign(createK3sService(node.cfg.k3s, log), { automaticRestarts: async () => nRestarts });
  const lines: string[] = [];
  const r = await startAgent(node.cfg, { log: createLogger("debug", (l) => void lines.push(l)), k3s });
  agent = Object.assign(r, { lines, base: `http://127.0.0.1:${r.port}` });
  // The JSON-RPC transport cannot push: no stream figures.
  jsonNode = await stakeNode(chain, "worker-metrics-jsonrpc");
  jsonNode.cfg = { ...jsonNode.cfg, sui: { ...jsonNode.cfg.sui, transport: "jsonrpc" } };
  const j = await startAgent(jsonNode.cfg, { log: createLogger("debug", () => {}) });
  jsonAgent = Object.assign(j, { lines: [], base: `http://127.0.0.1:${j.port}` });
});

after(async () => {
  await agent?.stop();
  await jsonAgent?.stop();
  await cp?.close();
  await chain?.close();
  node?.cleanup();
  jsonNode?.cleanup();
});

test("every metric that existed before is still there, under its name and type", async () => {
  const { text } = await scrape();
  const before: Array<[string, string]> = [
    ["k3s_daas_agent_build_info", "gauge"], ["k3s_daas_agent_running", "gauge"], ["k3s_daas_registered", "gauge"],
    ["k3s_daas_stake_active", "gauge"], ["k3s_daas_stake_amount_mist", "gauge"],
    ["k3s_daas_heartbeat_last_success_timestamp_seconds", "gauge"], ["k3s_daas_heartbeat_consecutive_failures", "gauge"],
    ["k3s_daas_k3s_restarts_total", "counter"], ["k3s_daas_k3s_active", "gauge"], ["k3s_daas_runtime_sample_timestamp_seconds", "gauge"],
    ["k3s_daas_running_pods", "gauge"], ["k3s_daas_running_containers", "gauge"], ["k3s_daas_cpu_usage_ratio", "gauge"],
    ["k3s_daas_memory_used_bytes", "gauge"], ["k3s_daas_memory_total_bytes", "gauge"], ["k3s_daas_disk_used_bytes", "gauge"],
    ["k3s_daas_disk_total_bytes", "gauge"], ["k3s_daas_network_receive_bytes_total", "counter"], ["k3s_daas_network_transmit_bytes_total", "counter"],
    ["process_start_time_seconds", "gauge"], ["process_resident_memory_bytes", "gauge"], ["nodejs_eventloop_lag_seconds", "gauge"],
  ];
  for (const [name, type] of before) assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, "m"), name);
});

test("running: phase, stake, lock, epoch and seal token as the chain has them", async () => {
  const client = createSuiClient(chain.url);
  const [stake, token, epoch] = await Promise.all([
    readStakeRecord(client, node.stakeId, chain.ids.packageId), readSealToken(client, node.sealTokenId, chain.ids.packageId), currentEpoch(client),
  ]);
  assert.ok(stake && token);
  assert.equal(token.expiresAtEpoch - epoch, 4n, "the fixture: 4 epochs left");
  const s = await scrapeUntil("running and a heartbeat accepted", (x) =>
    value(x, "k3s_daas_agent_phase", { phase: "running" }) === 1 && (value(x, "k3s_daas_heartbeat_last_success_timestamp_seconds") ?? 0) > 0);
  const { text } = await scrape();
  for (const phase of ["starting", "blocked", "stopped", "shutting-down"]) assert.equal(value(s, "k3s_daas_agent_phase", { phase }), 0, phase);
  assert.equal(value(s, "k3s_daas_stake_status", { status: "active" }), 1);
  for (const status of ["slashed", "leaving", "withdrawn", "missing", "unknown"]) assert.equal(value(s, "k3s_daas_stake_status", { status }), 0, status);
  assert.equal(one(s, "k3s_daas_stake_status", { status: "active" })!.labels.node_id, NODE, "every series names the worker");
  assert.equal(value(s, "k3s_daas_stake_amount_mist"), Number(2n * ONE_SUI));
  assert.equal(value(s, "k3s_daas_stake_locked_until_epoch"), Number(stake.lockedUntilEpoch));
  assert.equal(value(s, "k3s_daas_chain_epoch"), Number(epoch));
  assert.equal(value(s, "k3s_daas_seal_token_present"), 1);
  assert.equal(value(s, "k3s_daas_seal_token_expires_at_epoch"), Number(token.expiresAtEpoch));
  assert.equal(value(s, "k3s_daas_seal_token_remaining_epochs"), 4);
  // The last accepted heartbeat is recent, and the chain view was read just now.
  const now = Date.now() / 1000;
  assert.ok(Math.abs(now - value(s, "k3s_daas_heartbeat_last_success_timestamp_seconds")!) < 30);
  assert.ok(Math.abs(now - value(s, "k3s_daas_chain_view_timestamp_seconds")!) < 70);
  assert.ok(value(s, "k3s_daas_chain_reads_total")! >= 1);
  assert.equal(value(s, "k3s_daas_chain_read_failures_total"), 0);
  // Disk: available (bavail) is within the size.
  const avail = value(s, "k3s_daas_disk_available_bytes")!;
  assert.ok(avail > 0 && avail <= value(s, "k3s_daas_disk_total_bytes")!);
  // Types as Prometheus reads them.
  for (const [name, type] of [["k3s_daas_agent_phase", "gauge"], ["k3s_daas_stake_status", "gauge"], ["k3s_daas_seal_token_remaining_epochs", "gauge"],
    ["k3s_daas_chain_stream_connected", "gauge"], ["k3s_daas_chain_checkpoint_age_seconds", "gauge"], ["k3s_daas_chain_reads_total", "counter"],
    ["k3s_daas_control_plane_request_duration_seconds", "histogram"], ["k3s_daas_disk_available_bytes", "gauge"]]) {
    assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, "m"), name);
  }
});

test("chain watch: stream connected; a pushed change is a checkpoint seen, and its age is measured from it", async () => {
  await scrapeUntil("stream connected", (x) => value(x, "k3s_daas_chain_stream_connected") === 1);
  // A change to the stake comes down the stream at once (and moves the amount).
  await node.staker.addStake({ stakeId: node.stakeId, amountMist: ONE_SUI });
  const s = await scrapeUntil("the added stake, pushed", (x) => value(x, "k3s_daas_stake_amount_mist") === Number(3n * ONE_SUI));
  const age = value(s, "k3s_daas_chain_checkpoint_age_seconds");
  assert.ok(age !== undefined && age >= 0 && age < 10, `checkpoint age ${age}`);
  assert.equal(value(s, "k3s_daas_chain_stream_drops_total"), 0);
  // Measured at each scrape: a later rendering has another age, still under the devnet's 10 s
  // between progress frames on an idle stream (plus a scrape's reuse window).
  const later = await scrapeUntil("the age measured again", (x) => value(x, "k3s_daas_chain_checkpoint_age_seconds") !== age);
  assert.ok(value(later, "k3s_daas_chain_checkpoint_age_seconds")! < 15, "progress frames keep it fresh on an idle chain");
});

test("JSON-RPC transport: no stream figures (it polls), the rest is there", async () => {
  const s = await scrapeUntil("the JSON-RPC agent running", (x) => value(x, "k3s_daas_agent_phase", { phase: "running" }) === 1, jsonAgent);
  const { text } = await scrape(jsonAgent);
  assert.doesNotMatch(text, /k3s_daas_chain_stream_connected|k3s_daas_chain_checkpoint_age_seconds/);
  assert.equal(value(s, "k3s_daas_seal_token_remaining_epochs"), 30, "a token minted in this epoch");
  assert.ok((value(s, "k3s_daas_chain_epoch") ?? -1) >= 26);
});

test("control plane round trips: a histogram by path and outcome, cumulative buckets", async () => {
  const s = await scrapeUntil("two heartbeats timed", (x) => (value(x, "k3s_daas_control_plane_request_duration_seconds_count", { path: PATH_HEARTBEAT, outcome: "ok" }) ?? 0) >= 2);
  assert.equal(value(s, "k3s_daas_control_plane_request_duration_seconds_count", { path: PATH_REGISTER, outcome: "ok" }), 1);
  const base = { path: PATH_HEARTBEAT, outcome: "ok", node_id: NODE };
  const buckets = s.filter((x) => x.name === "k3s_daas_control_plane_request_duration_seconds_bucket" && x.labels.path === base.path && x.labels.outcome === "ok");
  assert.deepEqual(buckets.map((b) => b.labels.le), ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, "cumulative");
  const count = value(s, "k3s_daas_control_plane_request_duration_seconds_count", base)!;
  assert.equal(buckets.at(-1)!.value, count);
  const sum = value(s, "k3s_daas_control_plane_request_duration_seconds_sum", base)!;
  assert.ok(sum > 0 && sum < count * 2, `sum ${sum} of ${count} loopback round trips`);
});

test("k3s restarts by reason: systemd's own restarts (NRestarts, reset by an explicit start), and a k3s found stopped", async () => {
  const restarts = (s: Sample[]) => Object.fromEntries(["heartbeat_failures", "not_running", "systemd"].map((reason) => [reason, value(s, "k3s_daas_k3s_restarts_total", { reason })]));
  assert.deepEqual(restarts((await scrape()).samples), { heartbeat_failures: 0, not_running: 0, systemd: 0 });
  nRestarts = 2; // two restarts since the baseline of the first sample
  await scrapeUntil("systemd 2", (s) => value(s, "k3s_daas_k3s_restarts_total", { reason: "systemd" }) === 2);
  nRestarts = 1; // reset by a `systemctl restart`, then restarted once more by itself
  await scrapeUntil("systemd 3", (s) => value(s, "k3s_daas_k3s_restarts_total", { reason: "systemd" }) === 3);

  const pid = (agent.k3s as ProcessK3s).pid!;
  process.kill(pid, "SIGKILL");
  const s = await scrapeUntil("not_running 1", (x) => value(x, "k3s_daas_k3s_restarts_total", { reason: "not_running" }) === 1);
  assert.deepEqual(restarts(s), { heartbeat_failures: 0, not_running: 1, systemd: 3 });
  assert.ok(processAlive((agent.k3s as ProcessK3s).pid!));
});

test("control plane down: unreachable round trips, failures, a restart after 3; back: refused (it forgot us), then ok", async () => {
  const { port, privateKeyPem } = cp;
  await cp.close();
  const down = await scrapeUntil("3 failures and a restart", (s) =>
    (value(s, "k3s_daas_heartbeat_consecutive_failures") ?? 0) >= 3 && value(s, "k3s_daas_k3s_restarts_total", { reason: "heartbeat_failures" }) === 1);
  assert.ok((value(down, "k3s_daas_control_plane_request_duration_seconds_count", { path: PATH_HEARTBEAT, outcome: "unreachable" }) ?? 0) >= 3);
  const lastOk = value(down, "k3s_daas_heartbeat_last_success_timestamp_seconds")!;
  cp = await startCp(chain, { port, privateKeyPem });
  const back = await scrapeUntil("heartbeats accepted again", (s) =>
    value(s, "k3s_daas_heartbeat_consecutive_failures") === 0 && value(s, "k3s_daas_heartbeat_last_success_timestamp_seconds")! > lastOk, agent, 30_000);
  assert.ok((value(back, "k3s_daas_control_plane_request_duration_seconds_count", { path: PATH_HEARTBEAT, outcome: "refused" }) ?? 0) >= 1, "not_registered, signed");
  assert.equal(value(back, "k3s_daas_control_plane_request_duration_seconds_count", { path: PATH_REGISTER, outcome: "ok" }), 2);
});

test("slashed: the state set moves to slashed, the amount drops, the agent is stopped", async () => {
  await slash(chain, node.stakeId, ONE_SUI);
  const s = await scrapeUntil("slashed", (x) => value(x, "k3s_daas_stake_status", { status: "slashed" }) === 1 && value(x, "k3s_daas_agent_phase", { phase: "stopped" }) === 1);
  assert.equal(value(s, "k3s_daas_stake_status", { status: "active" }), 0);
  assert.equal(value(s, "k3s_daas_stake_active"), 0);
  assert.equal(value(s, "k3s_daas_agent_running"), 0);
  assert.equal(value(s, "k3s_daas_stake_amount_mist"), Number(2n * ONE_SUI), "3 SUI staked, 1 slashed");
  assert.equal(value(s, "k3s_daas_agent_phase", { phase: "running" }), 0);
  assert.equal(value(s, "k3s_daas_chain_stream_connected"), 0, "the watch stops with the node");
});
