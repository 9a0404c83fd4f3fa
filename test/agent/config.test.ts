// readConfig is pure: every rule is checkable without a host.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readConfig, redactConfig } from "../../agent/src/config";

const ID = (n: number) => "0x" + n.toString(16).padStart(64, "0");
const base = {
  nodeId: "worker-1",
  sui: { rpcUrl: "http://127.0.0.1:9000", packageId: ID(1), poolId: ID(2), registryId: ID(3) },
  stakeId: ID(4),
  sealTokenId: ID(5),
};
const text = (o: unknown) => JSON.stringify(o);

test("defaults fill a minimal config", () => {
  const c = readConfig({}, text(base));
  assert.equal(c.api.port, 9443);
  assert.equal(c.heartbeat.intervalMs, 30_000);
  assert.equal(c.heartbeat.stakeWatchIntervalMs, 1_000);
  assert.equal(c.k3s.unit, "k3s-agent.service");
  assert.equal(c.containerRuntime.type, "containerd");
  assert.equal(c.paths.workerKey, "/var/lib/k3s-daas/worker.key");
});

test("unknown keys are errors naming the key", () => {
  assert.throws(() => readConfig({}, text({ ...base, suiPrivateKey: "x" })), /unknown config key "suiPrivateKey"/);
  assert.throws(() => readConfig({}, text({ ...base, api: { prot: 1 } })), /unknown config key "api\.prot"/);
});

test("missing keys are errors naming the key", () => {
  const { stakeId: _s, ...noStake } = base;
  assert.throws(() => readConfig({}, text(noStake)), /missing config key "stakeId"/);
  assert.throws(() => readConfig({}, text({ ...base, sui: { ...base.sui, registryId: undefined } })), /missing config key "sui\.registryId"/);
});

test("k3s and kubelet ports are refused for the API", () => {
  for (const port of [10250, 10255, 6443, 10248]) {
    assert.throws(() => readConfig({}, text({ ...base, api: { port } })), /api\.port.*reserved/);
  }
  assert.equal(readConfig({}, text({ ...base, api: { port: 0 } })).api.port, 0);
});

test("env overrides the operator-facing keys, and is validated too", () => {
  const c = readConfig({ K3S_DAAS_LOG_LEVEL: "debug", K3S_DAAS_API_PORT: "9555", K3S_DAAS_API_HOST: "127.0.0.1" }, text(base));
  assert.deepEqual([c.logLevel, c.api.port, c.api.host], ["debug", 9555, "127.0.0.1"]);
  assert.throws(() => readConfig({ K3S_DAAS_API_PORT: "10250" }, text(base)), /reserved/);
  assert.throws(() => readConfig({ K3S_DAAS_LOG_LEVEL: "loud" }, text(base)), /logLevel/);
});

test("bad JSON and bad values are clear and do not echo the value", () => {
  assert.throws(() => readConfig({}, "{"), /not valid JSON/);
  assert.throws(() => readConfig({}, "[]"), /JSON object/);
  const secretish = "suiprivkey1qqqqsecretsecret";
  assert.throws(
    () => readConfig({}, text({ ...base, stakeId: secretish })),
    (err: Error) => /stakeId/.test(err.message) && !err.message.includes(secretish),
  );
});

test("redacted config hides the seal token id and key paths", () => {
  const r = JSON.stringify(redactConfig(readConfig({}, text(base))));
  assert.ok(!r.includes(base.sealTokenId));
  assert.ok(!r.includes("worker.key"));
  assert.ok(r.includes(base.stakeId));
});

test("api.operatorKeys: base64 ed25519 public keys, none by default; the old token path is gone", () => {
  assert.deepEqual(readConfig({}, text(base)).api.operatorKeys, []);
  const key = Buffer.alloc(32, 7).toString("base64");
  assert.deepEqual(readConfig({}, text({ ...base, api: { operatorKeys: [key] } })).api.operatorKeys, [key]);
  assert.throws(() => readConfig({}, text({ ...base, api: { operatorKeys: ["not-a-key"] } })), /config key "api\.operatorKeys\.0": must be a base64 raw 32-byte ed25519 public key/);
  assert.throws(() => readConfig({}, text({ ...base, api: { operatorKeys: [Buffer.alloc(31).toString("base64")] } })), /api\.operatorKeys\.0/);
  assert.throws(() => readConfig({}, text({ ...base, paths: { apiToken: "/etc/k3s-daas/api-token" } })), /unknown config key "paths\.apiToken"/);
});

test("telemetry: sampled every 10 s by default; at least 100 ms", () => {
  assert.equal(readConfig({}, text(base)).telemetry.sampleIntervalMs, 10_000);
  assert.throws(() => readConfig({}, text({ ...base, telemetry: { sampleIntervalMs: 5 } })), /telemetry\.sampleIntervalMs/);
});

test("an RPC URL carrying credentials is refused at start, naming the key, never the secret (issue 23)", () => {
  for (const [rpcUrl, secret] of [
    ["https://rpc.example.com/?x-api-key=SECRETq1", "SECRETq1"],
    ["https://me:SECRETpw2@rpc.example.com", "SECRETpw2"],
    ["https://rpc.example.com/sui?SECRETbare3", "SECRETbare3"],
  ] as const) {
    assert.throws(
      () => readConfig({}, text({ ...base, sui: { ...base.sui, rpcUrl } })),
      (err: Error) => /config key "sui\.rpcUrl": must not carry credentials/.test(err.message) && /headersFile/.test(err.message) && !err.message.includes(secret),
      rpcUrl,
    );
    // Through the env override too.
    assert.throws(() => readConfig({ K3S_DAAS_SUI_RPC_URL: rpcUrl }, text(base)), (err: Error) => /sui\.rpcUrl/.test(err.message) && !err.message.includes(secret));
  }
  assert.equal(readConfig({}, text({ ...base, sui: { ...base.sui, rpcUrl: "https://rpc.example.com/sui" } })).sui.rpcUrl, "https://rpc.example.com/sui");
});
