// The agent trusts no single RPC node with the power to stop it. A TEST STAND-IN for a lying
// RPC node (a reader that rewrites what the real devnet says: the stake's status, the registry's
// endpoint and key) is the agent's main source; the confirm sources are real devnet endpoints,
// configured as an operator would (sui.confirmSources). Shown:
// - a main node that fakes a slash cannot stop k3s when the confirm sources disagree, and the
//   disagreement is counted on /metrics; a real slash, which every source sees, still stops it;
// - a main node that hides a slash is caught by the confirm sources' cross-check;
// - a main node that points the registry at an attacker's control plane (which signs a
//   `superseded` for every request) stops an unpinned agent, and cannot stop a pinned one.
import assert from "node:assert/strict";
import { generateKeyPairSync, createPublicKey } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { markAuthenticated, sendReply } from "../../devnet/control-plane/http";
import type { StakeReader, StakeStatus, StakeView } from "../../agent/src/chain";
import { createSuiStakeReader } from "../../agent/src/chain-sui";
import { agentConfigSchema, readConfig, type AgentConfigInput } from "../../agent/src/config";
import { createLogger } from "../../agent/src/log";
import { H_NODE_ID, H_NONCE, H_SIGNATURE, SUPERSEDED, publicKeyToBase64 } from "../../agent/src/protocol";
import { startAgent } from "../../agent/src/run";
import { getJson, processAlive, slash, stakeNode, startChain, startCp, waitFor, type Chain, type Node, type Started } from "./helpers";
import { startRpcProxy, type RpcProxy } from "./rpc-proxy";
import type { ProcessK3s } from "../../agent/src/k3s-service";

/** What the lying node says instead of the truth; unset fields pass through. */
interface Lies {
  stakeStatus?: StakeStatus;
  registry?: { endpoint: string; enclavePubkey: string };
}

/** TEST STAND-IN: the real devnet reader, with the answers `lies` names rewritten. */
function lyingReader(real: StakeReader, lies: Lies): StakeReader {
  const stake = (s: StakeView | null): StakeView | null => (s && lies.stakeStatus ? { ...s, status: lies.stakeStatus } : s);
  return {
    get packageId() {
      return real.packageId;
    },
    bindPackage: (id) => real.bindPackage?.(id),
    readStake: async (id) => stake(await real.readStake(id)),
    readSealToken: (id) => real.readSealToken(id),
    readRegistry: async (id) => lies.registry ?? (await real.readRegistry(id)),
    currentEpoch: () => real.currentEpoch(),
    epochInfo: () => real.epochInfo(),
    readWorker: async (ids) => {
      const w = await real.readWorker(ids);
      return { ...w, stake: stake(w.stake), registry: lies.registry ?? w.registry };
    },
    watch: real.watch ? (ids, h) => real.watch!(ids, h) : undefined,
  };
}

let chain: Chain, cp: ControlPlane, proxy: RpcProxy;
const nodes: Node[] = [];
const agents: Started[] = [];
const servers: Server[] = [];

before(async () => {
  chain = await startChain();
  cp = await startCp(chain);
  // A second, independent endpoint onto the same chain: another origin, as another provider is.
  proxy = await startRpcProxy(chain.url);
});
after(async () => {
  for (const a of agents) await a.stop();
  for (const s of servers) await new Promise((r) => { s.closeAllConnections(); s.close(r); });
  await proxy?.close();
  await cp?.close();
  await chain?.close();
  for (const n of nodes) n.cleanup();
});

async function run(nodeId: string, lies: Lies, overrides: (n: Node) => Partial<AgentConfigInput>): Promise<{ node: Node; agent: Started }> {
  const node = await stakeNode(chain, nodeId);
  nodes.push(node);
  const cfg = agentConfigSchema.parse({
    ...node.cfgInput,
    // The cross-check and the main node's safety re-read every 300 ms, so a lie is read often.
    heartbeat: { intervalMs: 200, jitter: 0.1, maxBackoffMs: 800, stakeWatchIntervalMs: 250, stakeRereadIntervalMs: 300 },
    ...overrides(node),
  });
  const lines: string[] = [];
  const real = createSuiStakeReader(chain.url, { packageId: chain.ids.packageId });
  const r = await startAgent(cfg, { log: createLogger("debug", (l) => void lines.push(l)), chain: lyingReader(real, lies) });
  const agent = Object.assign(r, { lines, base: `http://127.0.0.1:${r.port}` });
  agents.push(agent);
  return { node, agent };
}

const sui = (node: Node, extra: Record<string, unknown>) => ({ sui: { ...(node.cfgInput.sui as object), ...extra } as AgentConfigInput["sui"] });
const registered = (node: Node) => cp.workers().some((w) => w.node_id === node.nodeId && w.heartbeats >= 1);
const k3sPid = (a: Started) => (a.k3s as ProcessK3s).pid!;

test("a main RPC node that fakes a slash cannot stop k3s while the confirm source disagrees; a real slash still stops it", async () => {
  const lies: Lies = {};
  const { node, agent } = await run("worker-liar-slash", lies, (n) => sui(n, { confirmSources: [{ rpcUrl: proxy.url }] }));
  await waitFor("running and beating", () => agent.agent.status.phase === "running" && registered(node));
  const pid = k3sPid(agent);

  lies.stakeStatus = "slashed"; // from now on the main node says the stake was slashed
  await waitFor("the sources disagreed", () => agent.agent.stakeDisagreements >= 2, 10_000);
  assert.ok(processAlive(pid), "k3s still runs: one source alone cannot stop it");
  assert.equal(agent.agent.status.phase, "running");
  assert.deepEqual(agent.agent.lastStakeTally, { inactive: 1, sources: 2, quorum: 2, answers: { rpcUrl: "slashed", [new URL(proxy.url).origin]: "active" } });
  assert.ok(agent.lines.some((l) => /only 1 of 2 source\(s\) read it so \(quorum 2\); not stopping/.test(l)), "the log says why it did not stop");
  const metrics = (await getJson(`${agent.base}/metrics`)).text;
  assert.match(metrics, /^k3s_daas_stake_source_disagreements_total(\{[^}]*\})? [1-9]\d*$/m);
  assert.match(metrics, /^k3s_daas_stake_sources(\{[^}]*\})? 2$/m);
  assert.match(metrics, /^k3s_daas_stake_quorum(\{[^}]*\})? 2$/m);

  await slash(chain, node.stakeId, 1_000_000_000n); // now true on every source
  await waitFor("k3s stopped", () => !processAlive(pid), 10_000);
  assert.equal(agent.agent.status.phase, "stopped");
  assert.match(agent.agent.status.reason ?? "", /slashed/);
});

test("a main RPC node that hides a slash is caught by the confirm sources' cross-check (2 of 3)", async () => {
  const lies: Lies = {};
  const { node, agent } = await run("worker-liar-hides", lies, (n) => sui(n, { confirmSources: [{ rpcUrl: proxy.url }, { rpcUrl: chain.url.replace("127.0.0.1", "localhost") }] }));
  await waitFor("running and beating", () => agent.agent.status.phase === "running" && registered(node));
  assert.deepEqual(agent.agent.stakeQuorum, { sources: 3, quorum: 2 });
  const pid = k3sPid(agent);

  lies.stakeStatus = "active"; // whatever happens, the main node says active
  await slash(chain, node.stakeId, 1_000_000_000n);
  await waitFor("k3s stopped", () => !processAlive(pid), 10_000);
  assert.equal(agent.agent.status.phase, "stopped");
  assert.equal(agent.agent.lastStakeTally?.inactive, 2);
  assert.equal(agent.agent.lastStakeTally?.answers.rpcUrl, "active");
});

/** An attacker's control plane: answers every request with a correctly signed `409 superseded`. */
async function attackerControlPlane(): Promise<{ url: string; publicKey: string; requests: () => number }> {
  const { privateKey } = generateKeyPairSync("ed25519");
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    const h = (n: string) => String(req.headers[n] ?? "");
    markAuthenticated(req, { nodeId: h(H_NODE_ID), method: req.method ?? "", path: new URL(req.url ?? "/", "http://x").pathname, nonce: h(H_NONCE), signature: h(H_SIGNATURE) });
    req.resume();
    req.on("end", () => sendReply(privateKey, req, res, 409, { error: "node is registered from another host", code: SUPERSEDED }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, publicKey: publicKeyToBase64(createPublicKey(privateKey)), requests: () => requests };
}

test("a main RPC node that names an attacker's control plane stops an unpinned agent, and not a pinned one", async () => {
  const evil = await attackerControlPlane();

  // Unpinned (the registry's key is trusted): the attacker's signed `superseded` takes it down.
  const lying: Lies = {};
  const a = await run("worker-liar-unpinned", lying, () => ({}));
  await waitFor("running", () => a.agent.agent.status.phase === "running" && registered(a.node));
  const aPid = k3sPid(a.agent);
  lying.registry = { endpoint: evil.url, enclavePubkey: evil.publicKey };
  await waitFor("the unpinned agent stepped down", () => a.agent.agent.status.phase === "stopped", 10_000);
  await waitFor("its k3s stopped", () => !processAlive(aPid));

  // Pinned to the real control plane's key (controlPlane.publicKey, from the stack): it never
  // talks to the attacker, and k3s runs on.
  const lies: Lies = {};
  const { node: bNode, agent: b } = await run("worker-liar-pinned", lies, () => ({ controlPlane: { requestTimeoutMs: 2_000, publicKey: cp.publicKey } }));
  await waitFor("running", () => b.agent.status.phase === "running" && registered(bNode));
  const before = evil.requests();
  lies.registry = { endpoint: evil.url, enclavePubkey: evil.publicKey };
  await waitFor("heartbeats refused by the pin", () => b.agent.status.consecutiveFailures >= 3, 10_000);
  assert.equal(evil.requests(), before, "the pinned agent sent the attacker nothing");
  assert.match(b.agent.status.lastHeartbeatError ?? "", /names control-plane key .* but this agent is pinned to .*controlPlane\.publicKey/);
  assert.equal(b.agent.status.phase, "running");
  // (Failed beats restart k3s once per streak, as for any control-plane outage; it is never stopped.)
  assert.ok(await b.k3s.isRunning(), "k3s runs on");

  // The lie ends: the pinned agent beats to the real control plane again.
  delete lies.registry;
  await waitFor("beating again", () => b.agent.status.consecutiveFailures === 0, 10_000);
});

test("the confirm sources are checked: a quorum larger than the sources, a repeated node, credentials in a URL", () => {
  const base = {
    nodeId: "worker-x", stakeId: "0x1", sealTokenId: "0x2",
    sui: { rpcUrl: "https://rpc-a.example:443", packageId: "0x3", poolId: "0x4", registryId: "0x5" },
  };
  const parse = (sui: Record<string, unknown>) => () => readConfig({}, JSON.stringify({ ...base, sui: { ...base.sui, ...sui } }));
  assert.throws(parse({ confirmSources: [{ rpcUrl: "https://rpc-b.example" }], confirmQuorum: 3 }), /sui\.confirmQuorum": is 3, more than the 2 source\(s\)/);
  assert.throws(parse({ confirmSources: [{ rpcUrl: "https://rpc-a.example/other" }] }), /sui\.confirmSources\.0\.rpcUrl": names the same node as another source/);
  assert.throws(parse({ confirmSources: [{ rpcUrl: "https://rpc-b.example/?key=s3cr3t" }] }), (e: Error) => /sui\.confirmSources\.0\.rpcUrl": must not carry credentials/.test(e.message) && !e.message.includes("s3cr3t"));
  const ok = readConfig({}, JSON.stringify({ ...base, sui: { ...base.sui, confirmSources: [{ rpcUrl: "https://rpc-b.example", headersFile: "/etc/k3s-daas/b.json" }] }, controlPlane: { publicKey: "A".repeat(43) + "=" } }));
  assert.equal(ok.sui.confirmQuorum, undefined);
  assert.equal(ok.controlPlane.publicKey, "A".repeat(43) + "=");
});
