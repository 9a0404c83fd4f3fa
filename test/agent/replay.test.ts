// The control plane refuses unsigned, mis-signed, stale and replayed registrations, and signs
// its replies with the key the registry names on chain.
import assert from "node:assert/strict";
import { randomBytes, generateKeyPairSync } from "node:crypto";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { loadOrCreateIdentity } from "../../agent/src/identity";
import {
  H_NODE_ID, H_NONCE, H_REPLY_SIGNATURE, H_REPLY_TIMESTAMP, H_SIGNATURE, H_TIMESTAMP, PATH_REGISTER,
  replySigningString, requestSigningString, signString, verifyString,
} from "../../agent/src/protocol";
import { createSuiClient, readRegistry } from "../../src/sui";
import { stakeNode, startChain, startCp, type Chain, type Node } from "./helpers";

let chain: Chain, cp: ControlPlane, node: Node;

before(async () => {
  chain = await startChain();
  cp = await startCp(chain);
  node = await stakeNode(chain, "worker-replay");
});

after(async () => {
  await cp?.close();
  await chain?.close();
  node?.cleanup();
});

function registration(sign: (s: string) => string, opts: { ts?: number; nonce?: string } = {}) {
  const body = JSON.stringify({
    node_id: node.nodeId, seal_token_id: node.sealTokenId, stake_object_id: node.stakeId,
    worker_pubkey: node.workerPubkey, timestamp: Math.floor(Date.now() / 1000), agent_version: "test",
  });
  const ts = String(opts.ts ?? Date.now());
  const nonce = opts.nonce ?? randomBytes(16).toString("hex");
  const headers = {
    "content-type": "application/json", [H_NODE_ID]: node.nodeId, [H_TIMESTAMP]: ts, [H_NONCE]: nonce,
    [H_SIGNATURE]: sign(requestSigningString("POST", PATH_REGISTER, ts, nonce, body)),
  };
  return { body, headers, nonce };
}

async function post(req: { body: string; headers: Record<string, string> }) {
  const res = await fetch(cp.url + PATH_REGISTER, { method: "POST", headers: req.headers, body: req.body });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as { code?: string }, text, res };
}

test("a correctly signed registration is accepted with a reply signed by the registered key", async () => {
  const id = loadOrCreateIdentity(node.cfg.paths.workerKey);
  const req = registration((s) => id.sign(s));
  const r = await post(req);
  assert.equal(r.status, 200, r.text);
  const reg = await readRegistry(createSuiClient(chain.url), chain.ids.registryId, chain.ids.packageId);
  assert.equal(reg.enclavePubkey, cp.publicKey);
  const ts = r.res.headers.get(H_REPLY_TIMESTAMP)!;
  assert.ok(verifyString(reg.enclavePubkey, replySigningString(req.nonce, ts, r.text), r.res.headers.get(H_REPLY_SIGNATURE)!));
  // Bound to our nonce: the same signature does not verify for another request's nonce.
  assert.ok(!verifyString(reg.enclavePubkey, replySigningString("other-nonce-000000", ts, r.text), r.res.headers.get(H_REPLY_SIGNATURE)!));
});

test("the exact same request sent again is refused as a replay", async () => {
  const id = loadOrCreateIdentity(node.cfg.paths.workerKey);
  const req = registration((s) => id.sign(s));
  assert.equal((await post(req)).status, 200);
  const again = await post(req);
  assert.equal(again.status, 409);
  assert.equal(again.json.code, "replay");
});

test("unsigned, wrongly signed and stale registrations are refused", async () => {
  const id = loadOrCreateIdentity(node.cfg.paths.workerKey);
  const unsigned = registration(() => "");
  const { [H_SIGNATURE]: _sig, ...noSigHeaders } = unsigned.headers;
  const r1 = await post({ body: unsigned.body, headers: noSigHeaders });
  assert.equal(r1.status, 401);
  assert.equal(r1.json.code, "unsigned");

  const stranger = generateKeyPairSync("ed25519").privateKey;
  const r2 = await post(registration((s) => signString(stranger, s)));
  assert.equal(r2.status, 401);
  assert.equal(r2.json.code, "bad_signature");

  const r3 = await post(registration((s) => id.sign(s), { ts: Date.now() - 10 * 60_000 }));
  assert.equal(r3.status, 401);
  assert.equal(r3.json.code, "stale_timestamp");

  // A body changed after signing does not verify.
  const signed = registration((s) => id.sign(s));
  const r4 = await post({ body: signed.body.replace(`"test"`, `"evil"`), headers: signed.headers });
  assert.equal(r4.status, 401);
  assert.equal(r4.json.code, "bad_signature");
  assert.equal(cp.workers().length, 1, "only the good registration is listed");
});
