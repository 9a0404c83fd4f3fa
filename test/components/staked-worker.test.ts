// StakedWorker under Pulumi mocks: the exact child resources, their parents, inputs, secrets and
// ordering. The mocks (mock-harness.ts) are set before the component modules are loaded.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { innerScript } from "../support/step-script";
import { runtimeSshKey } from "../support/keys";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as h from "./mock-harness";
import type * as pulumiNs from "@pulumi/pulumi";

type Components = typeof import("../../src/components/staked-worker");
type Scripts = typeof import("../../src/components/remote-scripts");
type AgentConfigMod = typeof import("../../agent/src/config");

let pulumi: typeof pulumiNs;
let C: Components;
let S: Scripts;
let agentConfig: AgentConfigMod;

const WALLET_KEY = "suiprivkey1qzwalletSECRETwalletSECRETwalletSECRET0000000000000000";
const K3S_TOKEN = "K10joinTOKENjoinTOKEN::server:supersecretjointoken";
const SSH = runtimeSshKey();
const SSH_KEY = SSH.pem;
const SECRETS = [WALLET_KEY, K3S_TOKEN, SSH.body];
const NET = {
  rpcUrl: "http://127.0.0.1:9000",
  agentRpcUrl: "http://10.99.0.1:9000",
  packageId: "0x" + "a".repeat(64),
  poolId: "0x" + "b".repeat(64),
  registryId: "0x" + "c".repeat(64),
};
const STAKE_MIST = 2_500_000_000n;
/** STAKE_MIST in SUI, as the settings take it. */
const STAKE_SUI = "2.5";
const BUNDLE_SHA = createHash("sha256").update(readFileSync(join(h.ROOT, "dist", "agent", "agent.js"))).digest("hex");
/** The sha the agent restarts on: the config without its seal token id (a renewed token is reloaded live). */
function restartShaOf(configText: string): string {
  const { sealTokenId: _renewedLive, ...rest } = JSON.parse(configText) as Record<string, unknown>;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex");
}

type WorkerArgs = import("../../src/components/staked-worker").StakedWorkerArgs;
/** The worker's host in args(). */
const HOST = { name: "worker-1", address: "10.99.0.2", port: 2222, user: "root" } as const;
/** HOST under another node id (same address, port and user). */
function named(name: string): WorkerArgs["host"] {
  return { ...HOST, name };
}
/** The k3s settings of args(). */
const K3S = { serverUrl: "https://10.99.0.1:6443", binUrl: "https://10.99.0.1:8443/k3s", version: "v1.31.4+k3s1" } as const;

/** The worker's arguments: `host` replaces HOST when given; `k3s` fields are laid over K3S. */
function args(over: Omit<Partial<WorkerArgs>, "k3s"> & { k3s?: Partial<WorkerArgs["k3s"]> } = {}): WorkerArgs {
  const { k3s, ...rest } = over;
  return {
    host: HOST,
    sshPrivateKey: pulumi.secret(SSH_KEY),
    network: NET,
    walletKey: pulumi.secret(WALLET_KEY),
    stakePerNodeSui: STAKE_SUI,
    k3s: { ...K3S, ...k3s },
    k3sToken: pulumi.secret(K3S_TOKEN),
    agentPort: 9555,
    ...rest,
  };
}

/** configure-containerd.sh's stdin, decoded (containerd-config.ts runtimeSetupManifest). */
function manifest(text: string): { config?: string; hosts: Record<string, string>; registries?: string; images: string[] } {
  const out: { config?: string; hosts: Record<string, string>; registries?: string; images: string[] } = { hosts: {}, images: [] };
  const dec = (b: string) => Buffer.from(b, "base64").toString("utf8");
  for (const line of text.split("\n").filter(Boolean)) {
    const [kind, a = "", b = ""] = line.split(" ");
    if (kind === "config") out.config = dec(a);
    else if (kind === "hosts") out.hosts[a] = dec(b);
    else if (kind === "registries") out.registries = dec(a);
    else if (kind === "image") out.images.push(`${a} ${b}`);
    else assert.fail(`unknown manifest line ${line}`);
  }
  return out;
}

interface Built {
  worker: InstanceType<Components["StakedWorker"]>;
  urn: string;
  kids: h.Registration[];
  child(suffix: string): h.Registration;
}

/** Constructs a worker, waits for every registration, returns its children by name suffix. */
async function build(name: string, a: WorkerArgs): Promise<Built> {
  const worker = new C.StakedWorker(name, a);
  const urn = await h.valueOf(worker.urn);
  await h.valueOf(worker.registered);
  await h.settle();
  const kids = h.childrenOf(urn);
  return {
    worker,
    urn,
    kids,
    child(suffix: string) {
      const hits = kids.filter((k) => k.name === `${name}-${suffix}`);
      assert.equal(hits.length, 1, `one child ${name}-${suffix}`);
      return hits[0]!;
    },
  };
}

const EXPECTED_CHILDREN = [
  [h.TYPES.stake, "stake"],
  [h.TYPES.seal, "seal-token"],
  [h.TYPES.host, "host"],
  [h.TYPES.hostKey, "host-key"],
  [h.TYPES.command, "probe"],
  [h.TYPES.nodeRuntime, "node"],
  [h.TYPES.copy, "agent-bundle"],
  [h.TYPES.command, "worker-key"],
  [h.TYPES.command, "agent-config"],
  [h.TYPES.command, "container-runtime"],
  [h.TYPES.copy, "runtime-configurer"],
  [h.TYPES.command, "runtime-config"],
  [h.TYPES.copy, "k3s-installer"],
  [h.TYPES.nodePassword, "k3s-node-password"],
  [h.TYPES.command, "k3s-agent"],
  [h.TYPES.copy, "agent-unit"],
  [h.TYPES.command, "agent-service"],
  [h.TYPES.rollout, "rollout"],
] as const;

let base: Built;

before(async () => {
  pulumi = require("@pulumi/pulumi") as typeof pulumiNs;
  C = require("../../src/components/staked-worker") as Components;
  S = require("../../src/components/remote-scripts") as Scripts;
  agentConfig = require("../../agent/src/config") as AgentConfigMod;
  base = await build("w1", args({ aptSource: "deb [trusted=yes] http://10.99.0.1:8080/apt ./", controlPlaneEndpoint: "http://10.99.0.1:8443" }));
});

describe("StakedWorker children", () => {
  test("exactly the expected children, each parented to the component, and nothing else", () => {
    const got = base.kids.map((k) => `${k.type} ${k.name}`).sort();
    const want = EXPECTED_CHILDREN.map(([t, n]) => `${t} w1-${n}`).sort();
    assert.deepEqual(got, want);
    // Nothing of this worker registered outside it (everything named w1-* has the component as parent).
    const strays = h.registrations.filter((r) => r.name.startsWith("w1-") && r.parent !== base.urn);
    assert.deepEqual(strays.map((r) => r.name), []);
    const comp = h.registrations.filter((r) => r.type === h.TYPES.worker && r.name === "w1");
    assert.equal(comp.length, 1);
    assert.equal(comp[0]!.custom, false);
  });

  test("the stake: node id, amount as a decimal string, network ids, wallet key as a secret", () => {
    const s = base.child("stake").inputs;
    assert.equal(s.nodeId, "worker-1");
    assert.equal(s.amountMist, "2500000000");
    assert.equal(BigInt(s.amountMist), STAKE_MIST, "stakePerNodeSui 2.5 is 2.5e9 MIST");
    assert.equal(typeof s.amountMist, "string");
    assert.equal(s.packageId, NET.packageId);
    assert.equal(s.poolId, NET.poolId);
    assert.equal(s.registryId, NET.registryId);
    assert.equal(s.rpcUrl, NET.rpcUrl, "the controller's RPC, not the agents'");
    assert.equal(s.transport, "grpc", "gRPC unless the stack says otherwise");
    assert.ok(h.isSecretValue(s.walletKey), "walletKey is a secret input");
    assert.equal(h.reveal(s.walletKey), WALLET_KEY);
  });

  test("the wallet key is a secret even when given as a plain string", async () => {
    const b = await build("w-plainkey", args({ host: { name: "worker-plainkey", address: "10.99.0.9" }, walletKey: WALLET_KEY, k3sToken: K3S_TOKEN, sshPrivateKey: SSH_KEY }));
    for (const k of b.kids) assert.deepEqual(h.plainSecretPaths(k.inputs, SECRETS), [], `${k.name} has a plain secret`);
    assert.ok(h.isSecretValue(b.child("stake").inputs.walletKey));
    assert.ok(h.isSecretValue(b.child("seal-token").inputs.walletKey));
    assert.ok(h.isSecretValue(b.child("k3s-agent").inputs.stdin));
    assert.ok(h.isSecretValue(b.child("host").inputs.privateKey));
    assert.ok(h.isSecretValue(b.child("node").inputs.privateKey));
  });

  test("the seal token: the stake's id and the public key the keygen step printed", () => {
    const t = base.child("seal-token").inputs;
    assert.equal(t.stakeId, h.stakeIdFor("worker-1"));
    assert.equal(t.workerPubkey, h.pubkeyFor("10.99.0.2"), "keygen stdout, trimmed");
    assert.equal(Buffer.from(t.workerPubkey, "base64").length, 32);
    assert.equal(t.nodeId, "worker-1");
    assert.ok(h.isSecretValue(t.walletKey));
    assert.equal(base.child("worker-key").inputs.create, S.workerKeygen);
    assert.equal(base.child("worker-key").inputs.logging, "none");
  });

  test("no secret appears in any input outside a secret", () => {
    for (const k of base.kids) assert.deepEqual(h.plainSecretPaths(k.inputs, SECRETS), [], `${k.name} has a plain secret`);
    const comp = h.find(h.TYPES.worker, "w1");
    assert.deepEqual(h.plainSecretPaths(comp.inputs, SECRETS), []);
  });

  test("SSH connection of every remote step: address, port, user, secret key, the pinned host key", () => {
    const remote = base.kids.filter((k) => k.type === h.TYPES.command || k.type === h.TYPES.copy);
    assert.equal(remote.length, 11);
    for (const k of remote) {
      assert.ok(h.isSecretValue(k.inputs.connection) || h.isSecretValue(k.inputs.connection.privateKey), `${k.name}: key is secret`);
      const c = h.reveal<Record<string, unknown>>(k.inputs.connection);
      assert.equal(c.host, "10.99.0.2");
      assert.equal(c.port, 2222);
      assert.equal(c.user, "root");
      assert.equal(h.reveal(c.privateKey), SSH_KEY);
      assert.equal(c.hostKey, h.hostKeyFor("10.99.0.2"), `${k.name}: host key pinned`);
      assert.ok(k.dependencies.includes(base.child("host-key").urn!), `${k.name} waits for the host key`);
    }
    for (const step of ["node", "host"]) {
      assert.equal(base.child(step).inputs.hostKey, h.hostKeyFor("10.99.0.2"), `${step}: host key pinned`);
    }
    const hk = base.child("host-key").inputs;
    assert.deepEqual([hk.nodeId, hk.host, hk.port, hk.expectedHostKey], ["worker-1", "10.99.0.2", 2222, undefined], "first use: nothing expected");
  });

  test("a host key given in the configuration is what the host key resource expects", async () => {
    const given = h.hostKeyFor("given");
    const b = await build("w-hostkey", args({ host: { name: "worker-hostkey", address: "10.99.0.8", hostKey: `${given} root@somewhere` } }));
    assert.equal(b.child("host-key").inputs.expectedHostKey, given, "the comment is dropped");
    assert.equal(h.reveal<Record<string, unknown>>(b.child("probe").inputs.connection).hostKey, given);
  });

  test("a non-root user: every command runs through sudo, uploads are staged then installed by root", async () => {
    const b = await build("w-sudo", args({ host: { name: "worker-sudo", address: "10.99.0.7", user: "ubuntu" } }));
    const cmds = b.kids.filter((k) => k.type === h.TYPES.command);
    for (const k of cmds) assert.match(String(k.inputs.create), /^(sudo -n true .*; )?sudo -n sh -c '/, `${k.name} runs as root through sudo`);
    assert.match(String(b.child("probe").inputs.create), /^sudo -n true 2>\/dev\/null \|\| \{ echo "k3s-daas: SSH user ubuntu needs passwordless sudo/);
    assert.ok(String(b.child("probe").inputs.create).includes(`install -d -m 0700 -o ubuntu -g "$(id -g ubuntu)" ${S.STAGING_DIR}`));
    for (const [step, final] of [["agent-bundle", S.AGENT_BUNDLE], ["k3s-installer", S.K3S_INSTALLER], ["agent-unit", S.AGENT_UNIT], ["runtime-configurer", S.RUNTIME_CONFIGURER]] as const) {
      const copy = b.child(step).inputs;
      assert.equal(copy.remotePath, `${S.STAGING_DIR}/${final.split("/").pop()}`, `${step} is staged`);
      const install = b.child(`${step}-install`);
      assert.equal(install.inputs.create, S.asRoot("ubuntu", S.installStaged(copy.remotePath, final, "0644")));
      assert.deepEqual(install.inputs.triggers, copy.triggers, `${step}: a new file installs again`);
      assert.ok(install.dependencies.includes(b.child(step).urn!));
    }
    assert.equal(b.child("node").inputs.user, "ubuntu");
    assert.equal(b.child("host").inputs.user, "ubuntu");
    assert.equal(base.kids.filter((k) => k.name.endsWith("-install")).length, 0, "root needs no staging");
  });

  test("a step's failure is left on the host for its rollout gate: the script keeps its set -e, stdin and exit code", () => {
    const { mkdtempSync, readFileSync: read, existsSync } = require("node:fs") as typeof import("node:fs");
    const dir = mkdtempSync(join(require("node:os").tmpdir(), "step-"));
    const run = (script: string, input: string) => {
      // The marker's directory moved into the test's own (the real one is root's on the host).
      const wrapped = S.failureMarked("k3s-agent", script).replaceAll("/var/lib/k3s-daas", dir);
      return require("node:child_process").spawnSync("sh", ["-c", wrapped], { input, encoding: "utf8" }) as { status: number; stdout: string };
    };
    const ok = run(`set -e; cat > ${dir}/in; echo "it's done"`, "secret-on-stdin");
    assert.equal(ok.status, 0);
    assert.equal(ok.stdout, "it's done\n");
    assert.equal(read(`${dir}/in`, "utf8"), "secret-on-stdin", "stdin reaches the step");
    assert.equal(existsSync(`${dir}/rollout-failed`), false, "no marker on success");
    const bad = run("set -e; false; echo never", "");
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, "", "set -e still stops the step");
    assert.equal(read(`${dir}/rollout-failed`, "utf8"), "step k3s-agent failed (exit 1)\n");
    assert.equal(run("exit 7", "").status, 7);
    assert.equal(read(`${dir}/rollout-failed`, "utf8"), "step k3s-agent failed (exit 7)\n");
    assert.throws(() => S.failureMarked("bad name", "true"), /step name bad name/);
    for (const step of ["agent-config", "container-runtime", "runtime-config", "k3s-agent", "agent-service"]) {
      assert.match(String(base.child(step).inputs.create), new RegExp(`printf 'step %s failed \\(exit %s\\)\\\\n' ${step} `), `${step} is marked`);
    }
  });

  test("the k3s download: k3s's GitHub release by its directory (the host checks the published sha256sum-<arch>.txt), a mirror by its URL", () => {
    const gh = "https://github.com/k3s-io/k3s/releases/download/v1.31.4%2Bk3s1";
    const cases: Array<[string, string]> = [
      [`${gh}/k3s`, `INSTALL_K3S_RELEASE_URL='${gh}'`],
      ["https://mirror.example/k3s", "INSTALL_K3S_BIN_URL='https://mirror.example/k3s'"],
      [`${gh}/k3s-arm64`, `INSTALL_K3S_BIN_URL='${gh}/k3s-arm64'`],
      ["https://github.com/someone-else/k3s/releases/download/v1/k3s", "INSTALL_K3S_BIN_URL='https://github.com/someone-else/k3s/releases/download/v1/k3s'"],
    ];
    for (const [url, env] of cases) assert.deepEqual(S.binarySource(url), [env], url);
  });

  test("the k3s install: URL, binary URL, not started, runtime endpoint; token only on stdin", () => {
    const k = base.child("k3s-agent").inputs;
    const create = innerScript(String(k.create));
    assert.match(create, /K3S_URL='https:\/\/10\.99\.0\.1:6443'/);
    assert.match(create, /INSTALL_K3S_BIN_URL='https:\/\/10\.99\.0\.1:8443\/k3s'/);
    assert.match(create, /INSTALL_K3S_SKIP_START=true/);
    assert.match(create, /INSTALL_K3S_SKIP_ENABLE=true/);
    assert.match(create, /K3S_TOKEN_FILE=/);
    assert.match(create, /--node-name worker-1/);
    assert.ok(create.includes(`--container-runtime-endpoint unix://${S.CONTAINERD_SOCKET}`));
    assert.ok(!create.includes("--docker"));
    assert.ok(!create.includes("INSTALL_K3S_BIN_SHA256"), "no sha given, none passed");
    assert.ok(create.includes(S.K3S_INSTALLER));
    assert.ok(!create.includes(K3S_TOKEN), "join token never in the command line");
    assert.ok(!/--token\b/.test(create));
    assert.ok(h.isSecretValue(k.stdin), "stdin is a secret");
    assert.equal(h.reveal(k.stdin), K3S_TOKEN);
  });

  test("the k3s install passes the binary sha256 and extra args when given", async () => {
    const sha = "f".repeat(64);
    const b = await build("w-sha", args({ host: named("worker-sha"), k3s: { binSha256: sha, extraArgs: ["--node-label", "tier=gpu"] } }));
    const create = innerScript(String(b.child("k3s-agent").inputs.create));
    assert.ok(create.includes(`INSTALL_K3S_BIN_SHA256='${sha}'`));
    assert.ok(create.includes("--node-label tier=gpu"));
  });

  test("the agent config: valid for the agent's schema, ids of the stake and token, no secrets", async () => {
    const c = base.child("agent-config").inputs;
    assert.equal(innerScript((String(c.create))), S.writeAgentConfig());
    assert.ok(innerScript(String(c.create)).includes(S.writeFromStdin(S.AGENT_CONFIG)), "written atomically from stdin");
    assert.ok(innerScript(String(c.create)).startsWith(`rm -f ${S.AGENT_RPC_HEADERS};`), "no RPC headers: a headers file left from before goes");
    assert.match(innerScript(String(c.create)), /systemctl reload k3s-daas-agent\.service/, "a running agent is told to reload");
    assert.equal(c.connection !== undefined, true);
    const text = String(c.stdin);
    assert.deepEqual(h.plainSecretPaths(text, SECRETS), []);
    const parsed = agentConfig.agentConfigSchema.parse(JSON.parse(text));
    assert.equal(parsed.nodeId, "worker-1");
    assert.equal(parsed.stakeId, h.stakeIdFor("worker-1"));
    assert.equal(parsed.sealTokenId, h.sealIdFor("worker-1"));
    assert.deepEqual(parsed.sui, { rpcUrl: NET.agentRpcUrl, transport: "grpc", requestTimeoutMs: 10_000, packageId: NET.packageId, poolId: NET.poolId, registryId: NET.registryId, confirmSources: [] });
    assert.equal(parsed.api.port, 9555);
    assert.equal(parsed.controlPlane.endpoint, "http://10.99.0.1:8443");
    assert.equal(parsed.containerRuntime.type, "containerd");
    assert.equal(parsed.containerRuntime.socket, S.CONTAINERD_SOCKET, "the socket k3s is pointed at");
    assert.equal(parsed.k3s.unit, "k3s-agent.service");
    // The agent's own reader accepts it too (the path the agent takes on the host).
    assert.doesNotThrow(() => agentConfig.readConfig({}, text));
  });

  test("the agent service embeds the bundle, unit and token-less config sha256; the host state checks the full config", async () => {
    const text = String(base.child("agent-config").inputs.stdin);
    const configSha = createHash("sha256").update(text).digest("hex");
    const restartSha = restartShaOf(text);
    const unitSha = createHash("sha256").update(readFileSync(join(h.ROOT, "agent", "systemd", "k3s-daas-agent.service"))).digest("hex");
    const create = innerScript(String(base.child("agent-service").inputs.create));
    assert.equal(create, S.startAgent(BUNDLE_SHA, restartSha, h.NODE_VERSION, unitSha));
    assert.ok(create.includes(`node=${h.NODE_VERSION}`), "a new Node restarts the agent");
    assert.ok(create.includes(`unit=${unitSha.slice(0, 16)}`), "a new unit restarts the agent");
    assert.ok(create.includes(`bundle=${BUNDLE_SHA}`) && create.includes(`config=${restartSha}`));
    assert.ok(!create.includes(configSha), "a renewed seal token alone does not restart the agent");
    const hs = base.child("host").inputs;
    assert.equal(hs.bundleSha256, BUNDLE_SHA);
    assert.equal(hs.configSha256, configSha);
    const bundle = base.child("agent-bundle").inputs;
    assert.equal(await h.assetPath(bundle.source), join(h.ROOT, "dist", "agent", "agent.js"));
    assert.deepEqual(bundle.triggers, [BUNDLE_SHA, "10.99.0.2:2222"], "a new file or a new host copies again");
    assert.equal(bundle.remotePath, S.AGENT_BUNDLE);
  });

  test("a different config gives a different config sha (and the same config the same one)", async () => {
    // Same node id: the mocked chain returns the same stake and token ids, so only the setting differs.
    const same = await build("w-same", args({ aptSource: "deb [trusted=yes] http://10.99.0.1:8080/apt ./", controlPlaneEndpoint: "http://10.99.0.1:8443" }));
    const other = await build("w-other", args({ aptSource: "deb [trusted=yes] http://10.99.0.1:8080/apt ./", controlPlaneEndpoint: "http://10.99.0.1:8443", heartbeatIntervalMs: 10_000 }));
    const svc = (b: Built) => innerScript(String(b.child("agent-service").inputs.create));
    assert.equal(svc(same), svc(base));
    assert.notEqual(svc(other), svc(base));
    const otherText = String(other.child("agent-config").inputs.stdin);
    assert.equal(JSON.parse(otherText).heartbeat.intervalMs, 10_000);
    assert.ok(svc(other).includes(`config=${restartShaOf(otherText)}`));
    assert.ok(svc(other).includes(`bundle=${BUNDLE_SHA}`));
  });

  test("rpcHeaders: secret inputs of stake and token; the agents get them in a 0600 file, the config names it; a rotated key rolls the agent", async () => {
    const API_KEY = "provider-API-KEY-0123456789";
    const sameOrigin = { ...NET, agentRpcUrl: undefined };
    const b = await build("w-hdr", args({ network: sameOrigin, rpcHeaders: { "x-api-key": API_KEY } }));
    for (const k of b.kids) assert.deepEqual(h.plainSecretPaths(k.inputs, [...SECRETS, API_KEY]), [], `${k.name} has a plain secret`);
    for (const step of ["stake", "seal-token"]) {
      const c = b.child(step);
      assert.ok(h.isSecretValue(c.inputs.rpcHeaders), `${step}: rpcHeaders is a secret input`);
      assert.deepEqual(h.reveal(c.inputs.rpcHeaders), { "x-api-key": API_KEY });
      assert.deepEqual(c.additionalSecretOutputs.sort(), ["rpcHeaders", "walletKey"]);
    }
    const cfg = b.child("agent-config").inputs;
    assert.equal(innerScript((String(cfg.create))), S.writeAgentConfig({ withHeaders: true }));
    assert.ok(h.isSecretValue(cfg.stdin), "stdin carries the key, so it is a secret");
    const [headersLine, ...rest] = String(h.reveal(cfg.stdin)).split("\n");
    assert.deepEqual(JSON.parse(headersLine!), { "x-api-key": API_KEY });
    const text = rest.join("\n");
    assert.equal(text.includes(API_KEY), false, "the config itself holds no key");
    const parsed = agentConfig.readConfig({}, text);
    assert.equal(parsed.sui.headersFile, S.AGENT_RPC_HEADERS);
    assert.equal(b.child("host").inputs.configSha256, createHash("sha256").update(text).digest("hex"), "the host state checks the config file, not the key");
    // The script: headers read by the shell and written 0600, the key in no argument.
    assert.match(innerScript(String(cfg.create)), /umask 077; IFS= read -r h; printf '%s\\n' "\$h" > \/etc\/k3s-daas\/rpc-headers\.json\.new/);
    // Another key: the same config, but the agent restarts and the worker rolls (within maxUnavailable).
    const rotated = await build("w-hdr2", args({ network: sameOrigin, rpcHeaders: { "x-api-key": "rotated-KEY" } }));
    assert.equal(String(h.reveal(rotated.child("agent-config").inputs.stdin)).split("\n").slice(1).join("\n"), text);
    assert.notEqual(innerScript(String(rotated.child("agent-service").inputs.create)), innerScript(String(b.child("agent-service").inputs.create)));
    assert.notEqual(rotated.child("rollout").inputs.digest, b.child("rollout").inputs.digest, "the worker rolls");
    assert.equal(innerScript(String(b.child("agent-service").inputs.create)).includes(API_KEY), false);
  });

  test("rpcHeaders reach the agents only for the same endpoint, unless agentRpcHeaders says otherwise", async () => {
    const hdr = { "x-api-key": "controller-KEY" };
    // NET.agentRpcUrl is another host: the controller's key is not sent there.
    const other = await build("w-hdr-other", args({ rpcHeaders: hdr }));
    assert.equal(innerScript(String(other.child("agent-config").inputs.create)), S.writeAgentConfig());
    assert.equal(agentConfig.readConfig({}, String(other.child("agent-config").inputs.stdin)).sui.headersFile, undefined);
    assert.ok(h.isSecretValue(other.child("stake").inputs.rpcHeaders), "the controller still uses them");
    const own = await build("w-hdr-own", args({ rpcHeaders: hdr, agentRpcHeaders: { authorization: "Bearer agent-TOKEN" } }));
    assert.deepEqual(JSON.parse(String(h.reveal(own.child("agent-config").inputs.stdin)).split("\n")[0]!), { authorization: "Bearer agent-TOKEN" });
    assert.deepEqual(C.agentRpcHeaders({ network: { ...NET, agentRpcUrl: "http://127.0.0.1:9000/" }, rpcHeaders: hdr }), hdr, "same origin: the same key");
    assert.equal(C.agentRpcHeaders({ network: NET, rpcHeaders: {} }), undefined, "an empty set is none");
    assert.throws(() => new C.StakedWorker("w-hdr-bad", args({ rpcHeaders: { "X-Key": "SECRET-9", "x-ok": "a\nb" } })), (err: Error) => {
      assert.match(err.message, /^StakedWorker w-hdr-bad: /);
      assert.match(err.message, /rpcHeaders\.X-Key a header name must be lower-case/);
      assert.match(err.message, /rpcHeaders\.x-ok must be non-empty printable ASCII/);
      assert.equal(err.message.includes("SECRET-9"), false);
      return true;
    });
  });

  test("rpcCaCertificates: the controller's stake and token take them, and the agents' config carries them (public data)", async () => {
    const { makeCertificates } = require("../support/tls") as typeof import("../support/tls");
    const { mkdtempSync } = require("node:fs") as typeof import("node:fs");
    const ca = readFileSync(makeCertificates(mkdtempSync(join(require("node:os").tmpdir(), "sw-ca-"))).ca, "utf8");
    const b = await build("w-ca", args({ rpcCaCertificates: ca }));
    assert.equal(b.child("stake").inputs.rpcCaCertificates, ca);
    assert.equal(b.child("seal-token").inputs.rpcCaCertificates, ca);
    const parsed = agentConfig.readConfig({}, String(b.child("agent-config").inputs.stdin));
    assert.equal(parsed.sui.caCertificates, ca);
    assert.equal(agentConfig.readConfig({}, String(base.child("agent-config").inputs.stdin)).sui.caCertificates, undefined, "and only when given");
    assert.throws(() => new C.StakedWorker("w-ca-bad", args({ rpcCaCertificates: "not a certificate" })), /StakedWorker w-ca-bad: rpcCaCertificates must hold at least one PEM certificate/);
  });

  test("the trust pins reach the agent config (and only when given): the control plane's key, confirm sources and quorum; bad ones are named", async () => {
    const none = agentConfig.readConfig({}, String(base.child("agent-config").inputs.stdin));
    assert.equal(none.controlPlane.publicKey, undefined);
    assert.deepEqual(none.sui.confirmSources, []);
    const cpKey = Buffer.alloc(32, 7).toString("base64");
    const b = await build("w-pins", args({
      controlPlanePublicKey: cpKey,
      network: { ...NET, confirmRpcUrls: ["https://fullnode.other-provider.example", "https://rpc.third.example:8443"], confirmQuorum: 3 },
    }));
    const parsed = agentConfig.readConfig({}, String(b.child("agent-config").inputs.stdin));
    assert.equal(parsed.controlPlane.publicKey, cpKey);
    assert.deepEqual(parsed.sui.confirmSources, [{ rpcUrl: "https://fullnode.other-provider.example" }, { rpcUrl: "https://rpc.third.example:8443" }]);
    assert.equal(parsed.sui.confirmQuorum, 3);
    assert.throws(
      () => new C.StakedWorker("w-pins-badkey", args({ controlPlanePublicKey: "not-a-key" })),
      /^Error: StakedWorker w-pins-badkey: controlPlanePublicKey must be a base64 ed25519 public key \(32 bytes: 43 characters and '='\)$/,
    );
    const confirm = (name: string, confirmRpcUrls: string[], confirmQuorum?: number) => () => new C.StakedWorker(name, args({ network: { ...NET, confirmRpcUrls, confirmQuorum } }));
    assert.throws(confirm("w-pins-same", [NET.agentRpcUrl + "/other"]), /^Error: StakedWorker w-pins-same: network\.confirmRpcUrls\[0\] names the same node as agentRpcUrl/);
    assert.throws(confirm("w-pins-cred", ["https://b.example/?key=SECRET-7"]), (err: Error) => {
      assert.match(err.message, /^StakedWorker w-pins-cred: network\.confirmRpcUrls\[0\] must not carry credentials/);
      assert.equal(err.message.includes("SECRET-7"), false);
      return true;
    });
    assert.throws(confirm("w-pins-quorum", ["https://b.example"], 3), /^Error: StakedWorker w-pins-quorum: network\.confirmQuorum must be at most 2 \(agentRpcUrl plus the confirmRpcUrls\)$/);
    const quorum2 = await build("w-pins-quorum2", args({ network: { ...NET, confirmRpcUrls: ["https://b.example"], confirmQuorum: 2 } }));
    assert.equal(agentConfig.readConfig({}, String(quorum2.child("agent-config").inputs.stdin)).sui.confirmQuorum, 2, "a quorum of every source is accepted");
  });

  test("operator keys reach the agent config (and only when given); a malformed one is refused", async () => {
    assert.deepEqual(agentConfig.readConfig({}, String(base.child("agent-config").inputs.stdin)).api.operatorKeys, []);
    const key = Buffer.alloc(32, 9).toString("base64");
    const withKey = await build("w-opkey", args({ aptSource: "deb [trusted=yes] http://10.99.0.1:8080/apt ./", controlPlaneEndpoint: "http://10.99.0.1:8443", operatorKeys: [key] }));
    const text = String(withKey.child("agent-config").inputs.stdin);
    assert.deepEqual(agentConfig.readConfig({}, text).api.operatorKeys, [key]);
    assert.throws(() => new C.StakedWorker("w-opkey-bad", args({ operatorKeys: ["nope"] })), /^Error: StakedWorker w-opkey-bad: operatorKeys\[0\] must be a base64 ed25519 public key/);
  });

  test("the container runtime step writes the apt source when given, and only then", async () => {
    const withSrc = innerScript(String(base.child("container-runtime").inputs.create));
    assert.ok(withSrc.includes("deb [trusted=yes] http://10.99.0.1:8080/apt ./"));
    assert.ok(withSrc.includes("/etc/apt/sources.list.d/k3s-daas.list"));
    assert.match(withSrc, /apt-get install -y -qq --no-install-recommends containerd\b/);
    assert.match(withSrc, /systemctl enable --now containerd\b/);
    const b = await build("w-nosrc", args({ host: named("worker-nosrc") }));
    const noSrc = innerScript(String(b.child("container-runtime").inputs.create));
    assert.ok(!noSrc.includes("sources.list.d"));
    assert.match(noSrc, /apt-get install -y -qq --no-install-recommends containerd\b/);
  });

  test("the runtime config: containerd set up for the release before k3s (CNI dirs, pause image, cgroupfs); the host state checks that text", async () => {
    const rc = base.child("runtime-config").inputs;
    const scriptSha = createHash("sha256").update(readFileSync(join(h.ROOT, "src", "components", "scripts", "configure-containerd.sh"))).digest("hex");
    assert.equal(innerScript((String(rc.create))), S.configureContainerRuntime("containerd", scriptSha));
    assert.ok(innerScript(String(rc.create)).includes(`script=${scriptSha.slice(0, 16)}`), "a new script runs again");
    const m = manifest(String(rc.stdin));
    assert.deepEqual(Object.keys(m.hosts), [], "no registries, no hosts.toml");
    assert.equal(m.registries, undefined);
    assert.deepEqual(m.images, []);
    const toml = m.config!;
    assert.match(toml, /^# Managed by k3s-daas/);
    assert.match(toml, /^version = 2$/m);
    assert.match(toml, /sandbox_image = "docker\.io\/rancher\/mirrored-pause:3\.6"/);
    assert.match(toml, /bin_dir = "\/var\/lib\/rancher\/k3s\/data\/cni"/, "v1.31.4 has k3s's static CNI dir");
    assert.match(toml, /conf_dir = "\/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d"/);
    assert.match(toml, /SystemdCgroup = false/);
    assert.ok(!toml.includes("config_path"));
    assert.equal(base.child("host").inputs.containerdConfig, toml, "HostState compares the host's file with this text");
    assert.equal(await h.assetPath(base.child("runtime-configurer").inputs.source), join(h.ROOT, "src", "components", "scripts", "configure-containerd.sh"));
    assert.equal(base.child("runtime-configurer").inputs.remotePath, S.RUNTIME_CONFIGURER);
    // An older release without data/cni: the running release's bin dir; another pause image.
    const old = await build("w-oldk3s", args({ host: named("worker-oldk3s"), k3s: { version: "v1.30.5+k3s1", pauseImage: "registry.local:5000/pause:3.9" } }));
    const oldToml = manifest(String(old.child("runtime-config").inputs.stdin)).config!;
    assert.match(oldToml, /bin_dir = "\/var\/lib\/rancher\/k3s\/data\/current\/bin"/);
    assert.match(oldToml, /sandbox_image = "registry\.local:5000\/pause:3\.9"/);
    const changes = (b: Built) => h.reveal<Record<string, string>>(b.child("rollout").inputs.changes).runtimeConfig;
    assert.notEqual(changes(old), changes(base), "a new containerd config is rolled");
  });

  test("k3s.images and registries: tarballs uploaded to k3s's airgap dir and imported; mirrors as hosts.toml and registries.yaml", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sw-images-"));
    const pause = join(dir, "pause.tar");
    const app = join(dir, "app-1.tar");
    writeFileSync(pause, "pause image bytes");
    writeFileSync(app, "app image bytes");
    const registries = { mirrors: { "docker.io": { endpoint: ["http://10.99.0.1:5000"] } }, configs: { "10.99.0.1:5000": { tls: { insecure_skip_verify: true } } } };
    const b = await build("w-img", args({ host: named("worker-img"), k3s: { images: [pause, app], registries } }));
    assert.equal(b.child("probe").inputs.create, S.probeHost("root", { airgapImages: true }));
    assert.ok(String(b.child("probe").inputs.create).includes(`mkdir -p ${S.AIRGAP_IMAGES_DIR}`), "the airgap dir exists before the copies");
    const sha = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
    for (const [f, file] of [[pause, "pause.tar"], [app, "app-1.tar"]] as const) {
      const copy = b.child(`image-${file}`);
      assert.equal(copy.type, h.TYPES.copy);
      assert.equal(copy.inputs.remotePath, `${S.AIRGAP_IMAGES_DIR}/${file}`);
      assert.equal(await h.assetPath(copy.inputs.source), f);
      assert.deepEqual(copy.inputs.triggers, [sha(f), "10.99.0.2:2222"]);
      assert.ok(b.child("runtime-config").dependencies.includes(copy.urn!), "imported after the upload");
      assert.ok(copy.dependencies.includes(b.child("rollout").urn!), "a new tarball is rolled");
    }
    const m = manifest(String(b.child("runtime-config").inputs.stdin));
    assert.deepEqual(m.images, [`${sha(pause)} pause.tar`, `${sha(app)} app-1.tar`]);
    assert.match(m.config!, /config_path = "\/etc\/containerd\/certs\.d"/);
    assert.deepEqual(Object.keys(m.hosts).sort(), ["10.99.0.1:5000", "docker.io"]);
    assert.match(m.hosts["docker.io"]!, /server = "https:\/\/registry-1\.docker\.io\/v2"/);
    assert.match(m.hosts["docker.io"]!, /\[host\."http:\/\/10\.99\.0\.1:5000\/v2"\]\n  capabilities = \["pull", "resolve"\]\n  skip_verify = true/);
    assert.match(m.registries!, /mirrors:\n  "docker\.io":\n    endpoint:\n      - "http:\/\/10\.99\.0\.1:5000"/);
    assert.notEqual(h.reveal<Record<string, string>>(b.child("rollout").inputs.changes).runtimeConfig, h.reveal<Record<string, string>>(base.child("rollout").inputs.changes).runtimeConfig);
    // A non-root user: each tarball is staged, then installed by root into the airgap dir.
    const sudo = await build("w-img-sudo", args({ host: { name: "worker-img-sudo", address: "10.99.0.6", user: "ubuntu" }, k3s: { images: [pause] } }));
    assert.equal(sudo.child("image-pause.tar").inputs.remotePath, `${S.STAGING_DIR}/pause.tar`);
    assert.equal(sudo.child("image-pause.tar-install").inputs.create, S.asRoot("ubuntu", S.installStaged(`${S.STAGING_DIR}/pause.tar`, `${S.AIRGAP_IMAGES_DIR}/pause.tar`, "0644")));
  });

  test("docker: no containerd config is written; image tarballs are still loaded (into docker)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sw-dimages-"));
    const pause = join(dir, "pause.tar");
    writeFileSync(pause, "pause image bytes");
    const b = await build("w-docker-img", args({ host: named("worker-docker-img"), containerRuntime: "docker", k3s: { images: [pause] } }));
    const rc = b.child("runtime-config").inputs;
    assert.match(innerScript((String(rc.create))), /^K3S_DAAS_RUNTIME=docker sh /);
    const m = manifest(String(rc.stdin));
    assert.equal(m.config, undefined);
    assert.deepEqual(Object.keys(m.hosts), []);
    assert.equal(m.images.length, 1);
    assert.equal(b.child("host").inputs.containerdConfig, "", "nothing to check for drift");
  });

  test("docker: installs docker.io, k3s gets --docker, the agent config says docker", async () => {
    const b = await build("w-docker", args({ host: named("worker-docker"), containerRuntime: "docker" }));
    const rt = innerScript(String(b.child("container-runtime").inputs.create));
    assert.match(rt, /--no-install-recommends docker\.io\b/);
    assert.match(rt, /systemctl enable --now docker\b/);
    assert.ok(!/--no-install-recommends containerd\b/.test(rt));
    const k3s = innerScript(String(b.child("k3s-agent").inputs.create));
    // cri-dockerd (run by k3s) takes the sandbox image from k3s's --pause-image.
    assert.match(k3s, /INSTALL_K3S_EXEC='agent --node-name worker-docker --docker --pause-image docker\.io\/rancher\/mirrored-pause:3\.6'/);
    assert.ok(!k3s.includes("--container-runtime-endpoint"));
    const cfg = agentConfig.agentConfigSchema.parse(JSON.parse(String(b.child("agent-config").inputs.stdin)));
    assert.equal(cfg.containerRuntime.type, "docker");
    assert.equal(cfg.containerRuntime.socket, undefined);
    assert.equal(b.child("host").inputs.containerPackage, "docker.io");
  });

  test("the host state: allowUnreachableHost and the other settings as given", async () => {
    assert.equal(base.child("host").inputs.hostKey, h.hostKeyFor("10.99.0.2"));
    const hs = base.child("host").inputs;
    assert.equal(hs.allowUnreachableHost, false);
    assert.equal(hs.removeContainerd, false);
    assert.equal(hs.containerPackage, "containerd");
    assert.equal(hs.host, "10.99.0.2");
    assert.equal(hs.port, 2222);
    assert.equal(hs.user, "root");
    assert.equal(hs.nodeId, "worker-1");
    assert.equal(hs.agentPort, 9555);
    assert.equal(hs.healthTimeoutSeconds, 180);
    assert.equal(hs.connectRetries, 5);
    const b = await build("w-unreach", args({ host: named("worker-unreach"), allowUnreachableHost: true, removeContainerRuntime: true, healthTimeoutSeconds: 30 }));
    const hs2 = b.child("host").inputs;
    assert.equal(hs2.allowUnreachableHost, true);
    assert.equal(hs2.removeContainerd, true);
    assert.equal(hs2.healthTimeoutSeconds, 30);
    assert.equal(hs2.connectRetries, 3);
  });

  test("Node for the host's own architecture: a node-ssh resource with the pinned version; the uploads of files", async () => {
    const n = base.child("node").inputs;
    assert.equal(n.nodeVersion, h.NODE_VERSION);
    assert.deepEqual([n.nodeId, n.host, n.port, n.user, n.allowUnreachableHost, n.connectRetries], ["worker-1", "10.99.0.2", 2222, "root", false, 5]);
    assert.equal(h.reveal(n.privateKey), SSH_KEY);
    assert.equal(base.child("probe").inputs.create, S.probeHost("root"));
    assert.equal(base.child("agent-unit").inputs.remotePath, S.AGENT_UNIT);
    assert.equal(await h.assetPath(base.child("agent-unit").inputs.source), join(h.ROOT, "agent", "systemd", "k3s-daas-agent.service"));
    assert.equal(await h.assetPath(base.child("k3s-installer").inputs.source), join(h.ROOT, "src", "components", "scripts", "install-k3s-agent.sh"));
    assert.equal(base.child("host").inputs.nodeVersion, h.NODE_VERSION, "the host state checks the agent runs on it");
  });

  test("nodeVersion: another Node release is installed, rolled (the gate names it), restarts the agent and is what the host state waits for", async () => {
    const other = "22.23.5";
    assert.notEqual(other, h.NODE_VERSION, "a release other than the pinned one");
    const b = await build("w-nodever", args({ host: named("worker-nodever"), nodeVersion: other }));
    assert.equal(b.child("node").inputs.nodeVersion, other);
    assert.equal(b.child("host").inputs.nodeVersion, other);
    assert.equal(h.reveal<Record<string, string>>(b.child("rollout").inputs.changes).node, other);
    assert.ok(innerScript(String(b.child("agent-service").inputs.create)).includes(`node=${other}`), "the agent restarts on the new Node");
    assert.notEqual(b.child("host").inputs.rolloutDigest, base.child("host").inputs.rolloutDigest);
  });

  test("no upload has a source that is unknown before the host answers (upstream refuses one at preview)", async () => {
    for (const k of h.registrations.filter((r) => r.type === h.TYPES.copy)) {
      const src = h.reveal(k.inputs.source);
      assert.ok(src instanceof pulumi.asset.FileAsset || src instanceof pulumi.asset.StringAsset, `${k.name}: a plain asset`);
      assert.equal(k.dependencies.filter((d) => !h.registrations.some((r) => r.urn === d && (r.type === h.TYPES.hostKey || r.type === h.TYPES.rollout || r.name.endsWith("-probe")))).length, 0, `${k.name} depends only on the host key, the probe and the rollout gate`);
    }
  });

  test("the rollout gate: every step that takes the worker out of service waits for it; the host state ends it", () => {
    const gate = base.child("rollout");
    const gi = gate.inputs;
    assert.deepEqual([gi.nodeId, gi.maxUnavailable, gi.timeoutSeconds], ["worker-1", 1, 480]);
    assert.equal(gi.fleet, "worker-1", "a worker alone is its own fleet");
    const changes = h.reveal<Record<string, string>>(gi.changes);
    assert.deepEqual(Object.keys(changes).sort(), ["agentBundle", "agentConfig", "agentUnit", "containerRuntime", "k3s", "node", "runtimeConfig", "steps"]);
    assert.match(changes.k3s!, /^v1\.31\.4\+k3s1 from /, "the k3s version is named, so preview says what is rolled");
    assert.equal(changes.agentBundle, BUNDLE_SHA);
    assert.equal(changes.node, h.NODE_VERSION);
    assert.ok(h.isSecretValue(gi.secretChanges), "the token's digest is kept secret");
    for (const step of ["node", "agent-bundle", "agent-unit", "agent-config", "container-runtime", "runtime-configurer", "runtime-config", "k3s-installer", "k3s-agent", "host"]) {
      assert.ok(base.child(step).dependencies.includes(gate.urn!), `${step} waits for the rollout gate`);
    }
    const others = gate.dependencies.filter((d) => !h.registrations.some((r) => r.urn === d && r.type === h.TYPES.hostKey));
    assert.deepEqual(others, [], "the gate waits only for the host key: first provisioning is not held back");
    assert.equal(gi.digest, base.child("host").inputs.rolloutDigest, "the gate and the host state share the rollout's digest");
    const hs = base.child("host").inputs;
    assert.deepEqual([hs.rolloutFleet, hs.maxUnavailable, hs.k3sVersion], ["worker-1", 1, "v1.31.4+k3s1"]);
    assert.match(String(hs.rolloutDigest), /^[0-9a-f]{64}$/);
    assert.match(innerScript(String(base.child("k3s-agent").inputs.create)), /INSTALL_K3S_VERSION='v1\.31\.4\+k3s1'/, "the host checks the version it installs");
  });

  test("the k3s node password: a node-ssh resource per worker (keyed by the node id, not the host), its password a secret", () => {
    const r = base.child("k3s-node-password");
    const i = r.inputs;
    assert.deepEqual([i.nodeId, i.host, i.port, i.user, i.allowUnreachableHost, i.connectRetries], ["worker-1", "10.99.0.2", 2222, "root", false, 5]);
    assert.equal(h.reveal(i.privateKey), SSH_KEY);
    assert.ok(h.isSecretValue(i.privateKey), "the SSH key stays a secret");
    assert.equal(i.password, undefined, "the password is an output only, made on the host side of the provider");
    assert.deepEqual([...r.additionalSecretOutputs].sort(), ["password", "privateKey"], "the engine keeps the password secret in the state");
  });

  test("ordering: k3s after the runtime, installer and seal token; the host state last", () => {
    const urn = (s: string) => base.child(s).urn!;
    const deps = (s: string) => new Set(base.child(s).dependencies);
    const expect: Record<string, string[]> = {
      node: ["probe"],
      "worker-key": ["node", "agent-bundle"],
      "seal-token": ["stake", "worker-key"],
      "k3s-node-password": ["probe"],
      "runtime-config": ["container-runtime", "runtime-configurer"],
      "k3s-agent": ["container-runtime", "runtime-config", "k3s-installer", "k3s-node-password", "seal-token"],
      "agent-service": ["k3s-agent", "agent-config", "agent-unit", "agent-bundle", "node", "worker-key"],
      host: ["agent-service", "seal-token", "stake"],
    };
    for (const [step, before] of Object.entries(expect)) {
      for (const b of before) assert.ok(deps(step).has(urn(b)), `${step} depends on ${b}`);
    }
    // The stake waits for nothing on the host.
    assert.deepEqual(base.child("stake").dependencies, []);
    // The mock answered in an order consistent with the dependencies.
    for (const k of base.kids) {
      for (const d of k.dependencies) {
        const dep = h.registrations.find((r) => r.urn === d)!;
        assert.ok(dep.doneSeq! < k.startSeq, `${k.name} was sent only after ${dep.name} was done`);
      }
    }
  });

  test("outputs: endpoint, stake and token ids and statuses, registered", async () => {
    const w = base.worker;
    assert.equal(await h.valueOf(w.endpoint), "http://10.99.0.2:9555");
    assert.equal(await h.valueOf(w.stakeId), h.stakeIdFor("worker-1"));
    assert.equal(await h.valueOf(w.stakeStatus), "active");
    assert.equal(await h.valueOf(w.stakedMist), "2500000000");
    assert.equal(await h.valueOf(w.sealTokenId), h.sealIdFor("worker-1"));
    assert.equal(await h.valueOf(w.sealStatus), "active");
    assert.equal(await h.valueOf(w.workerPubkey), h.pubkeyFor("10.99.0.2"));
    assert.equal(await h.valueOf(w.registered), true);
    const b = await build("w-defport", args({ host: { name: "worker-defport", address: "192.0.2.7" }, agentPort: undefined }));
    assert.equal(await h.valueOf(b.worker.endpoint), "http://192.0.2.7:9443");
    assert.equal(b.child("host").inputs.port, 22);
    assert.equal(h.reveal<Record<string, unknown>>(b.child("probe").inputs.connection).user, "root");
  });

  test("bad arguments throw before any child is registered, naming the field", () => {
    const before = h.registrations.length;
    assert.throws(() => new C.StakedWorker("w-bad", args({ agentPort: 10250 })), /^Error: StakedWorker w-bad: agentPort must not be a k3s\/kubelet port \(10250, 6443, \.\.\.\)$/);
    assert.throws(() => new C.StakedWorker("w-bad2", args({ host: named("Bad_Node") })), /^Error: StakedWorker w-bad2: host\.name must be a DNS-1123 name/);
    // Only the component itself may have been sent (super() runs first); no child.
    const after = h.registrations.slice(before).filter((r) => r.type !== h.TYPES.worker);
    assert.deepEqual(after, []);
  });
});

