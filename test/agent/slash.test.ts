// Slashing the stake on chain stops the stand-in k3s agent and every container within 3 s
// (the explicit bound); the agent keeps serving its API and says why.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import type { ProcessK3s } from "../../agent/src/k3s-service";
import { getJson, processAlive, slash, startStakedAgent, stopStakedAgent, waitFor, type Chain, type Node, type Started } from "./helpers";

let chain: Chain, cp: ControlPlane, node: Node, agent: Started;

before(async () => {
  ({ chain, cp, node, agent } = await startStakedAgent("worker-slash", {
    // Heartbeat at a realistic-ish pace: the stop must come from the 1 s stake watch, not a beat.
    overrides: { heartbeat: { intervalMs: 30_000, jitter: 0.1, maxBackoffMs: 60_000, stakeWatchIntervalMs: 1_000 } },
  }));
});
after(() => stopStakedAgent({ agent, cp, chain, node }));

test("a slashed stake stops k3s and the containers within 3 s", async () => {
  await waitFor("registration", () => cp.workers().some((w) => w.node_id === node.nodeId));
  const pid = await waitFor("k3s child", () => (agent.k3s as ProcessK3s).pid);
  assert.ok(processAlive(pid));

  await slash(chain, node.stakeId, 2_000_000_000n);
  const slashedAt = Date.now();
  const killedList = () => readFileSync(node.ctrDir + "/killed", "utf8").trim().split("\n").filter(Boolean).sort();
  await waitFor("k3s stand-in to exit and containers to be killed", () => !processAlive(pid) && killedList().length >= 3, 10_000, 20);
  const elapsed = Date.now() - slashedAt;
  assert.ok(elapsed < 3_000, `node stopped ${elapsed} ms after the slash (bound 3000 ms)`);
  assert.deepEqual(killedList(), ["app-a", "sb-a", "sb-b"], "every running container was killed");

  const health = await getJson(agent.base + "/health");
  assert.equal(health.status, 503);
  assert.equal(health.body.status, "stopped");
  assert.equal(health.body.stake_status, "slashed");
  assert.match(health.body.reason, /slashed/);
  const staking = await getJson(agent.base + "/api/v1/staking");
  assert.equal(staking.body.stake_status, "slashed");
  assert.ok(agent.lines.some((l) => /stopping node: stake slashed/.test(l)), "the log says why");
  // It left the control plane's list (deregistration is allowed with a slashed stake).
  await waitFor("deregistration", () => !cp.workers().some((w) => w.node_id === node.nodeId));
  // No supervision restarts k3s afterwards.
  assert.equal((agent.k3s as ProcessK3s).pid, undefined);
});
