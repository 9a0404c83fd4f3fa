// A control-plane reply counts only for the request it answers (reply format v2): its signature
// covers its status code and the request's method, path, node id, signature and nonce, and the
// control plane signs only replies to requests it authenticated. Here someone on the path between
// an agent and the control plane (a proxy) swaps the agent's heartbeat replies for signed replies
// the control plane gave to other requests: another path, another node, another nonce, another
// status (a "superseded" obtained for the attacker's own node), a rewritten status, and a
// downgrade to the old format. The agent counts none of them and keeps its node running.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { loadOrCreateIdentity } from "../../agent/src/identity";
import {
  H_NODE_ID, H_NONCE, H_REPLY_SIGNATURE, H_REPLY_TIMESTAMP, H_REPLY_VERSION, H_SIGNATURE, H_TIMESTAMP, H_WANT_REPLY_VERSION,
  PATH_DEREGISTER, PATH_HEARTBEAT, PATH_REGISTER, PATH_WORKERS,
  publicKeyToBase64, replySigningString, replySigningStringV2, requestSigningString, signString, verifyString,
} from "../../agent/src/protocol";
import { runAgent, stakeNode, startChain, startCp, waitFor, type Chain, type Node, type Started } from "./helpers";

let chain: Chain, cp: ControlPlane, victim: Node, attacker: Node, agent: Started, proxy: Server;
/** The attacker's node moved to a second worker key (key2, token2); key1 is superseded. */
let key1: (s: string) => string, key2: KeyObject, token2: string;

type Mode = "pass" | "workers" | "register" | "other-node" | "superseded" | "stale" | "status" | "downgrade";
let mode: Mode = "pass";
let swapped = 0;
interface Reply { status: number; headers: Record<string, string>; text: string }
let lastGenuine: Reply | undefined;

// ---- requests to the control plane, as a client or an attacker makes them ---------------------

interface Signed { path: string; nodeId: string; sign: (s: string) => string; body: Record<string, unknown>; nonce?: string; headers?: Record<string, string> }

function signedInit(o: Signed): { init: RequestInit; nonce: string; signature: string } {
  const body = JSON.stringify(o.body);
  const ts = String(Date.now());
  const nonce = o.nonce ?? randomBytes(16).toString("hex");
  const signature = o.sign(requestSigningString("POST", o.path, ts, nonce, body));
  return {
    nonce, signature,
    init: {
      method: "POST", body,
      headers: { "content-type": "application/json", [H_NODE_ID]: o.nodeId, [H_TIMESTAMP]: ts, [H_NONCE]: nonce, [H_SIGNATURE]: signature, ...o.headers },
    },
  };
}

async function capture(res: Response): Promise<Reply> {
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => { if (k.startsWith("x-nautilus-") || k === "content-type") headers[k] = v; });
  return { status: res.status, headers, text: await res.text() };
}

async function send(o: Signed): Promise<Reply & { nonce: string; signature: string }> {
  const { init, nonce, signature } = signedInit(o);
  return { ...(await capture(await fetch(cp.url + o.path, init))), nonce, signature };
}

const attackerRegister = (sign: (s: string) => string, token: string, pub: string) => ({
  node_id: attacker.nodeId, seal_token_id: token, stake_object_id: attacker.stakeId, worker_pubkey: pub,
  timestamp: Math.floor(Date.now() / 1000), agent_version: "attacker",
});
const attackerBeat = (token: string) => ({
  node_id: attacker.nodeId, seal_token_id: token, stake_object_id: attacker.stakeId, timestamp: Math.floor(Date.now() / 1000),
});
const sign2 = (s: string) => signString(key2, s);

// ---- the proxy on the path --------------------------------------------------------------------

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function forward(req: IncomingMessage, body: string, drop: string[] = []): Promise<Reply> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === "string" && !["host", "connection", "content-length", "transfer-encoding", "keep-alive", ...drop].includes(k)) headers[k] = v;
  }
  return capture(await fetch(cp.url + req.url, { method: req.method, headers, body }));
}

/** A reply the control plane signed for another request that carried the agent's nonce. */
async function swap(req: IncomingMessage, body: string): Promise<Reply> {
  const nonce = req.headers[H_NONCE] as string;
  const want = req.headers[H_WANT_REPLY_VERSION];
  const version: Record<string, string> = typeof want === "string" ? { [H_WANT_REPLY_VERSION]: want } : {};
  switch (mode) {
    case "workers": // unauthenticated GET, any nonce: signed by the old control plane
      return capture(await fetch(cp.url + PATH_WORKERS, { headers: { [H_NONCE]: nonce, [H_NODE_ID]: victim.nodeId, ...version } }));
    case "register": // the attacker's own registration (another path, another node), the agent's nonce
      return send({ path: PATH_REGISTER, nodeId: attacker.nodeId, sign: sign2, body: attackerRegister(sign2, token2, publicKeyToBase64(key2)), nonce, headers: version });
    case "other-node": // the attacker's own heartbeat (same path, another node), the agent's nonce
      return send({ path: PATH_HEARTBEAT, nodeId: attacker.nodeId, sign: sign2, body: attackerBeat(token2), nonce, headers: version });
    case "superseded": // a signed 409 superseded for the attacker's node, the agent's nonce
      return send({ path: PATH_HEARTBEAT, nodeId: attacker.nodeId, sign: key1, body: attackerBeat(attacker.sealTokenId), nonce, headers: version });
    case "stale": // the agent's own earlier heartbeat reply (another nonce)
      return lastGenuine!;
    case "status": { // the genuine reply, its status rewritten
      const r = await forward(req, body);
      return { ...r, status: r.status === 200 ? 202 : 200 };
    }
    case "downgrade": // the genuine reply, asked for in the old format
      return forward(req, body, [H_WANT_REPLY_VERSION]);
    default:
      throw new Error(mode);
  }
}

before(async () => {
  chain = await startChain();
  cp = await startCp(chain);
  attacker = await stakeNode(chain, "worker-attacker");
  const id1 = loadOrCreateIdentity(attacker.cfg.paths.workerKey);
  key1 = (s) => id1.sign(s);
  key2 = generateKeyPairSync("ed25519").privateKey;
  ({ sealTokenId: token2 } = await attacker.staker.mintSealToken({ stakeId: attacker.stakeId, workerPubkey: publicKeyToBase64(key2) }));

  proxy = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      let r: Reply;
      if (mode === "pass" || req.url !== PATH_HEARTBEAT) {
        r = await forward(req, body);
        if (req.url === PATH_HEARTBEAT && r.status === 200) lastGenuine = r;
      } else {
        r = await swap(req, body);
        swapped += 1;
      }
      res.writeHead(r.status, r.headers).end(r.text);
    })().catch((err: unknown) => res.writeHead(599).end(String(err)));
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  victim = await stakeNode(chain, "worker-victim", {
    controlPlane: { endpoint: proxyUrl, requestTimeoutMs: 2_000 },
    // Failures must not restart k3s here: the test watches the same node through every attack.
    heartbeat: { intervalMs: 200, jitter: 0.1, maxBackoffMs: 800, stakeWatchIntervalMs: 250, restartAfterFailures: 1_000 },
  });
  agent = await runAgent(victim);
});

after(async () => {
  await agent?.stop();
  proxy?.closeAllConnections();
  proxy?.close();
  await cp?.close();
  await chain?.close();
  victim?.cleanup();
  attacker?.cleanup();
});

// ---- the control plane: what it signs -----------------------------------------------------------

const V2 = { [H_WANT_REPLY_VERSION]: "2" };

test("control plane: the attacker's node registers from its second key; the first key is superseded", async () => {
  const reg = await send({ path: PATH_REGISTER, nodeId: attacker.nodeId, sign: sign2, body: attackerRegister(sign2, token2, publicKeyToBase64(key2)), headers: V2 });
  assert.equal(reg.status, 200, reg.text);
  // v2: signed over status, method, path, node id, the request's signature and nonce, then the
  // reply's timestamp and body.
  assert.equal(reg.headers[H_REPLY_VERSION], "2");
  const ts = reg.headers[H_REPLY_TIMESTAMP]!, sig = reg.headers[H_REPLY_SIGNATURE]!;
  const bound = { status: 200, method: "POST", path: PATH_REGISTER, nodeId: attacker.nodeId, nonce: reg.nonce, requestSignature: reg.signature };
  assert.ok(verifyString(cp.publicKey, replySigningStringV2(bound, ts, reg.text), sig));
  for (const other of [{ status: 409 }, { path: PATH_HEARTBEAT }, { method: "GET" }, { nodeId: victim.nodeId }, { nonce: "0".repeat(32) }, { requestSignature: "x" + reg.signature }]) {
    assert.ok(!verifyString(cp.publicKey, replySigningStringV2({ ...bound, ...other }, ts, reg.text), sig), `not valid with ${JSON.stringify(other)}`);
  }
  assert.ok(!verifyString(cp.publicKey, replySigningString(reg.nonce, ts, reg.text), sig), "not a v1 signature");

  // A refusal after authentication is signed too, with its status: a 409 superseded.
  const stale = await send({ path: PATH_HEARTBEAT, nodeId: attacker.nodeId, sign: key1, body: attackerBeat(attacker.sealTokenId), headers: V2 });
  assert.equal(stale.status, 409, stale.text);
  assert.equal(JSON.parse(stale.text).code, "superseded");
  const b409 = { status: 409, method: "POST", path: PATH_HEARTBEAT, nodeId: attacker.nodeId, nonce: stale.nonce, requestSignature: stale.signature };
  assert.ok(verifyString(cp.publicKey, replySigningStringV2(b409, stale.headers[H_REPLY_TIMESTAMP]!, stale.text), stale.headers[H_REPLY_SIGNATURE]!));
});

test("control plane: unauthenticated requests, replays and GET /api/v1/workers get unsigned replies, in either format", async () => {
  const unsigned = (r: Reply, what: string) => {
    assert.equal(r.headers[H_REPLY_SIGNATURE], undefined, `${what}: no signature`);
    assert.equal(r.headers[H_REPLY_TIMESTAMP], undefined, `${what}: no reply timestamp`);
  };
  for (const version of [V2, {}] as Record<string, string>[]) {
    const label = (s: string) => `${s} (${version[H_WANT_REPLY_VERSION] ? "v2" : "v1"})`;
    const nonce = randomBytes(16).toString("hex");
    const workers = await capture(await fetch(cp.url + PATH_WORKERS, { headers: { [H_NONCE]: nonce, [H_NODE_ID]: victim.nodeId, ...version } }));
    assert.equal(workers.status, 200);
    unsigned(workers, label("GET /api/v1/workers"));

    const noSig = signedInit({ path: PATH_HEARTBEAT, nodeId: attacker.nodeId, sign: () => "", body: attackerBeat(token2), headers: version });
    delete (noSig.init.headers as Record<string, string>)[H_SIGNATURE];
    const r1 = await capture(await fetch(cp.url + PATH_HEARTBEAT, noSig.init));
    assert.equal(r1.status, 401);
    unsigned(r1, label("an unsigned request"));

    const stranger = generateKeyPairSync("ed25519").privateKey;
    const r2 = await send({ path: PATH_HEARTBEAT, nodeId: attacker.nodeId, sign: (s) => signString(stranger, s), body: attackerBeat(token2), headers: version });
    assert.equal(r2.status, 401);
    unsigned(r2, label("a request signed by another key"));

    const old = signedInit({ path: PATH_DEREGISTER, nodeId: attacker.nodeId, sign: sign2, body: attackerBeat(token2), headers: version });
    (old.init.headers as Record<string, string>)[H_TIMESTAMP] = String(Date.now() - 10 * 60_000);
    const r3 = await capture(await fetch(cp.url + PATH_DEREGISTER, old.init));
    assert.equal(r3.status, 401);
    unsigned(r3, label("a stale request"));

    const beat = signedInit({ path: PATH_HEARTBEAT, nodeId: attacker.nodeId, sign: sign2, body: attackerBeat(token2), headers: version });
    const first = await capture(await fetch(cp.url + PATH_HEARTBEAT, beat.init));
    assert.equal(first.status, 200, first.text);
    assert.ok(first.headers[H_REPLY_SIGNATURE], label("the first copy's reply is signed"));
    const replayed = await capture(await fetch(cp.url + PATH_HEARTBEAT, beat.init));
    assert.equal(replayed.status, 409);
    assert.equal(JSON.parse(replayed.text).code, "replay");
    unsigned(replayed, label("a replayed request"));

    const lost = await capture(await fetch(cp.url + "/api/v1/nope", { method: "POST", headers: { [H_NONCE]: nonce, ...version }, body: "{}" }));
    assert.equal(lost.status, 404);
    unsigned(lost, label("an unknown path"));
  }
  const bad = await capture(await fetch(cp.url + PATH_WORKERS, { headers: { [H_WANT_REPLY_VERSION]: "two" } }));
  assert.equal(bad.status, 400);
  unsigned(bad, "a malformed reply version");
});

test("control plane: an old-style client (no reply-version header) still gets the v1 format", async () => {
  const reg = await send({ path: PATH_REGISTER, nodeId: attacker.nodeId, sign: sign2, body: attackerRegister(sign2, token2, publicKeyToBase64(key2)) });
  assert.equal(reg.status, 200, reg.text);
  assert.equal(reg.headers[H_REPLY_VERSION], undefined);
  assert.ok(verifyString(cp.publicKey, replySigningString(reg.nonce, reg.headers[H_REPLY_TIMESTAMP]!, reg.text), reg.headers[H_REPLY_SIGNATURE]!));
  // A client asking for a later version than the control plane speaks gets v2, labelled.
  const later = await send({ path: PATH_REGISTER, nodeId: attacker.nodeId, sign: sign2, body: attackerRegister(sign2, token2, publicKeyToBase64(key2)), headers: { [H_WANT_REPLY_VERSION]: "7" } });
  assert.equal(later.status, 200, later.text);
  assert.equal(later.headers[H_REPLY_VERSION], "2");
});

// ---- the agent: swapped replies count for nothing -----------------------------------------------

const victimBeats = () => cp.workers().find((w) => w.node_id === victim.nodeId)?.heartbeats ?? 0;

async function healthyAgain(): Promise<void> {
  mode = "pass";
  await waitFor("heartbeats through the proxy", () => agent.agent.status.consecutiveFailures === 0 && agent.agent.status.lastHeartbeatAt !== null && lastGenuine !== undefined, 20_000);
}

const attacks: { mode: Mode; what: string; error: RegExp; cpSeesBeats: boolean }[] = [
  { mode: "workers", what: "a signed 200 to GET /api/v1/workers carrying the agent's nonce (another path, unauthenticated)", error: /not signed by the registered control-plane key/, cpSeesBeats: false },
  { mode: "register", what: "a signed 200 to the attacker's registration carrying the agent's nonce (another path, another node)", error: /not signed by the registered control-plane key/, cpSeesBeats: false },
  { mode: "other-node", what: "a signed 200 to the attacker's heartbeat carrying the agent's nonce (another node)", error: /not signed by the registered control-plane key/, cpSeesBeats: false },
  { mode: "superseded", what: "a signed 409 superseded for the attacker's node carrying the agent's nonce (another status)", error: /not signed by the registered control-plane key/, cpSeesBeats: false },
  { mode: "stale", what: "the agent's own earlier signed 200 (another nonce)", error: /not signed by the registered control-plane key/, cpSeesBeats: false },
  { mode: "status", what: "the genuine reply with its status rewritten", error: /not signed by the registered control-plane key/, cpSeesBeats: true },
  { mode: "downgrade", what: "the genuine reply in the old format (reply-version header stripped)", error: /reply format v1/, cpSeesBeats: true },
];

for (const a of attacks) {
  test(`agent: refuses ${a.what}`, async () => {
    await healthyAgain();
    const beatsBefore = victimBeats();
    const lastBeat = agent.agent.status.lastHeartbeatAt;
    swapped = 0;
    mode = a.mode;
    // Four swapped replies: the first three have been answered and judged by then.
    await waitFor("swapped replies", () => swapped >= 4 || agent.agent.status.phase !== "running", 20_000);
    const s = agent.agent.status;
    assert.equal(s.phase, "running", `the node keeps running (reason: ${s.reason})`);
    assert.ok(await agent.k3s.isRunning(), "k3s keeps running");
    assert.equal(s.lastHeartbeatAt, lastBeat, "no swapped reply counted as a heartbeat");
    assert.ok(s.consecutiveFailures >= 3, `every swapped reply is a failed beat (${s.consecutiveFailures})`);
    assert.match(s.lastHeartbeatError ?? "", a.error);
    if (!a.cpSeesBeats) assert.equal(victimBeats(), beatsBefore, "the control plane never saw those beats");
    await healthyAgain();
  });
}
