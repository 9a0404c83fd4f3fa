// The real program's config validation through the real engine: `pulumi preview` (Automation API,
// this project's program at the repo root, a throwaway file backend) fails with a message naming
// the bad key (unknown key, missing key, a secret-looking value in an enum key) before any
// resource is registered, and never echoes the values it was given. No network: the object ids,
// the addresses and the keys are fakes, and validation stops the program before any provider runs.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { CommandError, type ConfigMap, type EngineEvent } from "@pulumi/pulumi/automation";
import { createTestStack, type TestStack } from "../support/engine";

const root = resolve(__dirname, "../..");
const STACK = "cfgcheck";
const P = "k3s-daas-fleet";

let ts: TestStack;
let keyDir: string;
let good: ConfigMap;
let secrets: string[];

before(async () => {
  // Throwaway keys made for this run only: nothing secret is committed.
  keyDir = mkdtempSync(join(tmpdir(), "k3s-daas-cfgcheck-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "cfgcheck", "-f", join(keyDir, "id")]);
  const sshKey = readFileSync(join(keyDir, "id"), "utf8");
  const walletKey = Ed25519Keypair.generate().getSecretKey();
  const k3sToken = `K10cfgcheck${Ed25519Keypair.generate().getPublicKey().toBase64().replace(/[^A-Za-z0-9]/g, "")}::server:cfgchecktoken`;
  // The key's body line (not its PEM armour) is what must never show.
  secrets = [walletKey, k3sToken, sshKey.split("\n")[1]!];
  const json = (v: unknown) => ({ value: JSON.stringify(v) });
  good = {
    network: json({ rpcUrl: "http://127.0.0.1:9", packageId: "0x1", poolId: "0x2", registryId: "0x3" }),
    walletKey: { value: walletKey, secret: true },
    sshPrivateKey: { value: sshKey, secret: true },
    stakePerNodeSui: { value: "2" },
    k3s: json({ serverUrl: "https://127.0.0.1:6443", binUrl: "https://127.0.0.1/k3s" }),
    k3sToken: { value: k3sToken, secret: true },
    hosts: json([{ name: "w1", address: "127.0.0.1" }]),
  };
  ts = await createTestStack(root, good, STACK, resolve(root, `stacks/Pulumi.${STACK}.yaml`));
});

after(async () => {
  try {
    await ts?.dispose();
  } finally {
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  }
});

/** The stack's config becomes exactly `config` (keys from an earlier case removed). */
async function setExactly(config: ConfigMap): Promise<void> {
  const current = Object.keys(await ts.stack.getAllConfig()).map((k) => k.slice(`${P}:`.length));
  const stale = current.filter((k) => !(k in config));
  if (stale.length) await ts.stack.removeAllConfig(stale);
  await ts.stack.setAllConfig(config);
}

beforeEach(async () => setExactly(good));

/** Runs preview, which must fail; returns the whole error text and the resources it registered. */
async function failedPreview(): Promise<{ text: string; registered: string[] }> {
  const registered: string[] = [];
  const onEvent = (e: EngineEvent) => {
    const urn = e.resourcePreEvent?.metadata.urn;
    if (urn) registered.push(urn.split("::").slice(-2).join("::"));
  };
  try {
    await ts.stack.preview({ onEvent });
  } catch (err) {
    assert.ok(err instanceof CommandError, `expected a CommandError, got ${String(err)}`);
    // CommandError's message is the command's code, stdout and stderr.
    assert.match(err.message, /stderr: /);
    return { text: err.message, registered };
  }
  assert.fail("preview succeeded; expected a config error");
}

/** The program's error lists exactly `lines` (one per bad key) and nothing was touched or leaked. */
function assertConfigError(r: { text: string; registered: string[] }, lines: string[]): void {
  // The Diagnostics block: "error: invalid stack configuration:" on its own line, then one
  // more-indented line per bad key.
  const m = /^([ \t]*)error: invalid stack configuration:\n((?:.*\n?)*)/m.exec(r.text);
  assert.ok(m, `no config error in:\n${r.text}`);
  const indent = m[1]!.length;
  const listed: string[] = [];
  for (const line of m[2]!.split("\n")) {
    if (line.trim() === "" || line.length - line.trimStart().length <= indent) break;
    listed.push(line.trim());
  }
  assert.deepEqual(listed, lines, r.text);
  // The program stopped in validation: only the stack itself was registered (the event stream
  // works: it is seen), no component or resource.
  assert.ok(r.registered.some((u) => u.startsWith("pulumi:pulumi:Stack::")), `no engine events seen: ${r.registered.join(", ")}`);
  assert.deepEqual(r.registered.filter((u) => !u.startsWith("pulumi:pulumi:Stack::")), [], `resources registered: ${r.registered.join(", ")}`);
  for (const s of secrets) assert.equal(r.text.includes(s), false, "the error output shows a secret from the config");
}

test("the valid base config passes validation (the cases below fail on their one key only)", async (t) => {
  // Past validation, the program builds the fleet: preview registers its components. Whether the
  // preview then succeeds is not this file's concern (no chain here); it must not be a config error.
  const registered: string[] = [];
  let text = "";
  try {
    await ts.stack.preview({ onEvent: (e) => { const u = e.resourcePreEvent?.metadata.urn; if (u) registered.push(u); } });
  } catch (err) {
    text = String(err);
  }
  assert.equal(text.includes("invalid stack configuration"), false, text);
  t.diagnostic(text ? `preview failed after validation: ${/error: .*/.exec(text)?.[0] ?? "?"}` : `preview succeeded (${registered.length} resources)`);
  assert.ok(registered.some((u) => u.includes("k3s-daas:index:WorkerFleet")), `no fleet registered: ${registered.join(", ")}\n${text}`);
});

test("an unknown key (stakePerNode) fails preview naming that key", async () => {
  await ts.stack.setConfig("stakePerNode", { value: "2" });
  const r = await failedPreview();
  assertConfigError(r, [`unknown config key ${P}:stakePerNode`]);
});

test("a missing required key (hosts) fails preview naming that key", async () => {
  await ts.stack.removeConfig("hosts");
  const r = await failedPreview();
  assertConfigError(r, [`missing config key ${P}:hosts`]);
});

test("a secret-looking value in an enum key (containerRuntime) is named by key and never echoed", async () => {
  const leaked = Ed25519Keypair.generate().getSecretKey(); // a 'suiprivkey1...' string, made now
  assert.match(leaked, /^suiprivkey1/);
  await ts.stack.setConfig("containerRuntime", { value: leaked });
  const r = await failedPreview();
  assertConfigError(r, [`config key ${P}:containerRuntime: must be one of "containerd", "docker"`]);
  assert.equal(r.text.includes(leaked), false, "the error output shows the value");
  assert.equal(r.text.includes(leaked.slice(11, 40)), false, "the error output shows part of the value");
});

test("bad k3s.pauseImage, k3s.images and k3s.registries fail preview, each key named", async () => {
  await ts.stack.setConfig("k3s", {
    value: JSON.stringify({
      serverUrl: "https://127.0.0.1:6443", binUrl: "https://127.0.0.1/k3s",
      pauseImage: "not an image", images: ["/nonexistent/k3s-daas/pause.tar"], registries: { mirrors: { "docker.io": { endpoint: ["mirror.local:5000"] } } },
    }),
  });
  const r = await failedPreview();
  assertConfigError(r, [
    `config key ${P}:k3s.pauseImage: must be an image reference, like docker.io/rancher/mirrored-pause:3.6`,
    `config key ${P}:k3s.images.0: must be an image tarball on this machine (the file does not exist)`,
    `config key ${P}:k3s.registries.mirrors.docker.io.endpoint.0: must be an http(s) URL (http://host:port or https://host/path)`,
  ]);
});
