// The settings model (src/settings): a worker's arguments, table-tested. Each bad value is named
// by its path with one message, several bad ones give one message each, nothing quotes a secret,
// and the values that would break the host's shell or the agent's config are refused.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtimeSshKey } from "../support/keys";
import { argumentProblems, fleetSettingsSchema, parseArgs, workerSettingsSchema, type StakedWorkerArgs } from "../../src/settings";

const WALLET_KEY = "suiprivkey1qzwalletSECRETwalletSECRETwalletSECRET0000000000000000";
const K3S_TOKEN = "K10joinTOKENjoinTOKEN::server:supersecretjointoken";
const SSH = runtimeSshKey();
const NET = { rpcUrl: "http://127.0.0.1:9000", agentRpcUrl: "http://10.99.0.1:9000", packageId: "0x" + "a".repeat(64), poolId: "0x" + "b".repeat(64), registryId: "0x" + "c".repeat(64) };
const K3S = { serverUrl: "https://10.99.0.1:6443", binUrl: "https://10.99.0.1:8443/k3s" };

function args(over: Record<string, unknown> = {}): StakedWorkerArgs {
  return {
    host: { name: "worker-1", address: "10.99.0.2", port: 2222 },
    sshPrivateKey: SSH.pem,
    network: NET,
    walletKey: WALLET_KEY,
    stakePerNodeSui: "2.5",
    k3s: K3S,
    k3sToken: K3S_TOKEN,
    ...over,
  } as StakedWorkerArgs;
}
const msgs = (over: Record<string, unknown>) => {
  const r = workerSettingsSchema.safeParse(args(over));
  return r.success ? [] : argumentProblems(r.error);
};

describe("a worker's arguments", () => {
  test("good arguments: no message; defaults filled in", () => {
    assert.deepEqual(msgs({}), []);
    assert.deepEqual(msgs({ containerRuntime: "docker", aptSource: "deb http://mirror/ ./", k3s: { ...K3S, binSha256: "0".repeat(64) } }), []);
    const s = parseArgs(workerSettingsSchema, args(), "StakedWorker w");
    assert.deepEqual(
      { port: s.host.port, user: s.host.user, agentPort: s.agentPort, heartbeat: s.heartbeatIntervalMs, health: s.healthTimeoutSeconds, maxUnavailable: s.maxUnavailable, renew: s.sealTokenRenewEpochs, runtime: s.containerRuntime, version: s.k3s.version, transport: s.network.transport },
      { port: 2222, user: "root", agentPort: 9443, heartbeat: 30_000, health: 180, maxUnavailable: 1, renew: 5, runtime: "containerd", version: "v1.31.4+k3s1", transport: "grpc" },
    );
  });

  const tar = join(mkdtempSync(join(tmpdir(), "k3s-daas-settings-")), "pause.tar");
  writeFileSync(tar, "x");
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["node id with upper case", { host: { name: "Worker_1", address: "h" } }, /^host\.name must be a DNS-1123 name/],
    ["node id too long", { host: { name: "a".repeat(64), address: "h" } }, /^host\.name /],
    ["reserved agentPort 10250", { agentPort: 10250 }, /^agentPort must not be a k3s\/kubelet port/],
    ["reserved agentPort 6443", { agentPort: 6443 }, /^agentPort must not be a k3s\/kubelet port/],
    ["agentPort out of range", { agentPort: 70000 }, /^agentPort must be at most 65535$/],
    ["k3s.serverUrl over http", { k3s: { ...K3S, serverUrl: "http://10.0.0.1:6443" } }, /^k3s\.serverUrl must be https:\/\/host:port$/],
    ["k3s.serverUrl without port", { k3s: { ...K3S, serverUrl: "https://10.0.0.1" } }, /^k3s\.serverUrl /],
    ["bad packageId", { network: { ...NET, packageId: "pkg" } }, /^network\.packageId must be a 0x-prefixed Sui object id$/],
    ["bad poolId", { network: { ...NET, poolId: "0xZZ" } }, /^network\.poolId /],
    ["bad registryId", { network: { ...NET, registryId: "" } }, /^network\.registryId /],
    ["bad rpcUrl", { network: { ...NET, rpcUrl: "ws://x" } }, /^network\.rpcUrl must be an http\(s\) URL$/],
    ["bad agentRpcUrl", { network: { ...NET, agentRpcUrl: "nope" } }, /^network\.agentRpcUrl /],
    ["unknown network key", { network: { ...NET, rpcURL: "x" } }, /^unknown argument network\.rpcURL$/],
    ["zero stake", { stakePerNodeSui: "0" }, /^stakePerNodeSui must be a positive amount of SUI/],
    ["stake as MIST", { stakePerNodeSui: 5 }, /^stakePerNodeSui must be a string$/],
    ["stake with 10 decimals", { stakePerNodeSui: "0.0000000001" }, /^stakePerNodeSui /],
    ["the old flat arguments", { stakeMist: 5n }, /^unknown argument stakeMist$/],
    ["bad ssh port", { host: { name: "w", address: "h", port: 0 } }, /^host\.port must be at least 1$/],
    ["ssh user with a shell character", { host: { name: "w", address: "h", user: "ubuntu;id" } }, /^host\.user must be a login name/],
    ["host key that is not one", { host: { name: "w", address: "h", hostKey: "ssh-ed25519 not-base64!" } }, /^host\.hostKey /],
    ["host key whose data is another type", { host: { name: "w", address: "h", hostKey: "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" } }, /^host\.hostKey the key's type does not match/],
    ["no address", { host: { name: "w", address: "" } }, /^host\.address must not be empty$/],
    ["no host", { host: undefined }, /^host is required$/],
    ["ssh key that is not one", { sshPrivateKey: "hunter2" }, /^sshPrivateKey must be a PEM\/OpenSSH private key/],
    ["wallet key that is not one", { walletKey: "0xabc" }, /^walletKey must be a 'suiprivkey1\.\.\.' key/],
    ["empty join token", { k3sToken: "" }, /^k3sToken must be the cluster's join token/],
    ["bad k3s.binUrl", { k3s: { ...K3S, binUrl: "ftp://x/k3s" } }, /^k3s\.binUrl /],
    ["bad k3s.binSha256", { k3s: { ...K3S, binSha256: "ABC" } }, /^k3s\.binSha256 /],
    ["plain-http k3s.binUrl without k3s.binSha256", { k3s: { ...K3S, binUrl: "http://10.99.0.1:8080/k3s" } }, /^k3s\.binSha256 is required when k3s\.binUrl is plain http/],
    ["bad k3s.version", { k3s: { ...K3S, version: "1.31" } }, /^k3s\.version must look like v1\.31\.4\+k3s1$/],
    ["nodeVersion with a v", { nodeVersion: "v22.23.3" }, /^nodeVersion must be a Node release of 22 or later/],
    ["nodeVersion older than 22", { nodeVersion: "20.18.1" }, /^nodeVersion must be a Node release of 22 or later/],
    ["zero maxUnavailable", { maxUnavailable: 0 }, /^maxUnavailable must be at least 1$/],
    ["fractional rolloutTimeoutSeconds", { rolloutTimeoutSeconds: 11.5 }, /^rolloutTimeoutSeconds must be a whole number$/],
    ["bad containerRuntime", { containerRuntime: "podman" }, /^containerRuntime must be one of "containerd", "docker"$/],
    ["bad aptSource", { aptSource: "http://mirror ./" }, /^aptSource /],
    ["bad controlPlaneEndpoint", { controlPlaneEndpoint: "10.0.0.1:8443" }, /^controlPlaneEndpoint /],
    ["bad controlPlanePublicKey", { controlPlanePublicKey: "not-a-key" }, /^controlPlanePublicKey must be a base64 ed25519 public key/],
    ["bad operator key", { operatorKeys: ["nope"] }, /^operatorKeys\[0\] must be a base64 ed25519 public key/],
    ["sealTokenRenewEpochs past a token's life", { sealTokenRenewEpochs: 30 }, /^sealTokenRenewEpochs must be at most 29$/],
    ["pause image that is not an image reference", { k3s: { ...K3S, pauseImage: "http://x/pause" } }, /^k3s\.pauseImage must be an image reference/],
    ["image tarball that does not exist", { k3s: { ...K3S, images: ["/nonexistent/pause.tar"] } }, /^k3s\.images\[0\] must be an image tarball on this machine \(the file does not exist\)$/],
    ["the same image twice", { k3s: { ...K3S, images: [tar, tar] } }, /^k3s\.images\[1\] has the same file name as k3s\.images\[0\]/],
    ["mirror endpoint that is not an http(s) URL", { k3s: { ...K3S, registries: { mirrors: { "docker.io": { endpoint: ["ftp://m"] } } } } }, /^k3s\.registries\.mirrors\.docker\.io\.endpoint\[0\] must be an http\(s\) URL/],
    ["registry credentials", { k3s: { ...K3S, registries: { configs: { "m:5000": { auth: { username: "u" } } } } } }, /^unknown argument k3s\.registries\.configs\.m:5000\.auth$/],
    ["registries with docker", { containerRuntime: "docker", k3s: { ...K3S, registries: { mirrors: { "docker.io": { endpoint: ["http://m:5000"] } } } } }, /^k3s\.registries applies to containerd only/],
    ["a confirm source on the agents' own node", { network: { ...NET, confirmRpcUrls: [NET.agentRpcUrl + "/other"] } }, /^network\.confirmRpcUrls\[0\] names the same node as agentRpcUrl/],
    ["a confirm source with credentials", { network: { ...NET, confirmRpcUrls: ["https://b.example/?key=SECRET-7"] } }, /^network\.confirmRpcUrls\[0\] must not carry credentials/],
    ["a quorum larger than the sources", { network: { ...NET, confirmRpcUrls: ["https://b.example"], confirmQuorum: 3 } }, /^network\.confirmQuorum must be at most 2 \(agentRpcUrl plus the confirmRpcUrls\)$/],
    ["a header that is not one", { rpcHeaders: { "x-ok": "a\nb" } }, /^rpcHeaders\.x-ok /],
    ["CA certificates that are not", { rpcCaCertificates: "not a certificate" }, /^rpcCaCertificates must hold at least one PEM certificate/],
  ];
  for (const [what, over, re] of cases) {
    test(`${what}: one message naming the argument`, () => {
      const m = msgs(over);
      assert.equal(m.length, 1, JSON.stringify(m));
      assert.match(m[0]!, re);
    });
  }

  test("a quorum the sources can meet is taken", () => {
    assert.deepEqual(msgs({ network: { ...NET, confirmRpcUrls: ["https://b.example"], confirmQuorum: 2 } }), []);
  });

  test("several bad arguments: one message each", () => {
    const m = msgs({ host: { name: "X", address: "h" }, agentPort: 10250, k3s: { serverUrl: "nope" }, network: { ...NET, poolId: "p", registryId: "r" } });
    assert.equal(m.length, 5, JSON.stringify(m));
    for (const f of ["host.name", "agentPort", "k3s.serverUrl", "network.poolId", "network.registryId"]) {
      assert.ok(m.some((x) => x.startsWith(f)), `a message for ${f}`);
    }
  });

  test("values that would break the host's shell or the agent config are refused", () => {
    assert.ok(msgs({ k3s: { ...K3S, serverUrl: "https://a';id;':6443" } }).some((m) => m.startsWith("k3s.serverUrl")));
    assert.ok(msgs({ k3s: { ...K3S, binUrl: "http://m/k3s';id;'", binSha256: "0".repeat(64) } }).some((m) => m.startsWith("k3s.binUrl")));
    assert.ok(msgs({ k3s: { ...K3S, extraArgs: ["--node-label=a'b"] } }).some((m) => m.startsWith("k3s.extraArgs[0] must not contain quotes")));
    assert.ok(msgs({ k3s: { ...K3S, extraArgs: ["--token", "x"] } }).some((m) => m.startsWith("k3s.extraArgs[0] must not pass a token")));
    assert.ok(msgs({ heartbeatIntervalMs: 5 }).some((m) => m.startsWith("heartbeatIntervalMs")));
    assert.ok(msgs({ healthTimeoutSeconds: -1 }).some((m) => m.startsWith("healthTimeoutSeconds")));
  });

  test("messages never carry a secret or a value", () => {
    const m = msgs({ host: { name: "X", address: "h", port: 0 }, walletKey: "nope-" + WALLET_KEY, k3sToken: 7, sshPrivateKey: K3S_TOKEN, rpcHeaders: { "x-api-key": "SECRET-HDR\n" } });
    assert.ok(m.length >= 4, JSON.stringify(m));
    for (const secret of [WALLET_KEY, K3S_TOKEN, SSH.body, "SECRET-HDR"]) assert.ok(!m.join("\n").includes(secret), `${secret} in ${JSON.stringify(m)}`);
  });

  test("a secret given as a Pulumi output passes as it is", () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const key = pulumi.secret(WALLET_KEY);
    const s = parseArgs(workerSettingsSchema, args({ walletKey: key, k3sToken: pulumi.output("t"), sshPrivateKey: pulumi.secret(SSH.pem) }), "StakedWorker w");
    assert.equal(s.walletKey, key);
  });
});

describe("a fleet's arguments", () => {
  const fleet = (over: Record<string, unknown>) => {
    const { host: _h, ...rest } = args();
    const r = fleetSettingsSchema.safeParse({ ...rest, hosts: [{ name: "a", address: "10.0.0.1" }, { name: "b", address: "10.0.0.2" }], ...over });
    return r.success ? [] : argumentProblems(r.error);
  };
  test("good: no message", () => assert.deepEqual(fleet({}), []));
  test("no hosts, a host twice, parallelism 0, a worker-only argument", () => {
    assert.deepEqual(fleet({ hosts: [] }), ["hosts must list at least one host"]);
    assert.deepEqual(fleet({ hosts: [{ name: "a", address: "x" }, { name: "b", address: "y" }, { name: "a", address: "z" }] }), ["hosts[2].name is used twice (also hosts[0])"]);
    assert.deepEqual(fleet({ parallelism: 0 }), ["parallelism must be at least 1"]);
    assert.deepEqual(fleet({ host: { name: "c", address: "w" } }), ["unknown argument host"]);
  });
});
