// The stack configuration (src/config.ts): pure parsing of the config bag as
// `pulumi.runtime.allConfig()` returns it, errors naming each key, exact SUI -> MIST.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { runtimeSshKey } from "../support/keys";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFleetConfig, suiToMist, PROJECT } from "../../src/config";
import { k3sDownloadUrl } from "../../src/settings";

const WALLET_KEY = "suiprivkey1qqconfigWALLETsecretconfigWALLETsecret00000000000000000";
const K3S_TOKEN = "K10configJOIN::server:configjoinsecret";
const SSH = runtimeSshKey();
const SSH_KEY = SSH.pem;
const SECRETS = [WALLET_KEY, "configWALLETsecret", K3S_TOKEN, "configjoinsecret", SSH.body];

const k = (key: string) => `${PROJECT}:${key}`;

/** A good bag: every value a string, objects as JSON, as `pulumi config set` stores them. */
function goodBag(): Record<string, string> {
  return {
    [k("network")]: JSON.stringify({ rpcUrl: "http://127.0.0.1:9000", packageId: "0x" + "1".repeat(64), poolId: "0x2", registryId: "0x3" }),
    [k("walletKey")]: WALLET_KEY,
    [k("sshPrivateKey")]: SSH_KEY,
    [k("stakePerNodeSui")]: "1.5",
    [k("k3s")]: JSON.stringify({ serverUrl: "https://10.0.0.1:6443" }),
    [k("k3sToken")]: K3S_TOKEN,
    [k("hosts")]: JSON.stringify([{ name: "worker-1", address: "10.0.0.2" }, { name: "worker-2", address: "10.0.0.3", port: 2222, user: "admin" }]),
    // Other projects' keys are not ours to judge.
    "aws:region": "us-east-1",
  };
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail("expected an error");
}

function assertNoSecret(msg: string): void {
  for (const s of SECRETS) assert.ok(!msg.includes(s), `message leaks a secret: ${msg}`);
}

describe("readFleetConfig", () => {
  test("a good bag: values parsed and defaults applied", () => {
    const c = readFleetConfig(goodBag());
    assert.equal(c.walletKey, WALLET_KEY);
    assert.equal(c.k3sToken, K3S_TOKEN);
    assert.equal(c.sshPrivateKey, SSH_KEY);
    assert.equal(c.stakePerNodeSui, "1.5");
    assert.deepEqual(c.network, { rpcUrl: "http://127.0.0.1:9000", transport: "grpc", confirmRpcUrls: [], packageId: "0x" + "1".repeat(64), poolId: "0x2", registryId: "0x3" });
    assert.equal(c.k3s.registries, undefined);
    assert.deepEqual(c.k3s, { serverUrl: "https://10.0.0.1:6443", version: "v1.31.4+k3s1", extraArgs: [], pauseImage: "docker.io/rancher/mirrored-pause:3.6", images: [], manageContainerdConfig: true });
    assert.deepEqual(c.hosts, [
      { name: "worker-1", address: "10.0.0.2", port: 22, user: "root" },
      { name: "worker-2", address: "10.0.0.3", port: 2222, user: "admin" },
    ]);
    assert.equal(c.containerRuntime, "containerd");
    assert.equal(c.agentPort, 9443);
    assert.equal(c.heartbeatIntervalMs, 30_000);
    assert.equal(c.parallelism, 4);
    assert.equal(c.allowUnreachableHost, false);
    assert.equal(c.removeContainerRuntime, false);
    assert.equal(c.healthTimeoutSeconds, 180);
    assert.equal(c.aptSource, undefined);
    assert.equal(c.controlPlaneEndpoint, undefined);
    assert.equal(c.controlPlanePublicKey, undefined);
  });

  test("the trust pins: controlPlanePublicKey, network.confirmRpcUrls and confirmQuorum; bad ones named, never quoted", () => {
    const key = Buffer.alloc(32, 5).toString("base64");
    const net = JSON.parse(goodBag()[k("network")]!);
    const c = readFleetConfig({ ...goodBag(), [k("controlPlanePublicKey")]: key, [k("network")]: JSON.stringify({ ...net, confirmRpcUrls: ["https://b.example"], confirmQuorum: 2 }) });
    assert.equal(c.controlPlanePublicKey, key);
    assert.deepEqual(c.network.confirmRpcUrls, ["https://b.example"]);
    assert.equal(c.network.confirmQuorum, 2);
    assert.match(errorOf(() => readFleetConfig({ ...goodBag(), [k("controlPlanePublicKey")]: "nope" })), /controlPlanePublicKey.*must be a base64 ed25519 public key/);
    const bad = errorOf(() => readFleetConfig({ ...goodBag(), [k("network")]: JSON.stringify({ ...net, confirmRpcUrls: ["https://b.example/?key=SECRET-5"], confirmQuorum: 3 }) }));
    assert.match(bad, /confirmRpcUrls\.0.*must not carry credentials/);
    assert.match(bad, /confirmQuorum.*must be at most 2/);
    assert.ok(!bad.includes("SECRET-5"));
  });

  test("scalars arrive as strings and are typed; numeric-looking strings stay strings for amounts and secrets", () => {
    const c = readFleetConfig({
      ...goodBag(),
      [k("stakePerNodeSui")]: "2",
      [k("k3sToken")]: "12345",
      [k("parallelism")]: "2",
      [k("agentPort")]: "9555",
      [k("allowUnreachableHost")]: "true",
      [k("containerRuntime")]: "docker",
      [k("aptSource")]: "deb [trusted=yes] http://10.0.0.1:8080/apt ./",
    });
    assert.equal(c.stakePerNodeSui, "2");
    assert.equal(c.k3sToken, "12345");
    assert.equal(c.parallelism, 2);
    assert.equal(c.agentPort, 9555);
    assert.equal(c.allowUnreachableHost, true);
    assert.equal(c.containerRuntime, "docker");
    assert.equal(c.aptSource, "deb [trusted=yes] http://10.0.0.1:8080/apt ./");
  });

  test("an unknown key is an error naming it", () => {
    const msg = errorOf(() => readFleetConfig({ ...goodBag(), [k("stakePerNode")]: "1" }));
    assert.match(msg, /unknown config key k3s-daas-fleet:stakePerNode\b/);
    assertNoSecret(msg);
  });

  test("an unknown nested key is an error naming its path", () => {
    const bag = goodBag();
    bag[k("network")] = JSON.stringify({ ...JSON.parse(bag[k("network")]!), chainId: "x" });
    bag[k("hosts")] = JSON.stringify([{ name: "worker-1", address: "10.0.0.2", sshKey: "x" }]);
    const msg = errorOf(() => readFleetConfig(bag));
    assert.match(msg, /unknown config key k3s-daas-fleet:network\.chainId/);
    assert.match(msg, /unknown config key k3s-daas-fleet:hosts\.0\.sshKey/);
  });

  test("a missing key is an error naming it; every missing key is named at once", () => {
    const bag = goodBag();
    delete bag[k("k3sToken")];
    delete bag[k("hosts")];
    const msg = errorOf(() => readFleetConfig(bag));
    assert.match(msg, /missing config key k3s-daas-fleet:k3sToken\b/);
    assert.match(msg, /missing config key k3s-daas-fleet:hosts\b/);
    assertNoSecret(msg);
    const nested = goodBag();
    nested[k("network")] = JSON.stringify({ rpcUrl: "http://x", packageId: "0x1", poolId: "0x2" });
    assert.match(errorOf(() => readFleetConfig(nested)), /missing config key k3s-daas-fleet:network\.registryId/);
  });

  test("bad values name the key", () => {
    const cases: Array<[string, string, RegExp]> = [
      ["stakePerNodeSui", "0", /config key k3s-daas-fleet:stakePerNodeSui: must be a positive amount/],
      ["stakePerNodeSui", "1.0000000001", /config key k3s-daas-fleet:stakePerNodeSui:/],
      ["stakePerNodeSui", "abc", /config key k3s-daas-fleet:stakePerNodeSui:/],
      ["k3s", JSON.stringify({ serverUrl: "http://10.0.0.1:6443" }), /config key k3s-daas-fleet:k3s\.serverUrl: must be https:\/\/host:port/],
      ["network", JSON.stringify({ rpcUrl: "http://x", packageId: "pkg", poolId: "0x2", registryId: "0x3" }), /config key k3s-daas-fleet:network\.packageId: must be a 0x-prefixed Sui object id/],
      ["hosts", JSON.stringify([{ name: "Bad_Name", address: "10.0.0.2" }]), /config key k3s-daas-fleet:hosts\.0\.name: must be a DNS-1123 name/],
      ["hosts", "[]", /config key k3s-daas-fleet:hosts: must list at least one host/],
      ["parallelism", "0", /config key k3s-daas-fleet:parallelism:/],
      ["agentPort", "70000", /config key k3s-daas-fleet:agentPort:/],
      ["nodeVersion", "20.18.1", /config key k3s-daas-fleet:nodeVersion: must be a Node release of 22 or later/],
      ["sshPrivateKey", "not a key", /config key k3s-daas-fleet:sshPrivateKey: must be a PEM\/OpenSSH private key/],
    ];
    for (const [key, value, re] of cases) {
      const msg = errorOf(() => readFleetConfig({ ...goodBag(), [k(key)]: value }));
      assert.match(msg, re, `${key}=${value}`);
      assertNoSecret(msg);
    }
  });

  test("the wallet key never appears in an error message", () => {
    // A wallet key of the wrong shape: named, not quoted.
    const badKey = "suiprivkeyX-configWALLETsecret";
    let msg = errorOf(() => readFleetConfig({ ...goodBag(), [k("walletKey")]: badKey }));
    assert.match(msg, /config key k3s-daas-fleet:walletKey: must be a 'suiprivkey1\.\.\.' key/);
    assert.ok(!msg.includes(badKey) && !msg.includes("configWALLETsecret"));
    // A wallet key under a misspelt key: the key is named, the value is not.
    const bag = goodBag();
    delete bag[k("walletKey")];
    bag[k("walletkey")] = WALLET_KEY;
    msg = errorOf(() => readFleetConfig(bag));
    assert.match(msg, /unknown config key k3s-daas-fleet:walletkey\b/);
    assert.match(msg, /missing config key k3s-daas-fleet:walletKey\b/);
    assertNoSecret(msg);
    // A wallet key pasted into a field with a format (a non-secret key).
    msg = errorOf(() => readFleetConfig({ ...goodBag(), [k("aptSource")]: WALLET_KEY, [k("controlPlaneEndpoint")]: WALLET_KEY }));
    assert.match(msg, /k3s-daas-fleet:aptSource/);
    assert.match(msg, /k3s-daas-fleet:controlPlaneEndpoint/);
    assertNoSecret(msg);
    // Other errors alongside a good wallet key never quote it either.
    msg = errorOf(() => readFleetConfig({ ...goodBag(), [k("parallelism")]: "-1", [k("k3sToken")]: "" }));
    assertNoSecret(msg);
  });

  // Known bug (see the report): zod's enum message quotes the received value, so a secret pasted
  // into an enum key (containerRuntime, network.transport) reaches `pulumi preview` output.
  test("a secret pasted into an enum key is not quoted", () => {
    const bag = goodBag();
    bag[k("network")] = JSON.stringify({ ...JSON.parse(bag[k("network")]!), transport: WALLET_KEY });
    const msg = errorOf(() => readFleetConfig({ ...bag, [k("containerRuntime")]: K3S_TOKEN }));
    assert.match(msg, /k3s-daas-fleet:containerRuntime/);
    assert.match(msg, /k3s-daas-fleet:network\.transport/);
    assertNoSecret(msg);
  });

  test("rpcHeaders and agentRpcHeaders: a header set, as `config set --secret --path` stores it; a bad header is named, its value never quoted", () => {
    const ok = readFleetConfig({ ...goodBag(), [k("rpcHeaders")]: JSON.stringify({ "x-api-key": "KEY-123" }), [k("agentRpcHeaders")]: JSON.stringify({ authorization: "Bearer T" }) });
    assert.deepEqual(ok.rpcHeaders, { "x-api-key": "KEY-123" });
    assert.deepEqual(ok.agentRpcHeaders, { authorization: "Bearer T" });
    assert.equal(readFleetConfig(goodBag()).rpcHeaders, undefined);
    const msg = errorOf(() => readFleetConfig({ ...goodBag(), [k("rpcHeaders")]: JSON.stringify({ "X-Api-Key": "SECRET-VALUE-1", host: "SECRET-VALUE-2", "x-n": "SECRET-VALUE-3\n" }) }));
    assert.match(msg, new RegExp(`config key ${PROJECT}:rpcHeaders\\.X-Api-Key: a header name must be lower-case`));
    assert.match(msg, new RegExp(`config key ${PROJECT}:rpcHeaders\\.host: the client sets this header itself`));
    assert.match(msg, new RegExp(`config key ${PROJECT}:rpcHeaders\\.x-n: must be non-empty printable ASCII`));
    assert.equal(msg.includes("SECRET-VALUE"), false, msg);
    assert.match(errorOf(() => readFleetConfig({ ...goodBag(), [k("agentRpcHeaders")]: "just-a-key" })), new RegExp(`config key ${PROJECT}:agentRpcHeaders: must be an object`));
  });

  test("rpcCaCertificates: PEM certificates kept as given; anything else is named", () => {
    const { makeCertificates } = require("../support/tls") as typeof import("../support/tls");
    const { mkdtempSync, readFileSync } = require("node:fs") as typeof import("node:fs");
    const ca = readFileSync(makeCertificates(mkdtempSync(require("node:path").join(require("node:os").tmpdir(), "cfg-ca-"))).ca, "utf8");
    assert.equal(readFleetConfig({ ...goodBag(), [k("rpcCaCertificates")]: ca }).rpcCaCertificates, ca);
    assert.match(errorOf(() => readFleetConfig({ ...goodBag(), [k("rpcCaCertificates")]: "-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----" })), new RegExp(`config key ${PROJECT}:rpcCaCertificates: must hold at least one PEM certificate`));
  });

  test("k3s.pauseImage, k3s.images, k3s.registries: taken as given (image paths made absolute)", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-images-"));
    writeFileSync(join(dir, "pause.tar"), "x");
    writeFileSync(join(dir, "app.tar"), "y");
    const registries = {
      mirrors: { "docker.io": { endpoint: ["http://10.0.0.1:5000", "https://mirror.example.com/v2/proxy"], rewrite: { "^rancher/(.*)": "mirrored/$1" } }, "*": { endpoint: ["https://all.example.com"] } },
      configs: { "mirror.example.com": { tls: { ca_file: "/etc/ssl/mirror-ca.pem", cert_file: "/etc/ssl/c.pem", key_file: "/etc/ssl/k.pem" } }, "10.0.0.1:5000": { tls: { insecure_skip_verify: true } } },
    };
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const c = readFleetConfig({ ...goodBag(), [k("k3s")]: JSON.stringify({ serverUrl: "https://10.0.0.1:6443", pauseImage: "registry.local:5000/pause:3.9", images: ["pause.tar", join(dir, "app.tar")], registries }) });
      assert.equal(c.k3s.pauseImage, "registry.local:5000/pause:3.9");
      assert.deepEqual(c.k3s.images, [join(dir, "pause.tar"), join(dir, "app.tar")], "a relative path is the project directory's");
      assert.deepEqual(c.k3s.registries, registries);
    } finally {
      process.chdir(cwd);
    }
  });

  test("k3s.pauseImage, k3s.images, k3s.registries: bad values fail naming the key", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-images-bad-"));
    writeFileSync(join(dir, "pause.tar"), "x");
    mkdirSync(join(dir, "other"));
    writeFileSync(join(dir, "other", "pause.tar"), "z");
    writeFileSync(join(dir, "pause.tgz"), "x");
    const k3s = (extra: Record<string, unknown>) => JSON.stringify({ serverUrl: "https://10.0.0.1:6443", ...extra });
    const cases: Array<[Record<string, unknown>, RegExp, string?]> = [
      [{ pauseImage: "not an image" }, /config key k3s-daas-fleet:k3s\.pauseImage: must be an image reference/],
      [{ pauseImage: "http://registry/pause:3.6" }, /config key k3s-daas-fleet:k3s\.pauseImage: must be an image reference/],
      [{ pauseImage: "Rancher/Pause:3.6" }, /config key k3s-daas-fleet:k3s\.pauseImage: must be an image reference/],
      [{ images: [join(dir, "missing.tar")] }, /config key k3s-daas-fleet:k3s\.images\.0: must be an image tarball on this machine \(the file does not exist\)/],
      [{ images: [dir] }, /config key k3s-daas-fleet:k3s\.images\.0: must be an image tarball on this machine/],
      [{ images: [join(dir, "pause.tgz")] }, /config key k3s-daas-fleet:k3s\.images\.0: must be a \.tar file/],
      [{ images: [join(dir, "pause.tar"), join(dir, "other", "pause.tar")] }, /config key k3s-daas-fleet:k3s\.images\.1: has the same file name as k3s\.images\[0\]/],
      [{ images: "pause.tar" }, /config key k3s-daas-fleet:k3s\.images: must be a list/],
      [{ registries: { mirrors: { "docker.io": { endpoint: ["10.0.0.1:5000"] } } } }, /config key k3s-daas-fleet:k3s\.registries\.mirrors\.docker\.io\.endpoint\.0: must be an http\(s\) URL/],
      [{ registries: { mirrors: { "docker.io": { endpoint: ["ftp://10.0.0.1/x"] } } } }, /config key k3s-daas-fleet:k3s\.registries\.mirrors\.docker\.io\.endpoint\.0: must be an http\(s\) URL/],
      [{ registries: { mirrors: { "docker.io": { endpoint: ["http://m:5000/\"x"] } } } }, /config key k3s-daas-fleet:k3s\.registries\.mirrors\.docker\.io\.endpoint\.0: must be an http\(s\) URL/],
      [{ registries: { mirrors: { "docker.io": { endpoint: [] } } } }, /config key k3s-daas-fleet:k3s\.registries\.mirrors\.docker\.io\.endpoint: must list at least one endpoint/],
      [{ registries: { mirrors: { "bad host/x": { endpoint: ["http://m"] } } } }, /config key k3s-daas-fleet:k3s\.registries\.mirrors\.bad host\/x: must be a registry host name/],
      [{ registries: { configs: { m: { tls: { ca_file: "relative.pem" } } } } }, /config key k3s-daas-fleet:k3s\.registries\.configs\.m\.tls\.ca_file: must be an absolute path on the host/],
      [{ registries: { configs: { m: { tls: { cert_file: "/c.pem" } } } } }, /config key k3s-daas-fleet:k3s\.registries\.configs\.m\.tls: cert_file and key_file go together/],
      // Credentials would be secrets in plain files: not taken, named (never quoted).
      [{ registries: { configs: { m: { auth: { username: "u", password: "REGISTRY-SECRET" } } } } }, /unknown config key k3s-daas-fleet:k3s\.registries\.configs\.m\.auth/, "REGISTRY-SECRET"],
      [{ registries: { mirror: {} } }, /unknown config key k3s-daas-fleet:k3s\.registries\.mirror\b/],
    ];
    for (const [extra, re, secret] of cases) {
      const msg = errorOf(() => readFleetConfig({ ...goodBag(), [k("k3s")]: k3s(extra) }));
      assert.match(msg, re, JSON.stringify(extra));
      if (secret) assert.ok(!msg.includes(secret), msg);
    }
    // Mirrors are containerd hosts.toml files: with docker they would be ignored, so refused.
    const msg = errorOf(() => readFleetConfig({ ...goodBag(), [k("containerRuntime")]: "docker", [k("k3s")]: k3s({ registries: { mirrors: { "docker.io": { endpoint: ["http://m:5000"] } } } }) }));
    assert.match(msg, /config key k3s-daas-fleet:k3s\.registries: applies to containerd only/);
    assert.doesNotThrow(() => readFleetConfig({ ...goodBag(), [k("containerRuntime")]: "docker", [k("k3s")]: k3s({ images: [join(dir, "pause.tar")] }) }), "images are loaded into docker");
  });

  test("k3sDownloadUrl: the mirror when set, else the official release of the version", () => {
    const c = readFleetConfig(goodBag());
    assert.equal(k3sDownloadUrl(c.k3s), "https://github.com/k3s-io/k3s/releases/download/v1.31.4%2Bk3s1/k3s");
    const m = readFleetConfig({ ...goodBag(), [k("k3s")]: JSON.stringify({ serverUrl: "https://10.0.0.1:6443", binUrl: "http://10.0.0.1:8080/k3s", binSha256: "a".repeat(64) }) });
    assert.equal(k3sDownloadUrl(m.k3s), "http://10.0.0.1:8080/k3s");
  });

  test("a plain-http k3s.binUrl needs k3s.binSha256 (anyone on the path could swap the binary); https does not", () => {
    const msg = errorOf(() => readFleetConfig({ ...goodBag(), [k("k3s")]: JSON.stringify({ serverUrl: "https://10.0.0.1:6443", binUrl: "http://10.0.0.1:8080/k3s" }) }));
    assert.match(msg, /config key k3s-daas-fleet:k3s\.binSha256: is required when k3s\.binUrl is plain http/);
    assert.doesNotThrow(() => readFleetConfig({ ...goodBag(), [k("k3s")]: JSON.stringify({ serverUrl: "https://10.0.0.1:6443", binUrl: "https://mirror.internal/k3s" }) }));
  });
});

describe("suiToMist", () => {
  test("exact conversion", () => {
    assert.equal(suiToMist("1.5"), 1_500_000_000n);
    assert.equal(suiToMist("0.000000001"), 1n);
    assert.equal(suiToMist("1"), 1_000_000_000n);
    assert.equal(suiToMist("0"), 0n);
    assert.equal(suiToMist("123456789.123456789"), 123_456_789_123_456_789n);
    // Beyond 2^53: no floating point anywhere.
    assert.equal(suiToMist("9007199254.740993001"), 9_007_199_254_740_993_001n);
  });
  test("rejects more than 9 decimals and non-numbers", () => {
    for (const bad of ["1.0000000001", "abc", "", "-1", "1.", ".5", "1e3", "1,5", "0x10"]) {
      assert.throws(() => suiToMist(bad), /at most 9 decimals/, bad);
    }
  });
});

describe("credentials in an RPC URL (issue 23)", () => {
  // A key in the URL would be in plain text in the agents' config and API, the state and errors.
  const network = (over: Record<string, string>) =>
    ({ ...goodBag(), [k("network")]: JSON.stringify({ rpcUrl: "https://rpc.example.com:443", packageId: "0x1", poolId: "0x2", registryId: "0x3", ...over }) });
  const cases: Array<[string, Record<string, string>, RegExp, string]> = [
    ["a query key in rpcUrl", { rpcUrl: "https://rpc.example.com/?apikey=SECRETkey123" }, /network\.rpcUrl: must not carry credentials \(it has a query string\).*'rpcHeaders\.x-api-key'/, "SECRETkey123"],
    ["userinfo in rpcUrl", { rpcUrl: "https://user:SECRETpw456@rpc.example.com" }, /network\.rpcUrl: must not carry credentials \(it has a user:password@ part\).*rpcHeaders/, "SECRETpw456"],
    ["a bare query in rpcUrl", { rpcUrl: "https://rpc.example.com/v1?SECRETbare789" }, /network\.rpcUrl: must not carry credentials/, "SECRETbare789"],
    ["a query key in agentRpcUrl", { agentRpcUrl: "https://agents.example.com?token=SECRETagent000" }, /network\.agentRpcUrl: must not carry credentials.*'agentRpcHeaders\.x-api-key'/, "SECRETagent000"],
  ];
  for (const [what, over, re, secret] of cases) {
    test(`${what} is refused, naming the key and the header to use, never the secret`, () => {
      const msg = errorOf(() => readFleetConfig(network(over)));
      assert.match(msg, re);
      assert.ok(!msg.includes(secret), msg);
    });
  }
  test("a plain URL, with a path, is accepted", () => {
    assert.equal(readFleetConfig(network({ rpcUrl: "https://rpc.example.com/sui/v1", agentRpcUrl: "http://10.0.0.1:9000" })).network.rpcUrl, "https://rpc.example.com/sui/v1");
  });
});
