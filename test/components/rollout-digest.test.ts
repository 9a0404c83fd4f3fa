// The rollout's parts and digests (src/components/rollout-digest.ts), pure: each part rolls the
// worker when it changes and only then, the secret parts are digests, and the forms are pinned
// (a changed form would roll every running fleet once, so it must be a decision, not an accident).
import assert from "node:assert/strict";
import { test } from "node:test";
import { rolloutChanges, rolloutDigest, rpcHeadersDigest, secretChanges, type RolloutParts } from "../../src/components/rollout-digest";

const parts: RolloutParts = {
  k3sVersion: "v1.31.4+k3s1", k3sBinUrl: "https://mirror.example/k3s", k3sBinSha256: "a".repeat(64), k3sInstall: "install",
  installerSha: "b".repeat(64), agentBundleSha: "c".repeat(64), agentUnitSha: "d".repeat(64), agentConfigHead: { nodeId: "w1" },
  agentConfigTail: { k3s: {} }, nodeVersion: "22.23.3", runtimePackage: "containerd", runtimeSetup: "{}", configurerSha: "e".repeat(64),
};
const TOKEN = "K10abc::node:pw";

test("the forms are pinned: the same parts give the same names, values and digest as the release before", () => {
  const c = rolloutChanges(parts);
  assert.deepEqual(Object.keys(c), ["steps", "k3s", "agentBundle", "agentUnit", "agentConfig", "node", "containerRuntime", "runtimeConfig"]);
  assert.equal(c.k3s, `v1.31.4+k3s1 from https://mirror.example/k3s sha256 ${"a".repeat(64)} script 684073ce4a88`);
  assert.equal(c.agentConfig, "11db475920330d194431b88f9e55e94b82de1b7e5f79f9708a03fda69b74b765");
  assert.equal(c.runtimeConfig, "773e3782ce7e");
  assert.equal(rolloutDigest(c, secretChanges(TOKEN, "")), "952a24f8025359cde3409c41588cc28e64d7c0f4272204ef3a67028508f444fc");
  assert.equal(rolloutDigest(c, secretChanges(TOKEN, rpcHeadersDigest("x-api-key:1"))), "2939eb6fbdc523dc8214cd0581cd63f96fdb86af6d9525bd9151f2b551e2c786");
});

const changes: Array<[string, Partial<RolloutParts>, string]> = [
  ["a new k3s release", { k3sVersion: "v1.32.1+k3s1" }, "k3s"],
  ["another mirror", { k3sBinUrl: "https://other.example/k3s" }, "k3s"],
  ["another binary sha", { k3sBinSha256: "f".repeat(64) }, "k3s"],
  ["a changed install command", { k3sInstall: "install --other" }, "k3s"],
  ["a new installer script", { installerSha: "0".repeat(64) }, "k3s"],
  ["a new agent bundle", { agentBundleSha: "1".repeat(64) }, "agentBundle"],
  ["a new agent unit", { agentUnitSha: "2".repeat(64) }, "agentUnit"],
  ["an agent config change", { agentConfigTail: { k3s: { x: 1 } } }, "agentConfig"],
  ["a Node release", { nodeVersion: "22.24.0" }, "node"],
  ["docker instead of containerd", { runtimePackage: "docker.io" }, "containerRuntime"],
  ["a containerd config change", { runtimeSetup: '{"pause":"x"}' }, "runtimeConfig"],
  ["a new configurer script", { configurerSha: "3".repeat(64) }, "runtimeConfig"],
];
for (const [what, change, key] of changes) {
  test(`${what} changes ${key}, and only it`, () => {
    const before = rolloutChanges(parts);
    const after = rolloutChanges({ ...parts, ...change });
    const differ = Object.keys(before).filter((k) => before[k] !== after[k]);
    assert.deepEqual(differ, [key]);
    assert.notEqual(rolloutDigest(after, ""), rolloutDigest(before, ""));
  });
}

test("the secret parts: a digest of the token (never the token), the RPC key only when there is one", () => {
  const plain = secretChanges(TOKEN, "");
  assert.ok(!plain.includes(TOKEN) && /^[0-9a-f]{64}$/.test(plain));
  assert.equal(rpcHeadersDigest(undefined), "", "no headers: the digest of before headers existed");
  const withKey = secretChanges(TOKEN, rpcHeadersDigest("x-api-key:1"));
  assert.ok(withKey.startsWith(`${plain}+`));
  assert.notEqual(secretChanges(TOKEN, rpcHeadersDigest("x-api-key:2")), withKey, "a rotated key rolls");
  assert.notEqual(secretChanges("K10abc::node:other", ""), plain, "a new join token rolls");
});
