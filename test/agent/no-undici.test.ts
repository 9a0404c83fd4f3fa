// The bundled agent never loads undici (Node's fetch and its Headers/Request/Response globals):
// that is ~13 MB of its RSS (issue 15, bench/README.md "agent-footprint"). The bundle runs as its
// own process with the unit's node flags through a full flow: register, heartbeats, the checkpoint
// stream open, a pushed stake change, deregistration on SIGTERM; then the list of Node's internal
// modules it loaded (process.moduleLoadList, written at exit by a --require'd probe) must hold no
// undici. The same probe in a process that calls fetch, or only builds a Headers, shows the
// marker, so its absence means something.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { ONE_SUI, stakeNode, startChain, startCp, waitFor, type Chain, type Node } from "./helpers";

const ROOT = resolve(__dirname, "../..");
/** The entry Node's lazy fetch/Headers getters load (lib/internal/bootstrap/web/exposed-window-or-worker.js). */
const UNDICI = "NativeModule internal/deps/undici/undici";
let chain: Chain, cp: ControlPlane, dir: string;
const nodes: Node[] = [];

/** The node flags of the shipped unit's ExecStart (what a host runs the agent with). */
function unitNodeFlags(): string[] {
  const unit = readFileSync(join(ROOT, "agent/systemd/k3s-daas-agent.service"), "utf8");
  const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!.trim().split(/\s+/);
  return exec.slice(1, -1);
}

/** The internal modules a probed process had loaded when it exited. */
function modulesAtExit(out: string): string[] {
  return JSON.parse(readFileSync(out, "utf8")) as string[];
}

before(async () => {
  execFileSync("npm", ["run", "--silent", "build:agent"], { cwd: ROOT, stdio: "inherit" });
  chain = await startChain();
  cp = await startCp(chain);
  const first = await stakeNode(chain, "worker-no-undici");
  nodes.push(first);
  dir = first.dir;
  copyFileSync(join(ROOT, "dist/agent/agent.js"), join(dir, "agent.js"));
  // CommonJS and node: built-ins only, so the probe itself loads nothing of note.
  writeFileSync(join(dir, "probe.cjs"), `process.on("exit", () => require("node:fs").writeFileSync(process.env.MODULE_LIST_OUT, JSON.stringify(process.moduleLoadList)));\n`);
});

after(async () => {
  await cp?.close();
  await chain?.close();
  for (const n of nodes) n.cleanup();
});

test("the probe sees undici in a process that calls fetch or builds a Headers, and not in one that does neither", () => {
  const run = (code: string) => {
    const out = join(dir, `control-${nodes.length}-${Math.random().toString(36).slice(2)}.json`);
    execFileSync(process.execPath, ["--require", join(dir, "probe.cjs"), "-e", code], { env: { PATH: "/usr/bin:/bin", MODULE_LIST_OUT: out } });
    return modulesAtExit(out);
  };
  assert.ok(run("fetch('http://127.0.0.1:1').catch(() => {})").includes(UNDICI));
  assert.ok(run("new Headers()").includes(UNDICI));
  assert.ok(!run("require('node:http').get('http://127.0.0.1:1').on('error', () => {})").includes(UNDICI));
});

for (const transport of ["grpc", "jsonrpc"] as const) {
  test(`the bundled agent (${transport}) registers, heartbeats, follows the chain and deregisters without loading undici`, async () => {
    const node = transport === "grpc" ? nodes[0]! : await stakeNode(chain, "worker-no-undici-jrpc");
    if (node !== nodes[0]) nodes.push(node);
    const cfg = { ...node.cfgInput, sui: { ...node.cfgInput.sui, transport } };
    writeFileSync(join(node.dir, "agent.json"), JSON.stringify(cfg));
    const out = join(node.dir, `modules-${transport}.json`);
    const lines: string[] = [];
    const c = spawn(process.execPath, [...unitNodeFlags(), "--require", join(dir, "probe.cjs"), join(dir, "agent.js")], {
      env: { PATH: "/usr/bin:/bin", STAKER_CONFIG_PATH: join(node.dir, "agent.json"), MODULE_LIST_OUT: out },
      cwd: node.dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      createInterface({ input: c.stdout! }).on("line", (l) => lines.push(l));
      createInterface({ input: c.stderr! }).on("line", (l) => lines.push(l));
      const exited = new Promise<number | null>((r) => c.once("exit", (code) => r(code)));
      const logged = (msg: string) => lines.some((l) => l.includes(`"msg":"${msg}"`));

      await waitFor("two heartbeats at the control plane", () => cp.workers().find((w) => w.node_id === node.nodeId && w.heartbeats >= 2));
      if (transport === "grpc") {
        await waitFor("the checkpoint stream open", () => logged("chain view: checkpoint stream open"));
        // A top-up changes the watched stake: the stream must push it (frames read as they arrive).
        await node.staker.addStake({ stakeId: node.stakeId, amountMist: ONE_SUI });
        await waitFor("the change pushed", () => logged("chain view: change pushed"));
      }
      c.kill("SIGTERM");
      assert.equal(await exited, 0, lines.join("\n"));
      assert.ok(logged("deregistered from the control plane"));
      // The unit's flags start Node without a word of its own (V8 warns at every start when a
      // flag it disables, like --expose-wasm under --jitless, is left on): the journal holds
      // only the agent's JSON lines.
      assert.deepEqual(lines.filter((l) => !l.startsWith("{")), [], "lines that are not the agent's JSON log");
    } finally {
      if (c.exitCode === null) c.kill("SIGKILL");
    }
    const loaded = modulesAtExit(out);
    assert.ok(loaded.includes("NativeModule http"), "the probe's list is the agent's");
    assert.deepEqual(loaded.filter((m) => /undici/i.test(m)), [], "no undici module was loaded");
  });
}
