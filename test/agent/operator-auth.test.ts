// The agent's POSTs take no reusable secret: each is signed by an operator key from the agent's
// config over method, path, node id, timestamp, nonce and body. A request captured on the wire
// is refused when replayed, and cannot be bent to another path, body or node; an unsigned request
// or one signed by a key the node does not know is refused. Driven against a running agent, and
// through the operator CLI (`node agent.js operator-request`) as an operator would.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { ControlPlane } from "../../devnet/control-plane";
import { OperatorAuth } from "../../agent/src/api/operator-auth";
import { loadOrCreateIdentity } from "../../agent/src/identity";
import { signRequest } from "../../agent/src/operator-cli";
import { H_TIMESTAMP } from "../../agent/src/protocol";
import { getJson, signedPost, startStakedAgent, stopStakedAgent, waitFor, type Chain, type Node, type Started } from "./helpers";

const execFileP = promisify(execFile);
const MAIN = resolve(__dirname, "../../agent/src/main.ts");

let chain: Chain, cp: ControlPlane, node: Node, agent: Started;

before(async () => {
  ({ chain, cp, node, agent } = await startStakedAgent("worker-operator"));
  // Register answers 409 until the node runs: start from a running, registered node.
  await waitFor("node running and registered", async () => (await getJson(agent.base + "/readyz")).status === 200);
});
after(() => stopStakedAgent({ agent, cp, chain, node }));

/** Send a prepared (captured) request as it is: same headers, same body. */
async function send(req: ReturnType<typeof signRequest>, target = req.url.toString()) {
  return getJson(target, req.init);
}

test("a signed POST is obeyed once; the same request captured and replayed is refused", async () => {
  const captured = signRequest(node.operatorKey, node.nodeId, new URL("/api/v1/register", agent.base), "{}");
  const first = await send(captured);
  assert.equal(first.status, 200, first.text);
  const replay = await send(captured);
  assert.equal(replay.status, 401);
  assert.match(replay.body.error, /replayed request/);
  assert.equal(replay.body.status, undefined, "no handler ran");
});

test("an unsigned POST is refused, naming what is missing", async () => {
  for (const path of ["/api/v1/register", "/api/v1/unstake"]) {
    const r = await getJson(agent.base + path, { method: "POST", body: "{}" });
    assert.equal(r.status, 401);
    assert.match(r.body.error, /unsigned request: missing headers x-k3s-operator-key, x-k3s-timestamp, x-k3s-nonce, x-k3s-signature/);
  }
  // The old scheme's bearer header is no credential at all now.
  const bearer = await getJson(agent.base + "/api/v1/unstake", { method: "POST", headers: { authorization: "Bearer anything" } });
  assert.equal(bearer.status, 401);
  assert.equal((await getJson(agent.base + "/health")).body.status, "healthy", "nothing was unstaked");
});

test("a POST signed by a key the node does not know, or forged under a known key, is refused", async () => {
  const strangerKey = join(node.dir, "stranger.key");
  const stranger = loadOrCreateIdentity(strangerKey).publicKey;
  const wrongKey = await send(signRequest(strangerKey, node.nodeId, new URL("/api/v1/unstake", agent.base), "{}"));
  assert.equal(wrongKey.status, 401);
  assert.match(wrongKey.body.error, new RegExp(`operator key ${stranger.replace(/[+/]/g, "\\$&")} is not authorised`));

  // Signed by the stranger but claiming the operator's public key.
  const forged = signRequest(strangerKey, node.nodeId, new URL("/api/v1/unstake", agent.base), "{}");
  forged.init.headers["x-k3s-operator-key"] = node.operatorPubkey;
  const r = await send(forged);
  assert.equal(r.status, 401);
  assert.match(r.body.error, /signature does not verify/);
  assert.equal((await getJson(agent.base + "/health")).body.status, "healthy", "nothing was unstaked");
});

test("a captured request cannot be bent to another path, body or node", async () => {
  const forRegister = signRequest(node.operatorKey, node.nodeId, new URL("/api/v1/register", agent.base), "{}");
  const otherPath = await send(forRegister, agent.base + "/api/v1/unstake");
  assert.equal(otherPath.status, 401);
  assert.match(otherPath.body.error, /signature does not verify/);

  const tampered = signRequest(node.operatorKey, node.nodeId, new URL("/api/v1/register", agent.base), "{}");
  const r = await getJson(tampered.url.toString(), { ...tampered.init, body: '{"x":1}' });
  assert.equal(r.status, 401);

  const forOtherNode = await send(signRequest(node.operatorKey, "worker-other", new URL("/api/v1/unstake", agent.base), "{}"));
  assert.equal(forOtherNode.status, 401);
  assert.match(forOtherNode.body.error, /signature does not verify .*node worker-operator/);
});

test("a request from outside the timestamp window, or from before the agent started, is refused", async () => {
  const old = signRequest(node.operatorKey, node.nodeId, new URL("/api/v1/register", agent.base), "{}", Date.now() - 120_000);
  const r = await send(old);
  assert.equal(r.status, 401);
  assert.match(r.body.error, /window ±60 s/);
  const future = await send(signRequest(node.operatorKey, node.nodeId, new URL("/api/v1/register", agent.base), "{}", Date.now() + 120_000));
  assert.equal(future.status, 401);
  const badTs = signRequest(node.operatorKey, node.nodeId, new URL("/api/v1/register", agent.base), "{}");
  badTs.init.headers[H_TIMESTAMP] = "yesterday";
  assert.match((await send(badTs)).body.error, /must be Unix milliseconds/);

  // Unit level: a nonce cache does not outlive a restart, so a request older than the process is refused.
  let now = 1_000_000;
  const auth = new OperatorAuth({ nodeId: node.nodeId, keys: [node.operatorPubkey], now: () => now });
  const before = signRequest(node.operatorKey, node.nodeId, new URL("http://agent/api/v1/unstake"), "{}", now - 5_000);
  const headers = Object.fromEntries(Object.entries(before.init.headers).map(([k, v]) => [k.toLowerCase(), v]));
  assert.throws(() => auth.verify("POST", "/api/v1/unstake", headers, "{}"), /signed before this agent started/);
  now += 10_000;
  const fresh = signRequest(node.operatorKey, node.nodeId, new URL("http://agent/api/v1/unstake"), "{}", now);
  const fh = Object.fromEntries(Object.entries(fresh.init.headers).map(([k, v]) => [k.toLowerCase(), v]));
  assert.equal(auth.verify("POST", "/api/v1/unstake", fh, "{}"), node.operatorPubkey);
  assert.throws(() => auth.verify("POST", "/api/v1/unstake", fh, "{}"), /replayed request/);
});

test("a node with no operator key refuses every POST with 403", () => {
  const auth = new OperatorAuth({ nodeId: node.nodeId, keys: [] });
  const req = signRequest(node.operatorKey, node.nodeId, new URL("http://agent/api/v1/unstake"), "{}");
  const headers = Object.fromEntries(Object.entries(req.init.headers).map(([k, v]) => [k.toLowerCase(), v]));
  assert.throws(() => auth.verify("POST", "/api/v1/unstake", headers, "{}"), (e: { status: number; message: string }) => e.status === 403 && /no operator key is configured/.test(e.message));
});

test("the operator CLI signs a request the agent obeys, and refuses to run without --node", async () => {
  const env = { ...process.env, NODE_OPTIONS: "" };
  const ok = await execFileP(process.execPath, ["--import", "tsx", MAIN, "operator-request", "--key", node.operatorKey, "--node", node.nodeId, agent.base + "/api/v1/register"], { env });
  assert.match(ok.stdout, /^HTTP 200\n\{"status":"registered"\}/);
  const noNode = await execFileP(process.execPath, ["--import", "tsx", MAIN, "operator-request", "--key", node.operatorKey, agent.base + "/api/v1/register"], { env }).catch((e: { code: number; stderr: string }) => e);
  assert.equal((noNode as { code: number }).code, 2);
  assert.match((noNode as { stderr: string }).stderr, /--node NODE_ID is required/);
  // operator-keygen prints the public half (what goes into api.operatorKeys), never the key.
  const kg = await execFileP(process.execPath, ["--import", "tsx", MAIN, "operator-keygen", "--key", node.operatorKey], { env });
  assert.equal(kg.stdout.trim(), node.operatorPubkey);
  // The unstake through the CLI path works too (and the agent leaves).
  const unstake = await signedPost(agent.base, node, "/api/v1/unstake");
  assert.equal(unstake.status, 202);
});
