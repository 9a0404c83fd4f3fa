// The agent's stake watch over Sui gRPC: pushed by a filtered checkpoint stream (no chain read
// per heartbeat), polled while the stream is down and reconnected, and never fooled into
// stopping k3s by an RPC that errs, answers garbage or hangs; a real slash still stops it in 3 s.
import assert from "node:assert/strict";
import { after, afterEach, test } from "node:test";
import type { ProcessK3s } from "../../agent/src/k3s-service";
import type { ControlPlane } from "../../devnet/control-plane";
import type { Devnet } from "../../devnet/chain";
import { startRpcProxy, type RpcProxy } from "./rpc-proxy";
import { processAlive, slash, startStakedAgent, stopStakedAgent, waitFor, type Chain, type Node, type Started } from "./helpers";

let chain: Chain, cp: ControlPlane, node: Node, agent: Started;
let proxy: RpcProxy | undefined;
afterEach(async () => {
  await stopStakedAgent({ agent, cp, chain, node });
  await proxy?.close();
  proxy = undefined;
});
after(() => undefined);

const agentCounts = (nodeId: string) => (chain as unknown as Devnet).requestCounts()[`k3s-daas-agent/${nodeId}`] ?? {};
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

async function viaProxy(nodeId: string, heartbeat: Record<string, number>, sui: Record<string, unknown> = {}) {
  ({ chain, cp, node, agent } = await startStakedAgent(nodeId, {
    overrides: { heartbeat: { intervalMs: 200, jitter: 0.1, maxBackoffMs: 800, stakeWatchIntervalMs: 250, ...heartbeat } },
    prepare: async (s) => {
      proxy = await startRpcProxy(s.chain.url);
      s.node.cfg.sui = { ...s.node.cfg.sui, rpcUrl: proxy.url, ...sui };
    },
  }));
  await waitFor("registration", () => cp.workers().some((w) => w.node_id === node.nodeId));
  return (agent.k3s as ProcessK3s).pid!;
}

test("idle, the agent reads the chain once per re-read period over one stream; heartbeats read nothing", async () => {
  ({ chain, cp, node, agent } = await startStakedAgent("watch-idle", {
    overrides: { heartbeat: { intervalMs: 200, jitter: 0.1, maxBackoffMs: 800, stakeWatchIntervalMs: 250, stakeRereadIntervalMs: 2_000 } },
  }));
  await waitFor("registration", () => cp.workers().some((w) => w.node_id === node.nodeId));
  await waitFor("the stream", () => agent.agent.chainWatch.streamUp);
  const before = agentCounts(node.nodeId);
  const beatsBefore = cp.workers().find((w) => w.node_id === node.nodeId)!.heartbeats ?? 0;
  const windowMs = 6_000;
  await new Promise((r) => setTimeout(r, windowMs));
  const after = agentCounts(node.nodeId);
  const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
  const beats = (cp.workers().find((w) => w.node_id === node.nodeId)!.heartbeats ?? 0) - beatsBefore;
  assert.ok(beats >= 15, `heartbeats kept going (${beats})`);
  const reads = sum(delta as Record<string, number>);
  assert.ok(reads <= windowMs / 2_000 + 1, `chain requests in ${windowMs} ms idle: ${JSON.stringify(delta)}`);
  assert.equal(delta["sui.rpc.v2.SubscriptionService/SubscribeCheckpoints"] ?? 0, 0, "the one stream stayed open");
  assert.equal(after["sui.rpc.v2.SubscriptionService/SubscribeCheckpoints"], 1);

  // A slash is pushed: the stop comes long before the next re-read would.
  const pid = (agent.k3s as ProcessK3s).pid!;
  const pushedBefore = agent.agent.chainWatch.stats.pushedChanges;
  await slash(chain, node.stakeId, 2_000_000_000n);
  const t0 = Date.now();
  await waitFor("k3s stopped", () => !processAlive(pid), 5_000, 20);
  assert.ok(Date.now() - t0 < 3_000, `stopped after ${Date.now() - t0} ms`);
  assert.ok(agent.agent.chainWatch.stats.pushedChanges > pushedBefore, "the stream pushed the change");
});

test("the stream drops: the agent polls (a slash still stops k3s within 3 s) and reconnects", async () => {
  const pid = await viaProxy("watch-drop", { stakeRereadIntervalMs: 60_000 });
  await waitFor("the stream", () => agent.agent.chainWatch.streamUp);
  proxy!.setMode("no-stream");
  await waitFor("the agent to notice the drop", () => !agent.agent.chainWatch.streamUp, 5_000, 20);
  const polls0 = agent.agent.chainWatch.stats.reads;
  await new Promise((r) => setTimeout(r, 1_500));
  assert.ok(agent.agent.chainWatch.stats.reads - polls0 >= 3, "polling while the stream is down");
  assert.ok((proxy!.calls.get("/sui.rpc.v2.SubscriptionService/SubscribeCheckpoints") ?? 0) >= 2, "it tried to reconnect");
  proxy!.setMode("pass");
  await waitFor("the stream back", () => agent.agent.chainWatch.streamUp, 40_000, 50);
  assert.ok(agent.agent.chainWatch.stats.streamOpens >= 2);
  assert.ok(processAlive(pid), "k3s ran all along");

  proxy!.setMode("no-stream");
  await waitFor("the drop", () => !agent.agent.chainWatch.streamUp, 5_000, 20);
  await slash(chain, node.stakeId, 2_000_000_000n);
  const t0 = Date.now();
  await waitFor("k3s stopped by polling", () => !processAlive(pid), 5_000, 20);
  assert.ok(Date.now() - t0 < 3_000, `stopped after ${Date.now() - t0} ms`);
});

test("an RPC that answers garbage or hangs never stops k3s; a real slash afterwards still does within 3 s", async () => {
  const pid = await viaProxy("watch-garbage", { stakeRereadIntervalMs: 60_000 }, { requestTimeoutMs: 300 });
  await waitFor("the stream", () => agent.agent.chainWatch.streamUp);
  for (const mode of ["garbage", "hang"] as const) {
    proxy!.setMode(mode);
    const reads0 = agent.agent.chainWatch.stats.reads;
    await new Promise((r) => setTimeout(r, 3_000));
    assert.ok(agent.agent.chainWatch.stats.reads > reads0 + 3, `kept trying through ${mode}`);
    assert.ok(processAlive(pid), `k3s still runs after 3 s of ${mode}`);
    assert.notEqual(agent.agent.status.phase, "stopped");
  }
  proxy!.setMode("pass");
  await waitFor("the stream back", () => agent.agent.chainWatch.streamUp, 40_000, 50);
  await slash(chain, node.stakeId, 2_000_000_000n);
  const t0 = Date.now();
  await waitFor("k3s stopped", () => !processAlive(pid), 5_000, 20);
  assert.ok(Date.now() - t0 < 3_000, `stopped after ${Date.now() - t0} ms`);
  assert.ok(agent.lines.some((l) => /chain view: read failed|timed out/.test(l)), "the failures were logged");
});
