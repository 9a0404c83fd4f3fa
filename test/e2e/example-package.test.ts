// Issue 25, end to end: the fleet as a library. `npm pack` makes the package; the example program
// (examples/fleet-from-package: its own package.json, Pulumi.yaml and config) installs that
// tarball, not the source tree (offline, from npm's cache), and through the real engine provisions
// a fleet of two workers on the local world (devnet chain, control-plane stand-in, nspawn hosts)
// from its own `hostAddresses`, then destroys it: stakes withdrawn, hosts clean.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createSuiClient, readStakeRecord } from "../../src/sui";
import { createTestStack, type TestStack } from "../support/engine";
import { installPacked, packPackage } from "../../scripts/packed-install";
import { sshRun } from "../support/ssh";
import { startFleetEnv, type FleetEnv } from "../../devnet/local-stack/fleet-env";

const root = resolve(__dirname, "../..");
const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
let work = "";
let app = "";
let env: FleetEnv;
let ts: TestStack;
const stakeIds: string[] = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), "k3s-daas-example-"));
  // The package, built by its prepack step, as `npm pack` makes it.
  const tarball = packPackage(root, work);
  assert.equal(tarball, join(work, `k3s-daas-fleet-${version}.tgz`), "npm pack made the tarball");
  // The example program, away from this checkout, installing that tarball.
  app = join(work, "edge-fleet");
  cpSync(join(root, "examples", "fleet-from-package"), app, { recursive: true });
  installPacked(root, app, tarball);

  env = await startFleetEnv({ count: 2, namePrefix: "ex", subnet: "10.93.0.0/24" });
  const full = env.stackConfig();
  const keep = ["network", "rpcCaCertificates", "walletKey", "sshPrivateKey", "stakePerNodeSui", "k3s", "k3sToken", "controlPlanePublicKey", "aptSource", "heartbeatIntervalMs"];
  const config = Object.fromEntries(Object.entries(full).filter(([k]) => keep.includes(k)));
  ts = await createTestStack(app, { ...config, hostAddresses: { value: JSON.stringify(env.hosts.hosts.map((h) => h.ip)) } }, "edge");
});

after(async () => {
  try {
    await ts?.dispose();
  } finally {
    await env?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }
});

test("the example installs the packed package: compiled JavaScript, types and bundles, no sources", () => {
  const installed = join(app, "node_modules", "k3s-daas-fleet");
  assert.ok(!lstatSync(installed).isSymbolicLink(), "a copy from the tarball, not a link to the checkout");
  const top = readdirSync(installed).sort();
  assert.deepEqual(top.filter((f) => ["src", "test", "devnet", "scripts", "toolchain", "move", "bench"].includes(f)), [], `package holds ${top.join(", ")}`);
  for (const f of ["lib/library.js", "lib/library.d.ts", "lib/sui/index.d.ts", "dist/agent/agent.js", "dist/runtime/index.js", "lib/components/scripts/install-k3s-agent.sh", "CHANGELOG.md"]) {
    assert.ok(existsSync(join(installed, f)), f);
  }
  assert.ok(!existsSync(join(app, "node_modules", "tsx")), "the program needs no tsx");
});

test("up: the example's program provisions a fleet from its own config; every agent registers", async () => {
  const up = await ts.stack.up({ onOutput: (s) => process.env.E2E_VERBOSE && process.stdout.write(s) });
  assert.equal(up.summary.result, "succeeded");
  const workers = up.outputs.workers!.value as Record<string, { endpoint: string; stakeId: string; stakeStatus: string; sealStatus: string }>;
  assert.deepEqual(Object.keys(workers).sort(), ["edge-1", "edge-2"]);
  const client = createSuiClient(env.devnet.url);
  for (const [i, h] of env.hosts.hosts.entries()) {
    const w = workers[`edge-${i + 1}`]!;
    assert.equal(w.endpoint, `http://${h.ip}:9443`);
    assert.equal(w.stakeStatus, "active");
    assert.equal(w.sealStatus, "active");
    assert.equal((await readStakeRecord(client, w.stakeId, env.devnet.ids.packageId))?.status, "active");
    stakeIds.push(w.stakeId);
    const health = (await (await fetch(`${w.endpoint}/health`)).json()) as { registered: boolean };
    assert.equal(health.registered, true);
    // The agent on the host is the package's bundle.
    const onHost = (await sshRun(h, "sha256sum /opt/k3s-daas/agent.js")).stdout.split(" ")[0];
    assert.equal(onHost, createHash("sha256").update(readFileSync(join(app, "node_modules", "k3s-daas-fleet", "dist", "agent", "agent.js"))).digest("hex"));
  }
  assert.equal(up.outputs.totalStakedMist!.value, (2n * 2_000_000_000n).toString());
  // The dynamic providers (which resolve their runtime from the program's directory) can only
  // have run the package's export: a checkout's build is not reachable from there.
  const state = await ts.stack.exportStack();
  const dynamic = state.deployment.resources.filter((r: { type: string }) => r.type.startsWith("pulumi-nodejs:dynamic/"));
  assert.ok(dynamic.length >= 10);
  // (Resolved by a Node in the program's directory, as that process is: this test's own module
  // would resolve the name to this checkout, the package it belongs to.)
  const resolveThere = (name: string) =>
    execFileSync(process.execPath, ["-e", `try { console.log(require.resolve(${JSON.stringify(name)})) } catch (e) { console.log(e.code) }`], { cwd: app, encoding: "utf8" }).trim();
  assert.equal(resolveThere("k3s-daas-fleet/provider-runtime"), join(app, "node_modules", "k3s-daas-fleet", "dist", "runtime", "index.js"));
  assert.equal(resolveThere("k3s-daas-fleet-runtime"), "MODULE_NOT_FOUND");
  // Secrets given as config secrets stay secrets in the state on disk (every file of the backend).
  const text = readdirSync(ts.backendDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
    .join("\n");
  assert.ok(text.includes("edge-fleet:walletKey"), "the state on disk was read");
  for (const key of ["walletKey", "sshPrivateKey", "k3sToken"]) {
    const value = env.stackConfig()[key]!.value;
    const needle = value.split("\n").find((l) => l.length > 20 && !l.startsWith("-----")) ?? value;
    const at = text.indexOf(needle);
    assert.ok(at < 0, `${key} in plain text in the state: ...${text.slice(Math.max(0, at - 300), at).replace(needle, "<secret>")}<secret>`);
  }
});

test("destroy: the stakes are withdrawn and the hosts left clean", async () => {
  env.devnet.advanceEpoch(1);
  const destroy = await ts.stack.destroy();
  assert.equal(destroy.summary.result, "succeeded");
  const client = createSuiClient(env.devnet.url);
  for (const id of stakeIds) assert.equal((await readStakeRecord(client, id, env.devnet.ids.packageId))?.status, "withdrawn");
  for (const h of env.hosts.hosts) {
    const r = await sshRun(h, "ls -d /usr/local/bin/k3s /etc/systemd/system/k3s-daas-agent.service /opt/k3s-daas /etc/k3s-daas /var/lib/k3s-daas 2>/dev/null; true");
    assert.equal(r.stdout.trim(), "", `${h.name} still has files`);
  }
});
