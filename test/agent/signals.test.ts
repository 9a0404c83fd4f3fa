// SIGTERM is graceful but bounded: with a heartbeat stuck on a control plane that never answers,
// the agent still exits 0 once shutdownTimeoutMs has passed; a second signal exits at once.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { processAlive, stakeNode, startChain, startCp, waitFor, type Chain, type Node } from "./helpers";

const MAIN = resolve(__dirname, "../../agent/src/main.ts");
let chain: Chain, cp: ControlPlane, node: Node, hanging: Server;
let requests = 0;

before(async () => {
  chain = await startChain();
  cp = await startCp(chain);
  // Accepts requests and never answers: a beat in flight stays in flight.
  hanging = createServer(() => void requests++);
  await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", () => r()));
  node = await stakeNode(chain, "worker-signals", {
    controlPlane: { endpoint: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`, requestTimeoutMs: 600_000 },
  });
});

after(async () => {
  hanging?.closeAllConnections();
  hanging?.close();
  await cp?.close();
  await chain?.close();
  node?.cleanup();
});

async function startStuckAgent(shutdownTimeoutMs: number) {
  const before = requests;
  rmSync(node.k3sState, { force: true });
  writeFileSync(join(node.dir, "agent.json"), JSON.stringify({ ...node.cfgInput, shutdownTimeoutMs }));
  const c = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, STAKER_CONFIG_PATH: join(node.dir, "agent.json") },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  createInterface({ input: c.stdout! }).on("line", (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => c.once("exit", (code) => r(code)));
  await waitFor("a request stuck at the hanging control plane", () => requests > before);
  const k3sPid = await waitFor("k3s stand-in", () => /pid=(\d+)/.exec(readFileSync(node.k3sState, "utf8"))?.[1]);
  return { c, lines, exited, k3sPid: Number(k3sPid) };
}

test("one SIGTERM: bounded graceful shutdown, exit 0", async () => {
  const { c, lines, exited, k3sPid } = await startStuckAgent(500);
  c.kill("SIGTERM");
  assert.equal(await exited, 0);
  await waitFor("the child k3s not to outlive the agent", () => !processAlive(k3sPid), 5_000);
  assert.ok(lines.some((l) => l.includes('"agent stopped"')));
});

test("a second signal forces exit", async () => {
  // A bound far beyond the test: only the second signal can end it.
  const { c, lines, exited, k3sPid } = await startStuckAgent(600_000);
  c.kill("SIGTERM");
  await waitFor("shutdown started", () => lines.some((l) => l.includes('"shutting down"')));
  c.kill("SIGINT");
  assert.equal(await exited, 130);
  await waitFor("the child k3s not to outlive the agent", () => !processAlive(k3sPid), 5_000);
  assert.ok(lines.some((l) => l.includes("second signal")));
});
