// With the control plane down the node keeps running: heartbeats fail and back off, after 3
// failures in a row the k3s agent is restarted (and the status says so), and when the control
// plane returns the agent re-registers and heartbeats again.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import type { ProcessK3s } from "../../agent/src/k3s-service";
import { getJson, processAlive, startCp, startStakedAgent, stopStakedAgent, waitFor, type Chain, type Node, type Started } from "./helpers";

let chain: Chain, cp: ControlPlane, node: Node, agent: Started;

before(async () => {
  ({ chain, cp, node, agent } = await startStakedAgent("worker-outage"));
});
// `cp` is the control plane of the moment: the test replaces it.
after(() => stopStakedAgent({ agent, cp, chain, node }));

test("control plane outage: node keeps running, backs off, restarts k3s once, recovers", async () => {
  await waitFor("first heartbeat", () => cp.workers().find((w) => w.node_id === node.nodeId && w.heartbeats >= 1));
  const { port, privateKeyPem } = cp;
  await cp.close();

  const h = await waitFor("3 failures in a row", async () => {
    const r = await getJson(agent.base + "/health");
    return r.body.consecutive_failures >= 3 && r.body.k3s_restarts >= 1 ? r.body : undefined;
  });
  assert.match(h.last_k3s_restart.reason, /3 heartbeat failures in a row/);
  assert.match(h.last_heartbeat_error, /unreachable/);
  // The node still runs (k3s restarted, not stopped) and the stake is still active.
  const pid = (agent.k3s as ProcessK3s).pid;
  assert.ok(pid && processAlive(pid));
  assert.equal(h.stake_status, "active");
  assert.equal(h.status, "healthy");
  // Backoff: the failures are spaced exponentially, visible as growing gaps between log lines.
  const failTimes = agent.lines
    .map((l) => JSON.parse(l) as { msg: string; time: string })
    .filter((l) => l.msg === "heartbeat failed")
    .map((l) => Date.parse(l.time));
  await waitFor("a 4th failure", () => agent.agent.status.consecutiveFailures >= 4);
  const restartsBefore = agent.agent.status.k3sRestarts;

  // Back on the same port with a fresh state (it forgot the worker) and the same key.
  cp = await startCp(chain, { port, privateKeyPem });
  await waitFor("heartbeats resume", () => cp.workers().find((w) => w.node_id === node.nodeId && w.heartbeats >= 1), 30_000);
  const after = await getJson(agent.base + "/health");
  await waitFor("failure counter reset", () => agent.agent.status.consecutiveFailures === 0);
  assert.equal(after.body.registered, true);
  assert.equal(agent.agent.status.k3sRestarts, restartsBefore, "only one restart per failure streak");
  assert.ok(agent.lines.some((l) => l.includes("heartbeat recovered")));
  assert.ok(failTimes.length >= 3);
  // Exponential: the second gap between failures is longer than the first.
  const gaps = failTimes.slice(1).map((t, i) => t - failTimes[i]!);
  assert.ok(gaps.length >= 2 && gaps[1]! > gaps[0]!, `gaps ${gaps.join(",")} grow`);
});
