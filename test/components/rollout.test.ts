// The rollout slots the RolloutGate and HostState providers share in the provider process:
// at most maxUnavailable workers hold one; a failed worker stops every worker still waiting;
// first provisioning (create) takes none. The providers themselves are called, as the engine does.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { acquireSlot, failRollout, holdsSlot, releaseSlot, resetRollouts, rolloutGateProvider } from "../../src/components/runtime/rollout";

beforeEach(() => resetRollouts());

const tick = () => new Promise((r) => setTimeout(r, 5));

test("at most maxUnavailable workers hold a slot; the next one waits for a release", async () => {
  const order: string[] = [];
  const take = (n: string) => acquireSlot("f", n, 1, 5_000).then(() => order.push(n));
  await take("w1");
  const w2 = take("w2");
  const w3 = take("w3");
  await tick();
  assert.deepEqual(order, ["w1"], "w2 and w3 wait while w1 is out of service");
  releaseSlot("f", "w1", 1);
  await w2;
  await tick();
  assert.deepEqual(order, ["w1", "w2"]);
  assert.ok(holdsSlot("f", "w2") && !holdsSlot("f", "w3"));
  releaseSlot("f", "w2", 1);
  await w3;
  assert.deepEqual(order, ["w1", "w2", "w3"]);
});

test("maxUnavailable 2 lets two go at once; fleets do not share slots", async () => {
  await acquireSlot("f", "a", 2, 5_000);
  await acquireSlot("f", "b", 2, 5_000);
  await acquireSlot("other", "x", 1, 5_000);
  let third = false;
  const c = acquireSlot("f", "c", 2, 5_000).then(() => (third = true));
  await tick();
  assert.equal(third, false);
  releaseSlot("f", "a", 2);
  await c;
  assert.equal(third, true);
});

test("a failed worker stops the rollout: waiting workers refuse, naming it, and later ones refuse at once", async () => {
  await acquireSlot("f", "w1", 1, 5_000);
  const w2 = acquireSlot("f", "w2", 1, 5_000);
  failRollout("f", "w1", "worker w1 did not come back healthy within 60s: k3s-agent.service is not active\nlog...");
  await assert.rejects(w2, /rollout of fleet f stopped at worker w1, so w2 was left untouched: worker w1 did not come back healthy within 60s: k3s-agent.service is not active$/);
  await assert.rejects(acquireSlot("f", "w3", 1, 5_000), /stopped at worker w1, so w3 was left untouched/);
});

test("a slot never given back times out the waiter with a message naming who holds it", async () => {
  await acquireSlot("f", "w1", 1, 5_000);
  await assert.rejects(acquireSlot("f", "w2", 1, 50), /w2 waited 0 s for one of its 1 slot\(s\); still out of service: w1 .*w2 was left untouched/);
  // The timed-out waiter left the queue: a release goes to nobody, and a new worker gets a slot.
  releaseSlot("f", "w1", 1);
  await acquireSlot("f", "w4", 1, 50);
  assert.ok(holdsSlot("f", "w4"));
});

// No host answers at 127.0.0.1:1: the on-host check for an unfinished rollout counts that as finished.
const SSH = {
  host: "127.0.0.1", port: 1, user: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----",
  hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", allowUnreachableHost: false, connectRetries: 1,
};
const gateInputs = (changes: Record<string, string>, secretChanges = "t1") => ({ fleet: "f", nodeId: "w1", maxUnavailable: 1, timeoutSeconds: 60, changes, secretChanges, digest: "d", ...SSH });

test("the gate: create takes no slot; an update that changes what runs takes one; settings alone do not", async () => {
  const created = await rolloutGateProvider.create(gateInputs({ k3s: "v1.31.4+k3s1", agentBundle: "b1" }));
  assert.equal(created.outs.lastRollout, "provisioned");
  assert.equal(holdsSlot("f", "w1"), false, "first provisioning is not held back");

  const olds = created.outs;
  const news = gateInputs({ k3s: "v1.32.1+k3s1", agentBundle: "b1" });
  assert.deepEqual(await rolloutGateProvider.diff("f/w1", olds, news), { changes: true, replaces: [] });
  const up = await rolloutGateProvider.update("f/w1", olds, news);
  assert.equal(up.outs.lastRollout, "k3s");
  assert.equal(holdsSlot("f", "w1"), true);
  releaseSlot("f", "w1", 1);

  const token = await rolloutGateProvider.update("f/w1", up.outs, gateInputs({ k3s: "v1.32.1+k3s1", agentBundle: "b1" }, "t2"));
  assert.equal(token.outs.lastRollout, "k3sToken", "a new join token restarts k3s too, so it takes a slot");
  releaseSlot("f", "w1", 1);

  const same = gateInputs({ k3s: "v1.32.1+k3s1", agentBundle: "b1" }, "t2");
  assert.deepEqual(await rolloutGateProvider.diff("f/w1", token.outs, same), { changes: false, replaces: [] });
  const wider = { ...same, maxUnavailable: 2 };
  assert.equal((await rolloutGateProvider.diff("f/w1", token.outs, wider)).changes, true);
  await rolloutGateProvider.update("f/w1", token.outs, wider);
  assert.equal(holdsSlot("f", "w1"), false, "a new maxUnavailable alone takes nobody out of service");
});

test("the gate refuses bad inputs by name", async () => {
  const r = await rolloutGateProvider.check({}, { ...gateInputs({}), maxUnavailable: 0 });
  assert.ok(r.failures?.some((f) => f.property === "maxUnavailable"), JSON.stringify(r.failures));
});
