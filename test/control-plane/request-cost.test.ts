// Issue 23 (low): the control plane refuses malformed, unsigned, stale, mis-signed and replayed
// requests before they spend any chain read (counted by the devnet per client), and never forgets
// a nonce that could still be replayed: full of them, it refuses new requests (503, unsigned).
import assert from "node:assert/strict";
import { randomBytes, generateKeyPairSync } from "node:crypto";
import { after, before, test } from "node:test";
import { startControlPlane, type ControlPlane } from "../../devnet/control-plane";
import { NonceCache } from "../../devnet/control-plane/nonce-cache";
import type { Devnet } from "../../devnet/chain/server";
import { loadOrCreateIdentity } from "../../agent/src/identity";
import {
  H_NODE_ID, H_NONCE, H_REPLY_SIGNATURE, H_SIGNATURE, H_TIMESTAMP, PATH_HEARTBEAT, PATH_REGISTER, TIMESTAMP_WINDOW_MS,
  requestSigningString, signString,
} from "../../agent/src/protocol";
import { stakeNode, startChain, type Chain, type Node } from "../agent/helpers";

const CP_CLIENT = "k3s-daas-control-plane";
let chain: Chain, cp: ControlPlane, node: Node;

before(async () => {
  chain = await startChain();
  cp = await startControlPlane({
    host: "127.0.0.1", port: 0, chainUrl: chain.url, ids: chain.ids, adminSecretKey: chain.adminSecretKey, maxNonces: 4,
  });
  node = await stakeNode(chain, "worker-cost");
});

after(async () => {
  await cp?.close();
  await chain?.close();
  node?.cleanup();
});

const cpReads = () => Object.values((chain as unknown as Devnet).requestCounts()[CP_CLIENT] ?? {}).reduce((a, b) => a + b, 0);

function request(path: string, sign: (s: string) => string, opts: { ts?: number; nonce?: string; tokenId?: string } = {}) {
  const body = JSON.stringify({
    node_id: node.nodeId, seal_token_id: opts.tokenId ?? node.sealTokenId, stake_object_id: node.stakeId,
    worker_pubkey: node.workerPubkey, timestamp: Math.floor(Date.now() / 1000), agent_version: "test",
  });
  const ts = String(opts.ts ?? Date.now());
  const nonce = opts.nonce ?? randomBytes(16).toString("hex");
  const headers: Record<string, string> = {
    "content-type": "application/json", [H_NODE_ID]: node.nodeId, [H_TIMESTAMP]: ts, [H_NONCE]: nonce,
    [H_SIGNATURE]: sign(requestSigningString("POST", path, ts, nonce, body)),
  };
  return { path, body, headers };
}

async function post(r: { path: string; body: string; headers: Record<string, string> }) {
  const res = await fetch(cp.url + r.path, { method: "POST", headers: r.headers, body: r.body });
  const text = await res.text();
  return { status: res.status, code: (JSON.parse(text) as { code?: string }).code, signed: res.headers.has(H_REPLY_SIGNATURE), text };
}

test("malformed, unsigned, stale, mis-signed and replayed requests cost no chain read; nonces are never evicted", async () => {
  const id = loadOrCreateIdentity(node.cfg.paths.workerKey);
  const stranger = generateKeyPairSync("ed25519").privateKey;

  // An authenticated registration: reads the chain (token, then epoch and stake) and uses one nonce.
  const good = request(PATH_REGISTER, (s) => id.sign(s));
  const before0 = cpReads();
  const ok = await post(good);
  assert.equal(ok.status, 200, ok.text);
  assert.ok(cpReads() > before0, "an authenticated request reads the chain");

  const base = cpReads();
  const refusals: Array<[string, ReturnType<typeof request>, number, string]> = [];
  const { [H_SIGNATURE]: _s, ...noSig } = request(PATH_HEARTBEAT, (s) => id.sign(s)).headers;
  refusals.push(["unsigned", { path: PATH_HEARTBEAT, body: "{}", headers: noSig }, 401, "unsigned"]);
  refusals.push(["stale", request(PATH_HEARTBEAT, (s) => id.sign(s), { ts: Date.now() - 2 * TIMESTAMP_WINDOW_MS }), 401, "stale_timestamp"]);
  refusals.push(["bad nonce", request(PATH_HEARTBEAT, (s) => id.sign(s), { nonce: "short" }), 400, "bad_nonce"]);
  refusals.push(["signature not base64", request(PATH_HEARTBEAT, () => "not-a-signature!"), 401, "bad_signature"]);
  refusals.push(["signature of the wrong length", request(PATH_HEARTBEAT, () => Buffer.alloc(32).toString("base64")), 401, "bad_signature"]);
  refusals.push(["replayed", good, 409, "replay"]);
  for (const [what, r, status, code] of refusals) {
    const res = await post(r);
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.equal(res.code, code, what);
    assert.equal(res.signed, false, `${what}: the refusal is not signed`);
  }
  assert.equal(cpReads(), base, `no chain read for requests refused before authentication: ${JSON.stringify((chain as unknown as Devnet).requestCounts()[CP_CLIENT])}`);

  // A well-formed request signed by a stranger for a token read lately: refused from the cached
  // token (its fields never change), again with no read.
  for (let i = 0; i < 3; i++) {
    const res = await post(request(PATH_HEARTBEAT, (s) => signString(stranger, s)));
    assert.equal(res.status, 401, res.text);
    assert.equal(res.code, "bad_signature");
  }
  assert.equal(cpReads(), base, "a bad signature on a token read lately costs no chain read");

  // The nonce cache holds 4: fill it with authenticated heartbeats, then a fifth is refused (503,
  // unsigned, no chain read) rather than evicting the first nonce, whose request stays a replay.
  for (let i = 0; i < 3; i++) {
    const r = await post(request(PATH_HEARTBEAT, (s) => id.sign(s)));
    assert.equal(r.status, 200, r.text);
  }
  const full = cpReads();
  const fifth = await post(request(PATH_HEARTBEAT, (s) => id.sign(s)));
  assert.equal(fifth.status, 503, fifth.text);
  assert.equal(fifth.code, "busy");
  assert.equal(fifth.signed, false);
  assert.equal(cpReads(), full, "a request refused as busy costs no chain read");
  const replay = await post(good);
  assert.equal(replay.status, 409, `the first request is still a replay after the flood: ${replay.text}`);
  assert.equal(replay.code, "replay");
});

test("NonceCache: full of unexpired nonces it refuses new ones instead of forgetting one; expired ones make room", () => {
  const c = new NonceCache(1000, 2);
  assert.equal(c.use("a", 0), "ok");
  assert.equal(c.use("b", 10), "ok");
  assert.equal(c.use("c", 20), "full");
  assert.equal(c.use("a", 30), "replay", "a is remembered while it could still be replayed");
  assert.equal(c.has("b", 40), true);
  assert.equal(c.use("c", 1001), "ok", "a expired at 1000: room for c");
  assert.equal(c.use("b", 1002), "replay");
});
