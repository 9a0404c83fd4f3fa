// On a host k3s is its own systemd unit and outlives an agent restart. Whatever phase the agent
// is in, once it knows the stake is no longer active it stops that k3s and its containers: a
// restarted agent whose first check finds the stake slashed, and an agent blocked on a revoked
// seal token whose stake is then slashed (the chain is watched while blocked). An RPC outage
// alone never stops k3s: a read that fails is not a slash.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import type { K3sService } from "../../agent/src/k3s-service";
import { createLogger } from "../../agent/src/log";
import { startAgent } from "../../agent/src/run";
import type { AgentConfigInput } from "../../agent/src/config";
import { agentConfigSchema } from "../../agent/src/config";
import {
  FAKE_K3S, getJson, processAlive, slash, stakeNode, startChain, startCp, waitFor,
  type Chain, type Node, type Started,
} from "./helpers";
import { startRpcProxy, type RpcProxy } from "./rpc-proxy";

/**
 * The host's k3s unit, as systemd runs it: started once, it keeps running whether or not an
 * agent is there (detach leaves it alone), and any agent on the host can stop it.
 */
class HostK3s implements K3sService {
  readonly kind = "systemd";
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  constructor(private readonly node: Node) {}
  get pid(): number | undefined {
    return this.child?.pid;
  }
  async start(): Promise<void> {
    if (await this.isRunning()) return;
    const child = spawn("/bin/sh", [FAKE_K3S, "agent"], { env: { ...process.env, FAKE_K3S_STATE: this.node.k3sState }, stdio: "ignore" });
    this.exited = new Promise((r) => child.once("exit", () => r()));
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", reject);
    });
    this.child = child;
  }
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await this.exited;
  }
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
  async isRunning(): Promise<boolean> {
    const pid = this.child?.pid;
    return pid !== undefined && this.child!.exitCode === null && this.child!.signalCode === null && processAlive(pid);
  }
  async detach(): Promise<void> {}
}

let chain: Chain, cp: ControlPlane;
const nodes: Node[] = [];
const hostK3s: HostK3s[] = [];
const agents: Started[] = [];
let rpc: RpcProxy | undefined;

before(async () => {
  chain = await startChain();
  cp = await startCp(chain);
});
after(async () => {
  for (const a of agents) await a.stop();
  for (const k of hostK3s) await k.stop();
  await rpc?.close();
  await cp?.close();
  await chain?.close();
  for (const n of nodes) n.cleanup();
});

async function host(nodeId: string, overrides: Partial<AgentConfigInput> = {}): Promise<{ node: Node; k3s: HostK3s }> {
  const node = await stakeNode(chain, nodeId, overrides);
  nodes.push(node);
  const k3s = new HostK3s(node);
  hostK3s.push(k3s);
  return { node, k3s };
}

async function run(node: Node, k3s: HostK3s, overrides: Partial<AgentConfigInput> = {}): Promise<Started> {
  const lines: string[] = [];
  const cfg = agentConfigSchema.parse({ ...node.cfgInput, ...overrides });
  const r = await startAgent(cfg, { log: createLogger("debug", (l) => void lines.push(l)), k3s });
  const started = Object.assign(r, { lines, base: `http://127.0.0.1:${r.port}` });
  agents.push(started);
  return started;
}

/** First agent on the host: runs until registered, then is stopped (a restart); k3s keeps running. */
async function firstRunThenRestart(node: Node, k3s: HostK3s): Promise<number> {
  const first = await run(node, k3s);
  await waitFor("registration", () => cp.workers().some((w) => w.node_id === node.nodeId));
  await first.stop();
  const pid = k3s.pid!;
  assert.ok(await k3s.isRunning(), "k3s outlives the agent");
  return pid;
}

const killedList = (node: Node) => readFileSync(node.ctrDir + "/killed", "utf8").trim().split("\n").filter(Boolean).sort();

test("a restarted agent whose first check finds the stake slashed stops the k3s that kept running", async () => {
  const { node, k3s } = await host("worker-restart-slashed");
  const pid = await firstRunThenRestart(node, k3s);
  await slash(chain, node.stakeId, 2_000_000_000n);

  const agent = await run(node, k3s);
  await waitFor("k3s stopped", async () => !(await k3s.isRunning()) && !processAlive(pid), 10_000);
  await waitFor("containers killed", () => killedList(node).length >= 3);
  assert.deepEqual(killedList(node), ["app-a", "sb-a", "sb-b"], "every running container was killed");
  const health = await getJson(agent.base + "/health");
  assert.equal(health.body.status, "stopped");
  assert.match(health.body.reason, /slashed/);
  assert.ok(agent.lines.some((l) => /stopping node: stake slashed/.test(l)), "the log says why");
  // And nothing starts it again.
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(await k3s.isRunning(), false);
});

test("an agent blocked on a revoked seal token keeps watching its stake and stops k3s when it is slashed", async () => {
  const { node, k3s } = await host("worker-blocked-slashed");
  const pid = await firstRunThenRestart(node, k3s);
  await node.staker.revokeSealToken(node.sealTokenId);

  // Start-up retries are slow here (30 s, then backoff): the stop must come from the stake watch.
  const agent = await run(node, k3s, {
    heartbeat: { intervalMs: 30_000, jitter: 0.1, maxBackoffMs: 60_000, stakeWatchIntervalMs: 250 },
  });
  await waitFor("blocked on the revoked token", async () => {
    const h = await getJson(agent.base + "/health");
    return h.body.status === "blocked" ? h : undefined;
  });
  // A revoked token is not a lost stake: k3s keeps serving the node meanwhile.
  assert.ok(processAlive(pid), "k3s still runs while blocked on the token");

  await slash(chain, node.stakeId, 2_000_000_000n);
  const slashedAt = Date.now();
  await waitFor("k3s stopped", async () => !(await k3s.isRunning()) && !processAlive(pid), 10_000, 20);
  const elapsed = Date.now() - slashedAt;
  assert.ok(elapsed < 5_000, `k3s stopped ${elapsed} ms after the slash (bound 5000 ms, start-up retry in 30 s)`);
  await waitFor("containers killed", () => killedList(node).length >= 3);
  const health = await getJson(agent.base + "/health");
  assert.equal(health.body.status, "stopped");
  assert.equal(health.body.stake_status, "slashed");
  assert.match(health.body.reason, /slashed/);
});

test("an agent blocked by an RPC outage does not stop k3s, and runs on once the RPC is back", async () => {
  rpc = await startRpcProxy(chain.url);
  const { node, k3s } = await host("worker-blocked-outage", {
    sui: { rpcUrl: rpc.url, packageId: chain.ids.packageId, poolId: chain.ids.poolId, registryId: chain.ids.registryId, requestTimeoutMs: 1_000 },
  });
  const pid = await firstRunThenRestart(node, k3s);
  rpc.setMode("garbage");
  const callsBefore = [...rpc.calls.values()].reduce((a, b) => a + b, 0);

  const agent = await run(node, k3s);
  await waitFor("blocked by the outage", async () => {
    const h = await getJson(agent.base + "/health");
    return h.body.status === "blocked" ? h : undefined;
  });
  // Seconds of failed reads (start-up retries and the stake watch): none of them is a slash.
  await waitFor("many failed chain reads", () => [...rpc!.calls.values()].reduce((a, b) => a + b, 0) - callsBefore >= 10, 15_000);
  await new Promise((r) => setTimeout(r, 1_500));
  assert.ok(processAlive(pid) && (await k3s.isRunning()), "k3s still runs through the outage");
  assert.deepEqual(killedList(node), [], "no container was stopped");
  assert.equal(agent.agent.status.phase, "blocked");

  rpc.setMode("pass");
  await waitFor("running again", () => agent.agent.status.phase === "running", 20_000);
  await waitFor("registered again", () => cp.workers().some((w) => w.node_id === node.nodeId));
  assert.equal(k3s.pid, pid, "the same k3s, never stopped");
  assert.ok(processAlive(pid));
});

test("an agent blocked on a revoked seal token, given a renewed one (reload), runs on watching the new token", async () => {
  const { node, k3s } = await host("worker-blocked-renewed");
  const pid = await firstRunThenRestart(node, k3s);
  await node.staker.revokeSealToken(node.sealTokenId);
  const agent = await run(node, k3s);
  await waitFor("blocked on the revoked token", () => agent.agent.status.phase === "blocked");
  await waitFor("the watch sees the token gone", () => agent.agent.chainWatch.view?.sealToken === null);

  const beats = () => cp.workers().find((w) => w.node_id === node.nodeId)?.heartbeats ?? 0;
  const beatsBefore = beats();
  const { sealTokenId: renewed } = await node.staker.mintSealToken({ stakeId: node.stakeId, workerPubkey: node.workerPubkey });
  const result = await agent.reload(agentConfigSchema.parse({ ...node.cfgInput, sealTokenId: renewed }), "renewed");
  assert.equal(result.switchedSealToken, true);
  await waitFor("running", () => agent.agent.status.phase === "running");
  // The watched view is of the renewed token, so heartbeats pass its check and reach the control plane.
  await waitFor("heartbeats with the renewed token", () => beats() >= beatsBefore + 2);
  assert.equal(agent.agent.chainWatch.view?.sealToken?.id.replace(/^0x0*/, ""), renewed.replace(/^0x0*/, ""));
  assert.equal(k3s.pid, pid, "the same k3s, never stopped");
});
