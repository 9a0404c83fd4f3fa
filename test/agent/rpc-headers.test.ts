// The bundled agent against an RPC node that wants an API key in a header (the devnet started
// to require one, as a provider's gateway does): the key comes from the root-only file the
// config names (sui.headersFile), goes on every chain request, and shows nowhere else.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, afterEach, before, test } from "node:test";
import { startDevnet, type Devnet } from "../../devnet/chain";
import { startControlPlane, type ControlPlane } from "../../devnet/control-plane";
import { cmdline, getJson, spawnBundle, stakeNode, waitFor, type BundleProcess, type Chain, type Node } from "./helpers";

const ROOT = resolve(__dirname, "../..");
const KEY = "agent-test-API-KEY-5d1e0c7b";
let devnet: Devnet, cp: ControlPlane, node: Node;
let running: BundleProcess | undefined;

before(async () => {
  execFileSync("npm", ["run", "--silent", "build:agent"], { cwd: ROOT, stdio: "inherit" });
  devnet = await startDevnet({ host: "127.0.0.1", port: 0 });
  cp = await startControlPlane({
    host: "127.0.0.1", port: 0, chainUrl: devnet.url, chainHeaders: { "x-api-key": KEY }, ids: devnet.ids, adminSecretKey: devnet.adminSecretKey, log: () => {},
  });
  node = await stakeNode(devnet as unknown as Chain, "worker-keyed");
  copyFileSync(join(ROOT, "dist/agent/agent.js"), join(node.dir, "agent.js"));
  // From here on the node refuses every chain request without the key.
  devnet.setRequiredHeaders({ "x-api-key": KEY });
});

afterEach(() => {
  if (running?.child.exitCode === null) running.child.kill("SIGKILL");
  running = undefined;
});

after(async () => {
  await cp?.close();
  await devnet?.close();
  node?.cleanup();
});

const headersFile = () => join(node.dir, "rpc-headers.json");
const configFile = () => join(node.dir, "agent.json");

function writeConfig(withHeaders: boolean): void {
  const sui = { ...node.cfgInput.sui!, ...(withHeaders ? { headersFile: headersFile() } : {}) };
  writeFileSync(configFile(), JSON.stringify({ ...node.cfgInput, sui }));
}

function startBundle(): BundleProcess {
  running = spawnBundle(node.dir, { STAKER_CONFIG_PATH: configFile() });
  return running;
}

test("with the key in its headers file the agent registers and heartbeats; the key is in no log, argument or API answer; the file is tightened to 0600", async () => {
  writeFileSync(headersFile(), JSON.stringify({ "x-api-key": KEY }) + "\n");
  chmodSync(headersFile(), 0o644);
  writeConfig(true);
  devnet.resetRequestCounts();
  const { lines, exited, apiPort, child } = startBundle();
  const port = await apiPort();
  await waitFor("registered and beating", async () => {
    const h = (await getJson(`http://127.0.0.1:${port}/health`)).body as { registered: boolean; last_heartbeat: string | null };
    return h.registered && h.last_heartbeat;
  });
  assert.equal(statSync(headersFile()).mode & 0o777, 0o600, "a headers file others could read is made 0600");
  const own = devnet.requestCounts()[`k3s-daas-agent/${node.nodeId}`] ?? {};
  assert.ok(Object.keys(own).length > 0, `the agent's requests reached the node with its key: ${JSON.stringify(devnet.requestCounts())}`);

  const answers = await Promise.all(["/health", "/api/v1/config", "/api/v1/staking", "/metrics", "/readyz"].map(async (p) => (await getJson(`http://127.0.0.1:${port}${p}`)).text));
  const shown = JSON.parse(answers[1]!) as { sui: { headersFile?: string } };
  assert.equal(shown.sui.headersFile, "[redacted]");
  for (const [i, text] of answers.entries()) assert.equal(text.includes(KEY), false, `answer ${i} shows the key`);
  assert.equal(cmdline(child.pid!).includes(KEY), false, "no key in the process arguments");

  child.kill("SIGTERM");
  assert.equal(await exited, 0);
  assert.equal(lines.join("\n").includes(KEY), false, "no key in the log");
});

test("without the key the node's refusal is what the log says, and k3s is never started", async () => {
  writeFileSync(node.k3sState, "");
  writeConfig(false);
  const { lines, apiPort } = startBundle();
  await apiPort();
  const refusal = await waitFor("the refusal in the log", () => lines.find((l) => /UNAUTHENTICATED|missing or invalid API key/.test(l)), 15_000);
  assert.deepEqual(JSON.parse(refusal).err, { name: "RpcError", message: "missing or invalid API key", code: "UNAUTHENTICATED" });
  const port = await apiPort();
  const h = await getJson(`http://127.0.0.1:${port}/health`);
  assert.equal(h.body.registered, false);
  assert.equal(readFileSync(node.k3sState, "utf8").includes("pid="), false, "k3s not started on an unverified stake");
});

test("a bad headers file stops the agent at start naming the file and the header, never a value", async () => {
  const startError = async (headersText: string | null): Promise<string> => {
    if (headersText === null) {
      if (existsSync(headersFile())) require("node:fs").rmSync(headersFile());
    } else writeFileSync(headersFile(), headersText, { mode: 0o600 });
    writeConfig(true);
    const { lines, exited } = startBundle();
    assert.equal(await exited, 2, "a config error exits 2");
    return (JSON.parse(lines[lines.length - 1]!) as { msg: string }).msg;
  };
  const bad = await startError(JSON.stringify({ "X-Api-Key": "SECRET-VALUE-1", "x-ok": "SECRET-VALUE-2\r\n" }));
  assert.match(bad, new RegExp(`rpc headers file ${headersFile()}: headers\\["X-Api-Key"\\]: a header name must be lower-case`));
  assert.match(bad, /headers\["x-ok"\]: must be non-empty printable ASCII/);
  assert.equal(bad.includes("SECRET-VALUE"), false, bad);
  const notJson = await startError("x-api-key: SECRET-VALUE-3");
  assert.equal(notJson, `rpc headers file ${headersFile()} is not valid JSON`);
  assert.match(await startError(null), new RegExp(`cannot read rpc headers file ${headersFile()}: ENOENT`));
});
