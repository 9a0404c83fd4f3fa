// The devnet behaves like a Sui network where a client can tell: signatures, object versions,
// gas, events, checkpoints, parallel use of one wallet, and its state file.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Transaction } from "@mysten/sui/transactions";
import { SuiJsonRpcClient } from "@mysten/sui/jsonRpc";
import { SuiGrpcClient } from "@mysten/sui/grpc";
import { toBase64 } from "@mysten/sui/utils";
import { startDevnet } from "../../devnet/chain/index.js";
import { SUI_TRANSPORTS, createSuiClient, findLiveStake, readPool, readStakeRecord } from "../../src/sui/index.js";
import { ONE_SUI, balanceOf, fundedWallet, session, startEnv, type Env } from "./helpers.js";

for (const transport of SUI_TRANSPORTS) describe(`devnet as a Sui network, over ${transport}`, () => {
  let env: Env;
  before(async () => {
    env = await startEnv({ transport });
  });

  /** Checkpoint digest and the latest sequence number, through this transport's own API. */
  async function checkpointInfo(seq: bigint): Promise<{ digest: string; latest: bigint }> {
    if (env.transport === "grpc") {
      const g = env.client as SuiGrpcClient;
      const { response } = await g.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: seq }, readMask: { paths: ["digest"] } });
      const { response: info } = await g.ledgerService.getServiceInfo({});
      return { digest: response.checkpoint!.digest!, latest: info.checkpointHeight! };
    }
    const rpc = env.client as SuiJsonRpcClient;
    return { digest: (await rpc.getCheckpoint({ id: String(seq) })).digest, latest: BigInt(await rpc.getLatestCheckpointSequenceNumber()) };
  }
  after(async () => {
    await env.devnet.close();
  });

  async function transferTx(kp: Ed25519Keypair, to: string, amount: bigint) {
    const tx = new Transaction();
    tx.setSender(kp.toSuiAddress());
    const [c] = tx.splitCoins(tx.gas, [amount]);
    tx.transferObjects([c!], to);
    return tx.build({ client: env.client });
  }

  test("a forged signature is rejected and nothing is charged", async () => {
    const owner = await fundedWallet(env);
    const thief = Ed25519Keypair.generate();
    const bytes = await transferTx(owner, thief.toSuiAddress(), ONE_SUI);
    const before = await balanceOf(env, owner.toSuiAddress());
    // Signed by the wrong key.
    const { signature: wrongKey } = await thief.signTransaction(bytes);
    await assert.rejects(env.client.core.executeTransaction({ transaction: bytes, signatures: [wrongKey] }), /signature/i);
    // The owner's signature with one byte flipped.
    const { signature } = await owner.signTransaction(bytes);
    const raw = Buffer.from(signature, "base64");
    raw[5] = raw[5]! ^ 0xff;
    await assert.rejects(env.client.core.executeTransaction({ transaction: bytes, signatures: [toBase64(raw)] }), /signature/i);
    assert.equal(await balanceOf(env, owner.toSuiAddress()), before);
    assert.equal(await balanceOf(env, thief.toSuiAddress()), 0n);
    // The genuine signature goes through.
    const ok = await env.client.core.executeTransaction({ transaction: bytes, signatures: [signature] });
    assert.equal(ok.$kind, "Transaction");
    assert.equal(await balanceOf(env, thief.toSuiAddress()), ONE_SUI);
  });

  test("a stale object version is rejected", async () => {
    const kp = await fundedWallet(env);
    const stale = await transferTx(kp, Ed25519Keypair.generate().toSuiAddress(), ONE_SUI);
    const fresh = await transferTx(kp, Ed25519Keypair.generate().toSuiAddress(), ONE_SUI);
    // Both were built against the same gas coin version; the first to execute bumps it.
    const r1 = await env.client.core.executeTransaction({ transaction: fresh, signatures: [(await kp.signTransaction(fresh)).signature] });
    assert.equal(r1.$kind, "Transaction");
    await assert.rejects(
      env.client.core.executeTransaction({ transaction: stale, signatures: [(await kp.signTransaction(stale)).signature] }),
      /not available for consumption, current version/,
    );
  });

  test("gas is charged as the effects say, and the gas object moves to the lamport version", async () => {
    const kp = await fundedWallet(env);
    const to = Ed25519Keypair.generate().toSuiAddress();
    const before = await balanceOf(env, kp.toSuiAddress());
    const tx = new Transaction();
    const [c] = tx.splitCoins(tx.gas, [3n * ONE_SUI]);
    tx.transferObjects([c!], to);
    const res = await env.client.core.signAndExecuteTransaction({ transaction: tx, signer: kp, include: { effects: true, balanceChanges: true } });
    assert.equal(res.$kind, "Transaction");
    const t = res.Transaction!;
    const g = t.effects.gasUsed;
    const net = BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate);
    assert.ok(BigInt(g.computationCost) >= 1_000_000n, "Sui's 1000-unit minimum at RGP 1000");
    assert.equal(await balanceOf(env, kp.toSuiAddress()), before - 3n * ONE_SUI - net);
    assert.equal(await balanceOf(env, to), 3n * ONE_SUI);
    assert.equal(t.effects.gasObject?.outputVersion, t.effects.lamportVersion);
    const mine = t.balanceChanges.find((b) => b.address === kp.toSuiAddress());
    assert.equal(BigInt(mine!.amount), -(3n * ONE_SUI + net));
  });

  test("events, checkpoints, dynamic fields and Move signatures are served", async () => {
    const kp = await fundedWallet(env);
    const { stakeId, digest } = await session(env, kp).stakeForNode({ nodeId: "ev-node", amountMist: ONE_SUI });
    const tx = await env.client.core.getTransaction({ digest, include: { effects: true, events: true } });
    const ev = tx.Transaction!.events.find((e) => e.eventType === `${env.devnet.ids.packageId}::staking::StakeCreated`);
    assert.ok(ev);
    assert.equal((ev.json as { stake_id: string }).stake_id, stakeId);
    assert.equal((ev.json as { node_id: string }).node_id, "ev-node");
    assert.ok(tx.Transaction?.checkpoint);
    const cp0 = await checkpointInfo(0n);
    const { chainIdentifier } = await env.client.core.getChainIdentifier();
    assert.equal(chainIdentifier, cp0.digest);
    assert.ok(cp0.latest >= BigInt(tx.Transaction!.checkpoint!));

    const pool = await readPool(env.client, env.devnet.ids.poolId, env.devnet.ids.packageId);
    const { dynamicFields } = await env.client.core.listDynamicFields({ parentId: pool.nodeStakesTableId });
    assert.ok(dynamicFields.some((f) => new TextDecoder().decode(f.name.bcs.slice(1)) === "ev-node"));

    const { function: fn } = await env.client.core.getMoveFunction({ packageId: env.devnet.ids.packageId, moduleName: "staking", name: "stake_for_node" });
    assert.equal(fn.parameters.length, 4); // pool, payment, node_id, ctx
    assert.equal(fn.parameters[0]!.reference, "mutable");
  });

  test("dry run reports a Move abort without changing anything", async () => {
    const kp = await fundedWallet(env);
    const tx = new Transaction();
    tx.setSender(kp.toSuiAddress());
    const [c] = tx.splitCoins(tx.gas, [1n]);
    tx.moveCall({ target: `${env.devnet.ids.packageId}::staking::stake_for_node`, arguments: [tx.object(env.devnet.ids.poolId), c!, tx.pure.string("dry")] });
    // Building simulates (no budget set): the abort surfaces at build time, with its code.
    await assert.rejects(tx.build({ client: env.client }), /MoveAbort.*abort code: 1.*stake_for_node/);
    assert.equal(await findLiveStake(env.client, env.devnet.ids, { nodeId: "dry", staker: kp.toSuiAddress() }), null);
  });

  test("20 stakes from one wallet in parallel all succeed", async () => {
    const kp = await fundedWallet(env);
    const s = session(env, kp);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => s.stakeForNode({ nodeId: `par-${i}`, amountMist: ONE_SUI })),
    );
    const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failures, []);
    const ids = results.map((r) => (r as PromiseFulfilledResult<{ stakeId: string }>).value.stakeId);
    assert.equal(new Set(ids).size, 20);
    for (const [i, id] of ids.entries()) {
      const rec = await readStakeRecord(env.client, id, env.devnet.ids.packageId);
      assert.equal(rec?.nodeId, `par-${i}`);
      assert.equal(rec?.status, "active");
    }
  });
});

describe("devnet start", () => {
  test("writes devnet.json 0600 with ids and the admin key, serves on a random port", async () => {
    const dir = await mkdtemp(join(tmpdir(), "devnet-"));
    const d = await startDevnet({ host: "127.0.0.1", port: 0, stateDir: dir, lockEpochs: 3, minStakeMist: 2n * ONE_SUI });
    try {
      const file = join(dir, "devnet.json");
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const json = JSON.parse(await readFile(file, "utf8"));
      assert.equal(json.url, d.url);
      assert.equal(json.packageId, d.ids.packageId);
      assert.equal(json.poolId, d.ids.poolId);
      assert.equal(json.adminCapId, d.ids.adminCapId);
      assert.equal(json.registryId, d.ids.registryId);
      assert.match(json.adminSecretKey, /^suiprivkey1/);
      const client = createSuiClient(d.url);
      const pool = await readPool(client, d.ids.poolId, d.ids.packageId);
      assert.equal(pool.lockEpochs, 3n);
      assert.equal(pool.minNodeStakeMist, 2n * ONE_SUI);
      const { object: cap } = await client.core.getObject({ objectId: d.ids.adminCapId });
      assert.equal((cap.owner as { AddressOwner: string }).AddressOwner, d.adminAddress);
    } finally {
      await d.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test("the devnet's TLS front serves the same chain over https to a client that trusts its CA", async () => {
  const { makeCertificates } = await import("../../devnet/chain/certificates.js");
  const dir = await mkdtemp(join(tmpdir(), "devnet-tls-"));
  const certs = makeCertificates(dir);
  const devnet = await startDevnet({ host: "127.0.0.1", port: 0, tls: { key: certs.key, cert: certs.cert } });
  try {
    assert.match(devnet.tlsUrl ?? "", /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(certs.ca, "utf8");
    const overTls = await readPool(createSuiClient(devnet.tlsUrl!, { ca }), devnet.ids.poolId, devnet.ids.packageId);
    const plain = await readPool(createSuiClient(devnet.url), devnet.ids.poolId, devnet.ids.packageId);
    assert.deepEqual(overTls, plain);
    await assert.rejects(readPool(createSuiClient(devnet.tlsUrl!), devnet.ids.poolId, devnet.ids.packageId), /UNABLE_TO_VERIFY_LEAF_SIGNATURE/, "an untrusted CA is refused");
  } finally {
    await devnet.close();
    await rm(dir, { recursive: true, force: true });
  }
});
