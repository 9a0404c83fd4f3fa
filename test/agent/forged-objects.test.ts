// Issue 23, "objects from any package are accepted": anyone can publish a package with structs
// of k3s_daas's names and shapes and make "seal tokens" and "stake records" of it that name a
// victim's node. The control plane and the agent take objects of the configured package only
// (exact types, the package's original id), and a seal token only from its stake's staker.
//
// The devnet cannot execute a second package, so the impostor's objects are put on its ledger
// directly (devnet/chain/state.ts publishPackageCopy, forgeObject): the same bytes a copy of
// move/ published by someone else would hold, under that copy's package id.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import type { Devnet } from "../../devnet/chain";
import type { ControlPlane } from "../../devnet/control-plane";
import type { AgentConfig } from "../../agent/src/config";
import { createSuiStakeReader } from "../../agent/src/chain-sui";
import { ControlPlaneClient, ControlPlaneError } from "../../agent/src/cp-client";
import { loadOrCreateIdentity, type WorkerIdentity } from "../../agent/src/identity";
import type { ProcessK3s } from "../../agent/src/k3s-service";
import { randomBytes } from "node:crypto";
import {
  H_NODE_ID, H_NONCE, H_REPLY_SIGNATURE, H_SIGNATURE, H_TIMESTAMP, H_WANT_REPLY_VERSION, PATH_REGISTER, requestSigningString,
} from "../../agent/src/protocol";
import { StakeCheckError, verifyStakeAndToken } from "../../agent/src/verify-stake";
import {
  getJson, runAgent, stakeNode, startStakedAgent, stopStakedAgent, waitFor, ONE_SUI, type Chain, type Node, type Started,
} from "./helpers";

let chain: Chain, cp: ControlPlane, victim: Node, victimAgent: Started;
let dir: string;
/** The impostor's package: a copy of k3s_daas published at another id. */
let copy: string;
/** The attacker: a wallet of their own and a worker key of their own. */
let attacker: Ed25519Keypair, attackerKey: WorkerIdentity;

const devnet = () => (chain as unknown as Devnet).chain;

function forgeStake(packageId: string, o: { staker: string; nodeId: string }): string {
  return devnet().forgeObject({
    packageId, layout: "StakeRecord", owner: "shared",
    fields: {
      pool_id: chain.ids.poolId, staker: normalizeSuiAddress(o.staker), node_id: o.nodeId, amount: 5n * ONE_SUI,
      status: 1, staked_at: 0n, locked_until: 1n, withdrawal_requested: 0n, claimable_at: 0n,
    },
  });
}

function forgeToken(packageId: string, o: { owner: string; stakeId: string; nodeId: string; workerPubkey: string }): string {
  return devnet().forgeObject({
    packageId, layout: "SealToken", owner: { address: o.owner },
    fields: {
      stake_id: o.stakeId, node_id: o.nodeId, worker_pubkey: new Uint8Array(Buffer.from(o.workerPubkey, "base64")),
      permissions: ["node:join", "node:heartbeat"], issued_at: 0n, expires_at: 30n,
    },
  });
}

/** register-worker for the victim's node id, signed by the attacker's worker key, as the agent's own client sends it. */
function registerAsVictim(tokenId: string, stakeId: string): Promise<unknown> {
  const client = new ControlPlaneClient(victim.nodeId, attackerKey, 5_000);
  return client.post({ endpoint: cp.url, enclavePubkey: cp.publicKey }, PATH_REGISTER, {
    node_id: victim.nodeId, seal_token_id: tokenId, stake_object_id: stakeId, worker_pubkey: attackerKey.publicKey,
    timestamp: Math.floor(Date.now() / 1000), agent_version: "attacker",
  });
}

/**
 * The same request sent as it is, for a refusal that comes before the signature can be checked
 * (a look-alike token names no key the control plane trusts): such a reply is unsigned (reply
 * v2 signs replies to authenticated requests only), so its status and body are read as they are.
 */
async function registerAsVictimRaw(tokenId: string, stakeId: string): Promise<{ status: number; code: string; error: string; signed: boolean }> {
  const body = JSON.stringify({
    node_id: victim.nodeId, seal_token_id: tokenId, stake_object_id: stakeId, worker_pubkey: attackerKey.publicKey,
    timestamp: Math.floor(Date.now() / 1000), agent_version: "attacker",
  });
  const ts = String(Date.now()), nonce = randomBytes(16).toString("hex");
  const res = await fetch(cp.url + PATH_REGISTER, {
    method: "POST", body,
    headers: {
      "content-type": "application/json", [H_NODE_ID]: victim.nodeId, [H_TIMESTAMP]: ts, [H_NONCE]: nonce, [H_WANT_REPLY_VERSION]: "2",
      [H_SIGNATURE]: attackerKey.sign(requestSigningString("POST", PATH_REGISTER, ts, nonce, body)),
    },
  });
  const j = (await res.json()) as { code: string; error: string };
  return { status: res.status, code: j.code, error: j.error, signed: res.headers.has(H_REPLY_SIGNATURE) };
}

function refusedUnsigned(r: { status: number; code: string; error: string; signed: boolean }, status: number, code: string, message: RegExp): void {
  assert.equal(r.status, status, r.error);
  assert.equal(r.code, code, r.error);
  assert.match(r.error, message);
  assert.equal(r.signed, false, "a refusal of a request that could not be authenticated is not signed");
}

function refused(status: number, code: string, message: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ControlPlaneError, String(e));
    assert.equal(e.status, status, e.message);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  };
}

before(async () => {
  ({ chain, cp, node: victim, agent: victimAgent } = await startStakedAgent("victim-1"));
  await waitFor("the victim registered", () => cp.workers().find((w) => w.node_id === victim.nodeId && w.heartbeats > 0));
  dir = mkdtempSync(join(tmpdir(), "forged-"));
  attacker = Ed25519Keypair.generate();
  attackerKey = loadOrCreateIdentity(join(dir, "attacker.key"));
  copy = devnet().publishPackageCopy();
});

after(async () => {
  await stopStakedAgent({ agent: victimAgent, cp, chain, node: victim });
  rmSync(dir, { recursive: true, force: true });
});

describe("the control plane's register-worker", () => {
  test("refuses a seal token of another package naming the victim's node and a forged active stake", async () => {
    const stake = forgeStake(copy, { staker: attacker.toSuiAddress(), nodeId: victim.nodeId });
    const token = forgeToken(copy, { owner: attacker.toSuiAddress(), stakeId: stake, nodeId: victim.nodeId, workerPubkey: attackerKey.publicKey });
    refusedUnsigned(await registerAsVictimRaw(token, stake),
      403, "seal_token_invalid", new RegExp(`seal token for node victim-1 is a ${copy}::k8s_gateway::SealToken, not a ${chain.ids.packageId}::k8s_gateway::SealToken`));
    // The agent's own client takes such a reply for nothing.
    await assert.rejects(registerAsVictim(token, stake), (e) => e instanceof ControlPlaneError && e.code === "bad_reply_signature" && e.status === undefined);
  });

  test("refuses a seal token of another package that names the victim's real, active stake", async () => {
    const token = forgeToken(copy, { owner: attacker.toSuiAddress(), stakeId: victim.stakeId, nodeId: victim.nodeId, workerPubkey: attackerKey.publicKey });
    refusedUnsigned(await registerAsVictimRaw(token, victim.stakeId), 403, "seal_token_invalid", /k8s_gateway::SealToken, not a .*: objects of any other package/);
  });

  test("refuses a stake record of another package behind a token (no stake at all on this package)", async () => {
    // A k3s_daas token over a forged stake cannot be minted (create_worker_seal_token takes a
    // k3s_daas StakeRecord): put one on the ledger to show the stake is checked on its own.
    const stake = forgeStake(copy, { staker: attacker.toSuiAddress(), nodeId: victim.nodeId });
    const token = forgeToken(chain.ids.packageId, { owner: attacker.toSuiAddress(), stakeId: stake, nodeId: victim.nodeId, workerPubkey: attackerKey.publicKey });
    await assert.rejects(registerAsVictim(token, stake),
      refused(403, "stake_invalid", new RegExp(`the seal token's stake for node victim-1 is a ${copy}::staking::StakeRecord, not a ${chain.ids.packageId}::staking::StakeRecord`)));
  });

  test("refuses a k3s_daas seal token that someone other than the stake's staker owns", async () => {
    // Not reachable through the package today (the token goes to the staker and cannot move):
    // the control plane does not rely on that.
    const token = forgeToken(chain.ids.packageId, { owner: attacker.toSuiAddress(), stakeId: victim.stakeId, nodeId: victim.nodeId, workerPubkey: attackerKey.publicKey });
    await assert.rejects(registerAsVictim(token, victim.stakeId),
      refused(403, "seal_token_invalid", new RegExp(`owned by ${attacker.toSuiAddress()}, not by its stake's staker ${victim.staker.address}`)));
  });

  test("the victim stays registered with its own key and keeps heartbeating", async () => {
    const rec = cp.workers().find((w) => w.node_id === victim.nodeId)!;
    assert.equal(rec.worker_pubkey, victim.workerPubkey);
    const beats = rec.heartbeats;
    await waitFor("more heartbeats", () => (cp.workers().find((w) => w.node_id === victim.nodeId)!.heartbeats > beats + 1 ? true : undefined));
    const h = await getJson(victimAgent.base + "/health");
    assert.equal(h.status, 200, h.text);
    assert.equal(h.body.registered, true);
    assert.equal(victimAgent.agent.status.phase, "running");
  });
});

describe("the agent's own start-up check (verify-stake)", () => {
  const reader = () => createSuiStakeReader(chain.url, { packageId: chain.ids.packageId });
  const cfgWith = (o: Partial<AgentConfig>): AgentConfig => ({ ...victim.cfg, ...o });

  test("refuses a stake record of another package", async () => {
    const stake = forgeStake(copy, { staker: victim.staker.address, nodeId: victim.nodeId });
    await assert.rejects(verifyStakeAndToken(cfgWith({ stakeId: stake }), reader(), victim.workerPubkey), (e: Error) => {
      assert.ok(e instanceof StakeCheckError);
      assert.match(e.message, new RegExp(`stake ${stake} for node victim-1 is not an object of the configured k3s_daas package .*: it is a ${copy}::staking::StakeRecord`));
      assert.equal(e.terminal, false);
      return true;
    });
  });

  test("refuses a seal token of another package, without naming the token", async () => {
    const token = forgeToken(copy, { owner: victim.staker.address, stakeId: victim.stakeId, nodeId: victim.nodeId, workerPubkey: victim.workerPubkey });
    await assert.rejects(verifyStakeAndToken(cfgWith({ sealTokenId: token }), reader(), victim.workerPubkey), (e: Error) => {
      assert.ok(e instanceof StakeCheckError);
      assert.match(e.message, new RegExp(`seal token for node victim-1 is not an object of the configured k3s_daas package .*: it is a ${copy}::k8s_gateway::SealToken`));
      assert.ok(!e.message.includes(token.slice(2)), "the token's id is a secret");
      return true;
    });
  });

  test("refuses a seal token owned by someone other than the stake's staker", async () => {
    const token = forgeToken(chain.ids.packageId, { owner: attacker.toSuiAddress(), stakeId: victim.stakeId, nodeId: victim.nodeId, workerPubkey: victim.workerPubkey });
    await assert.rejects(verifyStakeAndToken(cfgWith({ sealTokenId: token }), reader(), victim.workerPubkey),
      (e: Error) => e instanceof StakeCheckError && /owned by .*, not by its stake's staker/.test(e.message));
  });

  test("accepts the genuine stake and token; a reader made for another package is refused", async () => {
    const ok = await verifyStakeAndToken(victim.cfg, reader(), victim.workerPubkey);
    assert.equal(ok.stake.staker, victim.staker.address);
    assert.equal(ok.token.owner, victim.staker.address);
    const other = createSuiStakeReader(chain.url, { packageId: copy });
    await assert.rejects(verifyStakeAndToken(victim.cfg, other, victim.workerPubkey),
      (e: Error) => e instanceof StakeCheckError && e.message.includes(`checks objects against package ${copy}, not the configured`));
  });

  test("a running agent configured with another package's token stays blocked: no k3s, no registration", async () => {
    const node = await stakeNode(chain, "forged-own");
    try {
      node.cfg.sealTokenId = forgeToken(copy, { owner: node.staker.address, stakeId: node.stakeId, nodeId: node.nodeId, workerPubkey: node.workerPubkey });
      const agent = await runAgent(node); // run.ts makes its reader; the start-up check binds it to sui.packageId
      try {
        const h = await waitFor("blocked status", async () => {
          const r = await getJson(agent.base + "/health");
          return r.body.status === "blocked" ? r : undefined;
        });
        assert.match(h.body.reason, new RegExp(`seal token for node forged-own is not an object of the configured k3s_daas package .*${copy}::k8s_gateway::SealToken`));
        assert.equal(h.body.registered, false);
        assert.equal((agent.k3s as ProcessK3s).pid, undefined, "k3s not started");
        assert.equal(cp.workers().some((w) => w.node_id === "forged-own"), false);
      } finally {
        await agent.stop();
      }
    } finally {
      node.cleanup();
    }
  });
});
