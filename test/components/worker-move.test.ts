// A worker moved to a new host (same node id, new address): every host-side resource is
// installed on the new host first and torn down on the old one after (create-before-delete);
// only a new node id tears down first. The diffs decide the order, so they are what is tested;
// test/e2e/day2.test.ts moves a worker between real hosts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostStateProvider, nodeRuntimeProvider } from "../../src/components/runtime";
import { hostKeyProvider } from "../../src/components/runtime/host-key";
import type { HostStateInputs, HostStateOutputs } from "../../src/components/runtime/host-state";

const SHA = "a".repeat(64);
const hostInputs = (over: Partial<HostStateInputs> = {}): HostStateInputs => ({
  host: "10.0.0.2", port: 22, user: "root", privateKey: "k", hostKey: "ssh-ed25519 AAAA", allowUnreachableHost: false, connectRetries: 5,
  nodeId: "w1", agentPort: 9443, bundleSha256: SHA, bundlePath: "/x/agent.js", configSha256: SHA, removeContainerd: false,
  containerPackage: "containerd", healthTimeoutSeconds: 60, k3sVersion: "", rolloutFleet: "fleet", maxUnavailable: 1, rolloutDigest: SHA,
  ...over,
} as HostStateInputs);
const hostOutputs = (over: Partial<HostStateInputs> = {}): HostStateOutputs => ({
  ...hostInputs(over), agentActive: true, registered: true, hostBundleSha256: SHA, health: "healthy", k3sActive: true, hostK3sVersion: "",
} as HostStateOutputs);

test("HostState: a new address or port replaces create-before-delete (new host healthy, then the old torn down)", async () => {
  for (const moved of [{ host: "10.0.0.9" }, { port: 2222 }]) {
    const d = await hostStateProvider.diff("w1@10.0.0.2", hostOutputs(), hostInputs(moved));
    assert.deepEqual(d.replaces, Object.keys(moved));
    assert.equal(d.deleteBeforeReplace, false, JSON.stringify(moved));
  }
  const renamed = await hostStateProvider.diff("w1@10.0.0.2", hostOutputs(), hostInputs({ nodeId: "w2" }));
  assert.deepEqual([renamed.replaces, renamed.deleteBeforeReplace], [["nodeId"], true], "another node id: the old one leaves first");
  assert.deepEqual((await hostStateProvider.diff("w1@10.0.0.2", hostOutputs(), hostInputs())).replaces, []);
});

test("NodeRuntime and HostKey: the same order for a moved worker", async () => {
  const nodeOld = { nodeId: "w1", host: "10.0.0.2", port: 22, user: "root", privateKey: "k", hostKey: "h", nodeVersion: "22.0.0", allowUnreachableHost: false, connectRetries: 5, installedVersion: "v22.0.0" };
  const n = await nodeRuntimeProvider.diff("id", nodeOld as never, { ...nodeOld, host: "10.0.0.9" } as never);
  assert.deepEqual([n.replaces, n.deleteBeforeReplace], [["host"], false]);
  const k = await hostKeyProvider.diff("id", { nodeId: "w1", host: "10.0.0.2", port: 22, hostKey: "h", fingerprint: "f", trust: "first-use" } as never, { nodeId: "w1", host: "10.0.0.9", port: 22 });
  assert.deepEqual([k.replaces, k.deleteBeforeReplace], [["host"], false]);
});
