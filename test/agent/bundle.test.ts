// The bundle (npm run build:agent) is one CommonJS file that runs under plain Node with nothing
// else installed: copied alone into an empty directory, it registers and heartbeats against the
// devnet, keeps secrets off its command line, and exits 0 on SIGTERM after deregistering.
import { createHash } from "node:crypto";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { cmdline, processAlive, stakeNode, startChain, startCp, waitFor, type Chain, type Node } from "./helpers";

const ROOT = resolve(__dirname, "../..");
let chain: Chain, cp: ControlPlane, node: Node, child: ChildProcess | undefined;
const lines: string[] = [];

before(async () => {
  execFileSync("npm", ["run", "--silent", "build:agent"], { cwd: ROOT, stdio: "inherit" });
  chain = await startChain();
  cp = await startCp(chain);
  node = await stakeNode(chain, "worker-bundle");
  copyFileSync(join(ROOT, "dist/agent/agent.js"), join(node.dir, "agent.js"));
});

after(async () => {
  if (child?.exitCode === null) child.kill("SIGKILL");
  await cp?.close();
  await chain?.close();
  node?.cleanup();
});

// Only node itself: no node_modules near the file, no tsx, a bare PATH.
const env = () => ({ PATH: "/usr/bin:/bin", STAKER_CONFIG_PATH: join(node.dir, "agent.json") });

test("keygen prints only the existing worker public key", () => {
  const out = execFileSync(process.execPath, [join(node.dir, "agent.js"), "keygen", "--key", node.cfg.paths.workerKey], { env: env(), cwd: node.dir }).toString();
  assert.equal(out, node.workerPubkey + "\n");
});

test("check-config and version work and print no secret", () => {
  writeFileSync(join(node.dir, "agent.json"), JSON.stringify(node.cfgInput));
  const run = (...args: string[]) => execFileSync(process.execPath, [join(node.dir, "agent.js"), ...args], { env: env(), cwd: node.dir }).toString();
  const shown = JSON.parse(run("check-config")) as { nodeId: string; sealTokenId: string };
  assert.equal(shown.nodeId, node.nodeId);
  assert.equal(shown.sealTokenId, "[redacted]");
  assert.match(run("version"), /^\d+\.\d+\.\d+\n$/);
});

test("a bad config is a clear start-up error naming the key", () => {
  writeFileSync(join(node.dir, "agent.json"), JSON.stringify({ ...node.cfgInput, suiPrivateKey: "nope" }));
  let stderr = "";
  try {
    execFileSync(process.execPath, [join(node.dir, "agent.js")], { env: env(), cwd: node.dir, stdio: "pipe" });
  } catch (err) {
    stderr = String((err as { stderr: Buffer }).stderr);
    assert.equal((err as { status: number }).status, 2);
  }
  const msg = (JSON.parse(stderr.trim().split("\n").pop()!) as { msg: string }).msg;
  assert.match(msg, /unknown config key "suiPrivateKey"/);
});

test("the bundle runs the agent under plain node: registers, heartbeats, exits 0 on SIGTERM", async () => {
  writeFileSync(join(node.dir, "agent.json"), JSON.stringify(node.cfgInput));
  const c = spawn(process.execPath, [join(node.dir, "agent.js")], { env: env(), cwd: node.dir, stdio: ["ignore", "pipe", "pipe"] });
  child = c;
  createInterface({ input: c.stdout! }).on("line", (l) => lines.push(l));
  createInterface({ input: c.stderr! }).on("line", (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => c.once("exit", (code) => r(code)));

  const listening = await waitFor("API listening", () => lines.map((l) => JSON.parse(l)).find((l) => l.msg === "agent API listening"));
  const health = await waitFor("registered and beating", async () => {
    const h = (await (await fetch(`http://127.0.0.1:${listening.port}/health`)).json()) as { registered: boolean; last_heartbeat: string | null; bundle_sha256: string | null; node_version: string };
    return h.registered && h.last_heartbeat ? h : undefined;
  });
  assert.equal(health.bundle_sha256, createHash("sha256").update(readFileSync(join(node.dir, "agent.js"))).digest("hex"), "/health names the bundle it runs");
  assert.equal(health.node_version, process.version, "and the Node it runs on");
  await waitFor("heartbeat at the control plane", () => cp.workers().find((w) => w.node_id === node.nodeId && w.heartbeats >= 1));
  const k3s = await waitFor("k3s stand-in", () => /pid=(\d+)/.exec(readFileSync(node.k3sState, "utf8"))?.[1]);

  const args = cmdline(c.pid!) + cmdline(Number(k3s));
  for (const s of [node.sealTokenId, "join-secret", readFileSync(node.cfg.paths.workerKey, "utf8").split("\n")[1]!, readFileSync(node.operatorKey, "utf8").split("\n")[1]!]) {
    assert.ok(!args.includes(s), "no secret in process arguments");
    assert.ok(!lines.join("\n").includes(s), "no secret in the log");
  }

  c.kill("SIGTERM");
  assert.equal(await exited, 0);
  assert.ok(lines.some((l) => l.includes("deregistered from the control plane")));
  assert.equal(cp.workers().some((w) => w.node_id === node.nodeId), false);
  assert.ok(!processAlive(Number(k3s)), "its child k3s did not outlive it");
});
