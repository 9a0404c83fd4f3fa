// Real full nodes are https:// (fullnode.testnet.sui.io:443): the bundled agent's own HTTP
// client (node:https, src/sui/node-http-fetch.ts) must speak grpc-web over TLS, stream included,
// and refuse a certificate it cannot verify. A TLS front (test/agent/rpc-proxy.ts) with a CA made
// here stands in for the node's certificate; the agent trusts it through NODE_EXTRA_CA_CERTS.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, afterEach, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { getJson, spawnBundle, stakeNode, startChain, startCp, waitFor, type BundleProcess, type Chain, type Node } from "./helpers";
import { startRpcProxy, type RpcProxy } from "./rpc-proxy";
import { makeCertificates } from "../support/tls";

const ROOT = resolve(__dirname, "../..");
let chain: Chain, cp: ControlPlane, node: Node, proxy: RpcProxy;
let running: BundleProcess | undefined;

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
  if (running?.child.exitCode === null) running.child.kill("SIGKILL");
  running = undefined;
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

function startBundle(extraEnv: Record<string, string> = {}): BundleProcess {
  running = spawnBundle(node.dir, { STAKER_CONFIG_PATH: join(node.dir, "agent.json"), ...extraEnv });
  return running;
}

test("over https the agent reads its stake, opens the checkpoint stream and registers", async () => {
  assert.match(proxy.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const { apiPort } = startBundle({ NODE_EXTRA_CA_CERTS: caFile });
  const port = await apiPort();
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
  const { lines, apiPort } = startBundle();
  await apiPort();
  const refusal = await waitFor("the TLS refusal in the log", () => lines.find((l) => l.includes("start-up check failed")), 15_000);
  assert.match(refusal, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/, refusal);
  assert.equal(readFileSync(node.k3sState, "utf8").includes("pid="), false);
});

test("a private CA given in the config (sui.caCertificates) is trusted besides the public ones", async () => {
  writeFileSync(node.k3sState, "");
  writeConfig({ caCertificates: caPem });
  const { lines, apiPort } = startBundle();
  const port = await apiPort();
  await waitFor("registered over TLS with the configured CA", async () => (await getJson(`http://127.0.0.1:${port}/health`)).body.registered);
  assert.equal(lines.some((l) => l.includes("UNABLE_TO_VERIFY")), false);
});
