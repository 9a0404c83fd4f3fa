// A renewed seal token reaches a running agent by a reload (SIGHUP, as `systemctl reload` sends):
// the agent checks the new token on chain, watches it, registers again with it, and keeps k3s
// and its registration throughout, so the old token can be revoked under a running node. A
// token that fails the check, or a config with other changes, is not switched to.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { loadOrCreateIdentity } from "../../agent/src/identity";
import { processAlive, stakeNode, startChain, startCp, waitFor, type Chain, type Node } from "./helpers";

const MAIN = resolve(__dirname, "../../agent/src/main.ts");
let chain: Chain, cp: ControlPlane, node: Node;
let child: ChildProcess;
const lines: string[] = [];
let base = "";
let configPath = "";
let k3sPid = 0;
/** /health answers that were not healthy and registered, sampled every 25 ms from start to end. */
const outages: string[] = [];
let polling = true;
let poller: Promise<void>;

const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const health = async () => (await (await fetch(`${base}/health`)).json()) as { status: string; registered: boolean; config_sha256: string | null; last_heartbeat: string | null };

function writeConfig(changes: Record<string, unknown>): string {
  const text = JSON.stringify({ ...node.cfgInput, ...changes }, null, 2);
  writeFileSync(configPath, text);
  return sha(text);
}

async function beatsAfter(t: number, n = 2): Promise<void> {
  const start = cp.workers().find((w) => w.node_id === node.nodeId)?.heartbeats ?? 0;
  await waitFor(`${n} heartbeats after the switch`, () => (cp.workers().find((w) => w.node_id === node.nodeId)?.heartbeats ?? 0) >= start + n && Date.now() > t);
}

before(async () => {
  chain = await startChain();
  cp = await startCp(chain);
  node = await stakeNode(chain, "worker-renew", { api: { host: "127.0.0.1", port: 0 } });
  configPath = join(node.dir, "agent.json");
  writeConfig({});
  child = spawn(process.execPath, ["--import", "tsx", MAIN], { env: { ...process.env, STAKER_CONFIG_PATH: configPath }, stdio: ["ignore", "pipe", "inherit"] });
  createInterface({ input: child.stdout! }).on("line", (l) => lines.push(l));
  const port = await waitFor("the API port", () => /"agent API listening".*"port":(\d+)/.exec(lines.join("\n"))?.[1]);
  base = `http://127.0.0.1:${port}`;
  await waitFor("registered", async () => (await health()).registered);
  k3sPid = Number(await waitFor("k3s stand-in", () => /pid=(\d+)/.exec(readFileSync(node.k3sState, "utf8"))?.[1]));
  // From here on the node must stay healthy and registered.
  poller = (async () => {
    while (polling) {
      const h = await health().catch((e: Error) => ({ status: `no answer: ${e.message}`, registered: false }));
      if (h.status !== "healthy" || !h.registered) outages.push(`${new Date().toISOString()} ${JSON.stringify(h)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
});

after(async () => {
  polling = false;
  await poller;
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  await cp?.close();
  await chain?.close();
  node?.cleanup();
});

test("the running config's sha is reported by /health", async () => {
  assert.equal((await health()).config_sha256, sha(readFileSync(configPath, "utf8")));
});

test("SIGHUP with a renewed token: switched live, no restart, no deregistration; the old token can then be revoked", async () => {
  const started = (l: string) => l.includes('"k3s agent started"');
  const k3sStarts = lines.filter(started).length;
  const { sealTokenId: renewed } = await node.staker.mintSealToken({ stakeId: node.stakeId, workerPubkey: node.workerPubkey });
  const want = writeConfig({ sealTokenId: renewed });
  child.kill("SIGHUP");
  await waitFor("the agent to run the new config", async () => (await health()).config_sha256 === want);
  assert.ok(lines.some((l) => l.includes('"switched to a renewed seal token"')));
  await node.staker.revokeSealToken(node.sealTokenId);
  await beatsAfter(Date.now());
  assert.equal(child.exitCode, null, "the agent kept running");
  assert.ok(processAlive(k3sPid), "k3s kept running");
  assert.equal(lines.filter(started).length, k3sStarts, "k3s was not started again");
  assert.ok(!lines.some((l) => l.includes('"deregistered from the control plane"')), "never deregistered");
  assert.equal((await health()).status, "healthy");
  // The token ids stay out of the journal, old and new.
  for (const id of [node.sealTokenId, renewed]) assert.ok(!lines.join("\n").includes(id.slice(2)), "a token id was logged");
  node.sealTokenId = renewed;
  node.cfgInput.sealTokenId = renewed;
});

test("SIGHUP with a token minted for another worker key: refused, the current token stays", async () => {
  const before = (await health()).config_sha256;
  const other = loadOrCreateIdentity(join(node.dir, "other.key")).publicKey;
  const { sealTokenId: foreign } = await node.staker.mintSealToken({ stakeId: node.stakeId, workerPubkey: other });
  writeConfig({ sealTokenId: foreign });
  child.kill("SIGHUP");
  await waitFor("the refusal", () => lines.some((l) => l.includes('"config reload failed; the running config stays"')));
  assert.match(lines.find((l) => l.includes("config reload failed"))!, /carries worker key/);
  assert.equal((await health()).config_sha256, before);
  await node.staker.revokeSealToken(foreign);
  await beatsAfter(Date.now());
  writeConfig({});
});

test("SIGHUP with other changes: left for a restart, named, nothing switched", async () => {
  const before = (await health()).config_sha256;
  const { sealTokenId: renewed } = await node.staker.mintSealToken({ stakeId: node.stakeId, workerPubkey: node.workerPubkey });
  writeConfig({ sealTokenId: renewed, heartbeat: { ...node.cfgInput.heartbeat, intervalMs: 300 } });
  child.kill("SIGHUP");
  await waitFor("the warning", () => lines.some((l) => l.includes("take a restart and are not applied")));
  assert.match(lines.find((l) => l.includes("take a restart"))!, /heartbeat\.intervalMs/);
  assert.equal((await health()).config_sha256, before);
  // Still on the token it had: revoking the new one changes nothing.
  await node.staker.revokeSealToken(renewed);
  await beatsAfter(Date.now());
});

test("the node stayed healthy and registered throughout", () => {
  assert.deepEqual(outages, []);
});
