// Real full nodes are https:// (fullnode.testnet.sui.io:443): the bundled agent's own HTTP
// client (node:https, src/sui/node-http-fetch.ts) must speak grpc-web over TLS, stream included,
// and refuse a certificate it cannot verify. A TLS front (test/agent/rpc-proxy.ts) with a CA made
// here stands in for the node's certificate; the agent trusts it through NODE_EXTRA_CA_CERTS.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, afterEach, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { getJson, stakeNode, startChain, startCp, waitFor, type Chain, type Node } from "./helpers";
import { startRpcProxy, type RpcProxy } from "./rpc-proxy";
import { makeCertificates } from "../support/tls";

const ROOT = resolve(__dirname, "../..");
let chain: Chain, cp: ControlPlane, node: Node, proxy: RpcProxy;
let child: ChildProcess | undefined;

let caFile = "";
let caPem = "";

before(async () => {
  execFileSync("npm", ["run", "--silent", "build:agent"], { cwd: ROOT, stdio: "inherit" });
  chain = await startChain();
  cp = await startCp(chain);
  node = await stakeNode(chain, "worker-tls");
  const certs = makeCertificates(node.dir);
  caFile = certs.ca;
  caPem = readFileSync(certs.ca, "utf8");
  proxy = await startRpcProxy(chain.url, { tls: { key: certs.key, cert: certs.cert } });
  copyFileSync(join(ROOT, "dist/agent/agent.js"), join(node.dir, "agent.js"));
  writeConfig();
});

afterEach(() => {
  if (child?.exitCode === null) child.kill("SIGKILL");
  child = undefined;
});

after(async () => {
  await proxy?.close();
  await cp?.close();
  await chain?.close();
  node?.cleanup();
});

function writeConfig(sui: Record<string, unknown> = {}): void {
  writeFileSync(join(node.dir, "agent.json"), JSON.stringify({ ...node.cfgInput, sui: { ...node.cfgInput.sui!, rpcUrl: proxy.url, ...sui } }));
}

function startBundle(extraEnv: Record<string, string> = {}): string[] {
  const c = spawn(process.execPath, [join(node.dir, "agent.js")], {
    env: { PATH: "/usr/bin:/bin", STAKER_CONFIG_PATH: join(node.dir, "agent.json"), ...extraEnv }, cwd: node.dir, stdio: ["ignore", "pipe", "pipe"],
  });
  child = c;
  const lines: string[] = [];
  createInterface({ input: c.stdout! }).on("line", (l) => lines.push(l));
  createInterface({ input: c.stderr! }).on("line", (l) => lines.push(l));
  return lines;
}

const apiPort = (lines: string[]) => waitFor("API listening", () => lines.map((l) => JSON.parse(l) as { msg: string; port?: number }).find((l) => l.msg === "agent API listening")?.port);

test("over https the agent reads its stake, opens the checkpoint stream and registers", async () => {
  assert.match(proxy.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const lines = startBundle({ NODE_EXTRA_CA_CERTS: caFile });
  const port = await apiPort(lines);
  await waitFor("registered and beating", async () => {
    const h = (await getJson(`http://127.0.0.1:${port}/health`)).body as { registered: boolean; last_heartbeat: string | null };
    return h.registered && h.last_heartbeat;
  });
  assert.ok((proxy.calls.get("/sui.rpc.v2.LedgerService/BatchGetObjects") ?? 0) > 0, `reads went through TLS: ${JSON.stringify([...proxy.calls])}`);
  await waitFor("the checkpoint stream over TLS", () => (proxy.calls.get("/sui.rpc.v2.SubscriptionService/SubscribeCheckpoints") ?? 0) > 0);
  const k3s = await waitFor("k3s started on the verified stake", () => /pid=(\d+)/.exec(readFileSync(node.k3sState, "utf8"))?.[1]);
  assert.ok(Number(k3s) > 0);
});

test("a certificate it cannot verify is refused, said so by its code, and k3s is not started", async () => {
  writeFileSync(node.k3sState, "");
  const lines = startBundle();
  await apiPort(lines);
  const refusal = await waitFor("the TLS refusal in the log", () => lines.find((l) => l.includes("start-up check failed")), 15_000);
  assert.match(refusal, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/, refusal);
  assert.equal(readFileSync(node.k3sState, "utf8").includes("pid="), false);
});

test("a private CA given in the config (sui.caCertificates) is trusted besides the public ones", async () => {
  writeFileSync(node.k3sState, "");
  writeConfig({ caCertificates: caPem });
  const lines = startBundle();
  const port = await apiPort(lines);
  await waitFor("registered over TLS with the configured CA", async () => (await getJson(`http://127.0.0.1:${port}/health`)).body.registered);
  assert.equal(lines.some((l) => l.includes("UNABLE_TO_VERIFY")), false);
});
