// /livez and /readyz through the two ways a node stops doing its job: the k3s agent dies (and is
// brought back by supervision), and the stake is slashed on chain (the node stops for good).
// /livez stays 200 throughout: the process serves; /readyz says which check failed.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import type { ProcessK3s } from "../../agent/src/k3s-service";
import { getJson, processAlive, slash, startStakedAgent, stopStakedAgent, waitFor, type Chain, type Node, type Started } from "./helpers";

let chain: Chain, cp: ControlPlane, node: Node, agent: Started;

before(async () => {
  ({ chain, cp, node, agent } = await startStakedAgent("worker-probes", {
    // Supervision (in the heartbeat) restarts a dead k3s within 3 s; the sampler looks every 200 ms.
    overrides: { heartbeat: { intervalMs: 3_000, jitter: 0, maxBackoffMs: 6_000, stakeWatchIntervalMs: 1_000 } },
  }));
});
after(() => stopStakedAgent({ agent, cp, chain, node }));

const readyz = () => getJson(agent.base + "/readyz");
const livez = () => getJson(agent.base + "/livez");

test("ready once registered with an active stake and k3s running", async () => {
  const r = await waitFor("readyz 200", async () => ((await readyz()).status === 200 ? readyz() : undefined));
  assert.equal(r.body.status, "ready");
  assert.deepEqual(r.body.checks, { running: true, registered: true, stake_active: true, k3s_active: true });
  assert.equal((await livez()).status, 200);
});

test("k3s dies: not ready (k3s_active false) while alive; ready again once supervision restarts it", async () => {
  const pid = (agent.k3s as ProcessK3s).pid!;
  process.kill(pid, "SIGKILL");
  const down = await waitFor("readyz 503 for k3s", async () => {
    const r = await readyz();
    return r.status === 503 && r.body.checks.k3s_active === false ? r : undefined;
  }, 5_000, 20);
  assert.deepEqual(down.body.checks, { running: true, registered: true, stake_active: true, k3s_active: false });
  assert.equal((await livez()).status, 200, "alive while not ready");
  const back = await waitFor("readyz 200 after the k3s restart", async () => ((await readyz()).status === 200 ? readyz() : undefined), 10_000);
  assert.equal(back.body.checks.k3s_active, true);
  assert.notEqual((agent.k3s as ProcessK3s).pid, pid, "a new k3s process");
});

test("stake slashed: not ready for good (stopped, stake not active, k3s stopped); still alive", async () => {
  const pid = (agent.k3s as ProcessK3s).pid!;
  await slash(chain, node.stakeId, 2_000_000_000n);
  const r = await waitFor("readyz 503 after the slash", async () => {
    const x = await readyz();
    return x.status === 503 && x.body.checks.stake_active === false ? x : undefined;
  }, 5_000, 20);
  assert.equal(r.body.checks.running, false);
  assert.equal(r.body.phase, "stopped");
  assert.match(r.body.reason, /slashed/);
  await waitFor("k3s stopped", () => !processAlive(pid));
  const later = await waitFor("k3s_active false at a later sample", async () => {
    const x = await readyz();
    return x.body.checks.k3s_active === false ? x : undefined;
  });
  assert.equal(later.status, 503);
  const l = await livez();
  assert.equal(l.status, 200);
  assert.equal(l.body.status, "alive");
});
