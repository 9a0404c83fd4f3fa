// A node moved to a new host (same node id and stake, the new host's own worker key and a seal
// token minted for it): the new host registers, from then on the old host's key no longer speaks
// for the node. The old agent steps down (stops its k3s, stops beating) without stealing the
// registration back, and its goodbye on teardown does not unregister the node.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { agentConfigSchema } from "../../agent/src/config";
import { loadOrCreateIdentity } from "../../agent/src/identity";
import type { ProcessK3s } from "../../agent/src/k3s-service";
import { ControlPlaneClient, ControlPlaneError } from "../../agent/src/cp-client";
import { PATH_DEREGISTER, PATH_REGISTER, SUPERSEDED } from "../../agent/src/protocol";
import { getJson, processAlive, runAgent, stakeNode, startChain, startCp, waitFor, type Chain, type Node, type Started } from "./helpers";

let chain: Chain, cp: ControlPlane;
let oldNode: Node, newNode: Node;
let oldAgent: Started | undefined, newAgent: Started | undefined;
let newDir = "";

const record = () => cp.workers().find((w) => w.node_id === oldNode.nodeId);

before(async () => {
  chain = await startChain();
  cp = await startCp(chain);
  oldNode = await stakeNode(chain, "worker-move");
  oldAgent = await runAgent(oldNode);
  await waitFor("the old host registered and beating", () => (record()?.heartbeats ?? 0) >= 2);

  // The new host: its own key, k3s and runtime state; the same stake, a token minted for its key.
  newDir = mkdtempSync(join(tmpdir(), "agent-moved-"));
  const keyPath = join(newDir, "worker.key");
  const workerPubkey = loadOrCreateIdentity(keyPath).publicKey;
  const { sealTokenId } = await oldNode.staker.mintSealToken({ stakeId: oldNode.stakeId, workerPubkey });
  const k3sState = join(newDir, "k3s-state");
  writeFileSync(join(newDir, "k3s.env"), `K3S_TOKEN=join-secret-moved\nFAKE_K3S_STATE=${k3sState}\n`, { mode: 0o600 });
  const cfgInput = {
    ...oldNode.cfgInput,
    sealTokenId,
    k3s: { ...(oldNode.cfgInput.k3s as object), envFile: join(newDir, "k3s.env") },
    paths: { workerKey: keyPath, diskPath: newDir },
  } as Node["cfgInput"];
  newNode = { ...oldNode, dir: newDir, workerPubkey, sealTokenId, k3sState, cfgInput, cfg: agentConfigSchema.parse(cfgInput), cleanup: () => rmSync(newDir, { recursive: true, force: true }) };
});

after(async () => {
  await oldAgent?.stop();
  await newAgent?.stop();
  await cp?.close();
  await chain?.close();
  oldNode?.cleanup();
  newNode?.cleanup();
});

test("the new host registers; the old one is refused as superseded and steps down, stopping its k3s", async () => {
  const oldK3s = (oldAgent!.k3s as ProcessK3s).pid!;
  assert.ok(processAlive(oldK3s));
  newAgent = await runAgent(newNode);
  await waitFor("the node registered under the new host's key", () => record()?.worker_pubkey === newNode.workerPubkey);

  await waitFor("the old agent stepped down", () => oldAgent!.agent.status.phase === "stopped");
  assert.match(oldAgent!.agent.status.reason ?? "", /^superseded: .*node worker-move is registered from another host/, JSON.stringify(oldAgent!.agent.status, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
  assert.equal(oldAgent!.agent.status.registered, false);
  await waitFor("the old host's k3s stopped", () => !processAlive(oldK3s));
  const oldHealth = await getJson(`${oldAgent!.base}/health`);
  assert.equal(oldHealth.status, 503, "the old host says it no longer serves");
  assert.match(oldHealth.body.reason, /superseded/);

  // It does not take the registration back: the new host keeps beating under its key.
  const beats = record()!.heartbeats;
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(record()!.worker_pubkey, newNode.workerPubkey);
  assert.ok(record()!.heartbeats > beats, "the new host beats on");
  assert.ok(processAlive((newAgent.k3s as ProcessK3s).pid!), "the new host's k3s runs");
  assert.equal((await getJson(`${newAgent.base}/health`)).status, 200);
});

test("a move is one-way: the old host's agent, restarted mid-move with its still valid token, cannot take the node back", async () => {
  // The old host's agent restarts before its teardown (a crash, a reboot): its token is still on
  // chain, so it verifies and tries to register again. Before issue 23 the latest registration
  // won, so it took the node back and the new host was told `superseded` and stopped for good.
  await oldAgent!.stop();
  oldAgent = await runAgent(oldNode);
  await waitFor("the restarted old agent was refused and stepped down", () => oldAgent!.agent.status.phase === "stopped");
  assert.match(oldAgent.agent.status.reason ?? "", /^superseded: /);
  assert.equal(oldAgent.agent.status.registered, false);
  assert.ok(oldAgent.lines.some((l) => /another host serves this node now: stepping down/.test(l)), "its log says why");
  assert.equal(record()!.worker_pubkey, newNode.workerPubkey, "the node stays registered to the new host");
  const beats = record()!.heartbeats;
  await waitFor("the new host beats on", () => (record()?.heartbeats ?? 0) >= beats + 2);
  assert.equal(newAgent!.agent.status.phase, "running");
  assert.equal((await getJson(`${newAgent!.base}/health`)).status, 200, "the new host serves");
  assert.ok(processAlive((newAgent!.k3s as ProcessK3s).pid!));
  // And a direct registration with the old token is refused, signed, as superseded.
  const client = new ControlPlaneClient(oldNode.nodeId, loadOrCreateIdentity(oldNode.cfg.paths.workerKey), 2000);
  const body = { node_id: oldNode.nodeId, seal_token_id: oldNode.sealTokenId, stake_object_id: oldNode.stakeId, worker_pubkey: oldNode.workerPubkey, timestamp: Math.floor(Date.now() / 1000), agent_version: "test" };
  await assert.rejects(client.post({ endpoint: cp.url, enclavePubkey: cp.publicKey }, PATH_REGISTER, body), (e: ControlPlaneError) => e.status === 409 && e.code === SUPERSEDED);
  assert.equal(record()!.worker_pubkey, newNode.workerPubkey);
});

test("the old host's teardown (SIGTERM, its token revoked) leaves the node registered to the new host", async () => {
  await oldAgent!.stop();
  oldAgent = undefined;
  // Its goodbye, had it still been registered: refused, and the node stays registered.
  const client = new ControlPlaneClient(oldNode.nodeId, loadOrCreateIdentity(oldNode.cfg.paths.workerKey), 2000);
  const target = { endpoint: cp.url, enclavePubkey: cp.publicKey };
  const bye = { node_id: oldNode.nodeId, seal_token_id: oldNode.sealTokenId, timestamp: Math.floor(Date.now() / 1000), reason: "agent shutting down" };
  await assert.rejects(client.post(target, PATH_DEREGISTER, bye), (e: ControlPlaneError) => e.status === 409 && e.code === SUPERSEDED);
  await oldNode.staker.revokeSealToken(oldNode.sealTokenId);
  const beats = record()!.heartbeats;
  await waitFor("two more beats from the new host", () => (record()?.heartbeats ?? 0) >= beats + 2);
  assert.equal(record()!.worker_pubkey, newNode.workerPubkey);
  assert.equal(newAgent!.agent.status.phase, "running");
});
