// The devnet forgets old checkpoints as a pruning full node does (`checkpointRetention`), so a
// dev stack left up for days holds a bounded log: it keeps the last N checkpoints, GetServiceInfo's
// lowest_available_checkpoint (and the deprecated _objects watermark, as a node sets it) says
// where they start, a pruned checkpoint is NOT_FOUND "Checkpoint <n or digest> not found" (the
// node's CheckpointNotFoundError), and past epochs still answer with their first and last
// checkpoint numbers. Transactions, their events and objects are kept whatever their checkpoint.
// Asked only through @mysten/sui's SuiGrpcClient; the log is aged in-process (the idle timer
// off, `idleCheckpoint` called directly), never by waiting.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { RpcError, SuiGrpcClient } from "@mysten/sui/grpc";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Transaction } from "@mysten/sui/transactions";
import { startDevnet, type Devnet } from "../../devnet/chain/index.js";

const ONE_SUI = 1_000_000_000n;
const RETENTION = 50;

const notFound = (re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof RpcError, String(e));
  assert.equal(e.code, "NOT_FOUND", e.message);
  assert.match(e.message, re);
  return true;
};

describe("the devnet prunes old checkpoints as a full node does (SuiGrpcClient)", () => {
  let devnet: Devnet;
  let client: SuiGrpcClient;
  let staker: Ed25519Keypair;
  // Before the pruning: a transaction (with an event), its checkpoint, and the epochs' edges.
  let stakeDigest: string;
  let stakeCheckpoint: bigint;
  let stakeCheckpointDigest: string;
  let genesisDigest: string;
  let epoch1First: bigint;
  let epoch2First: bigint;
  let sizes: number[];

  const info = async () => (await client.ledgerService.getServiceInfo({}).response);
  const checkpointAt = (sequenceNumber: bigint, paths = ["sequence_number", "digest"]) =>
    client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber }, readMask: { paths } }).response;
  const checkpointByDigest = (digest: string) =>
    client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "digest", digest } }).response;
  const age = (n: number) => {
    for (let i = 0; i < n; i++) {
      devnet.chain.idleCheckpoint();
      sizes.push(devnet.chain.checkpoints.length);
    }
  };

  before(async () => {
    devnet = await startDevnet({ host: "127.0.0.1", port: 0, checkpointIntervalMs: 0, checkpointRetention: RETENTION });
    client = new SuiGrpcClient({ baseUrl: devnet.url, network: "localnet" });
    sizes = [];
    genesisDigest = (await checkpointAt(0n)).checkpoint!.digest!;
    staker = Ed25519Keypair.generate();
    await client.core.waitForTransaction({ digest: (await devnet.faucet(staker.toSuiAddress())).digest });
    const tx = new Transaction();
    const [pay] = tx.splitCoins(tx.gas, [tx.pure.u64(2n * ONE_SUI)]);
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::stake_for_node`, arguments: [tx.object(devnet.ids.poolId), pay!, tx.pure.string("pruned-era")] });
    const res = await client.core.signAndExecuteTransaction({ transaction: tx, signer: staker });
    assert.equal(res.$kind, "Transaction", JSON.stringify(res.FailedTransaction?.status));
    await client.core.waitForTransaction({ result: res });
    stakeDigest = res.Transaction!.digest;
    const t = (await client.ledgerService.getTransaction({ digest: stakeDigest, readMask: { paths: ["checkpoint"] } }).response).transaction!;
    stakeCheckpoint = t.checkpoint!;
    stakeCheckpointDigest = (await checkpointAt(stakeCheckpoint)).checkpoint!.digest!;

    // Epoch 0 ends here; epoch 1 spans 3,000 idle checkpoints (enough for the log to compact its
    // array several times over), epoch 2 as many again: both of the first two are pruned whole.
    devnet.advanceEpoch(1);
    epoch1First = (await info()).checkpointHeight!;
    age(3_000);
    devnet.advanceEpoch(1);
    epoch2First = (await info()).checkpointHeight!;
    age(3_000);
  });

  after(async () => {
    await devnet?.close();
  });

  test("the log never holds more than the retention: after 6,000 checkpoints it holds exactly that many", () => {
    assert.equal(devnet.chain.checkpoints.length, RETENTION);
    assert.equal(Math.max(...sizes), RETENTION);
    assert.ok(sizes.slice(RETENTION).every((n) => n === RETENTION), "once full, the size stays at the retention");
  });

  test("GetServiceInfo: lowest_available_checkpoint (and the objects watermark) is the first one kept", async () => {
    const i = await info();
    assert.ok(i.checkpointHeight! > 6_000n);
    assert.equal(i.lowestAvailableCheckpoint, i.checkpointHeight! - BigInt(RETENTION) + 1n);
    assert.equal(i.lowestAvailableCheckpointObjects, i.lowestAvailableCheckpoint, "a node sets both watermarks alike");
    assert.equal(i.epoch, 2n);
    // It advances with every checkpoint cut.
    age(7);
    const j = await info();
    assert.equal(j.checkpointHeight, i.checkpointHeight! + 7n);
    assert.equal(j.lowestAvailableCheckpoint, i.lowestAvailableCheckpoint! + 7n);
  });

  test("a pruned checkpoint is NOT_FOUND by number and by digest, as a node answers", async () => {
    const { lowestAvailableCheckpoint: lowest } = await info();
    await assert.rejects(checkpointAt(lowest! - 1n), notFound(new RegExp(`^Checkpoint ${lowest! - 1n} not found$`)));
    await assert.rejects(checkpointAt(0n), notFound(/^Checkpoint 0 not found$/));
    await assert.rejects(checkpointAt(stakeCheckpoint, ["sequence_number", "transactions.digest"]), notFound(new RegExp(`^Checkpoint ${stakeCheckpoint} not found$`)));
    await assert.rejects(checkpointAt(epoch1First, ["summary"]), notFound(/not found/));
    await assert.rejects(checkpointByDigest(stakeCheckpointDigest), notFound(new RegExp(`^Checkpoint ${stakeCheckpointDigest} not found$`)));
    await assert.rejects(checkpointByDigest(genesisDigest), notFound(new RegExp(`^Checkpoint ${genesisDigest} not found$`)));
    // The chain keeps its identity: the chain id is the genesis checkpoint's digest, pruned or not.
    assert.equal((await info()).chainId, genesisDigest);
  });

  test("the latest checkpoint and every kept one still answer, by number and by digest, each linked to the one before", async () => {
    const i = await info();
    const latest = (await client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: undefined }, readMask: { paths: ["sequence_number", "digest"] } }).response).checkpoint!;
    assert.equal(latest.sequenceNumber, i.checkpointHeight);
    let previous: string | undefined;
    for (let n = i.lowestAvailableCheckpoint!; n <= i.checkpointHeight!; n++) {
      const cp = (await checkpointAt(n, ["sequence_number", "digest", "summary.previous_digest", "summary.epoch"])).checkpoint!;
      assert.equal(cp.sequenceNumber, n);
      assert.equal(cp.summary!.epoch, 2n);
      if (previous !== undefined) assert.equal(cp.summary!.previousDigest, previous, `checkpoint ${n} follows ${n - 1n}`);
      previous = cp.digest!;
      if (n === i.lowestAvailableCheckpoint || n === i.checkpointHeight) {
        assert.equal((await checkpointByDigest(cp.digest!)).checkpoint!.sequenceNumber, n);
      }
    }
    assert.equal(previous, latest.digest);
    // One past the tip is NOT_FOUND as before (not yet cut, not pruned).
    await assert.rejects(checkpointAt(i.checkpointHeight! + 1n), notFound(/not found/));
  });

  test("past epochs, their checkpoints all pruned, still answer with their first and last checkpoints and their span", async () => {
    const paths = ["epoch", "first_checkpoint", "last_checkpoint", "start", "end"];
    const e0 = (await client.ledgerService.getEpoch({ epoch: 0n, readMask: { paths } }).response).epoch!;
    const e1 = (await client.ledgerService.getEpoch({ epoch: 1n, readMask: { paths } }).response).epoch!;
    const e2 = (await client.ledgerService.getEpoch({ readMask: { paths } }).response).epoch!;
    assert.deepEqual([e0.epoch, e0.firstCheckpoint, e0.lastCheckpoint], [0n, 0n, epoch1First - 1n]);
    assert.deepEqual([e1.epoch, e1.firstCheckpoint, e1.lastCheckpoint], [1n, epoch1First, epoch2First - 1n]);
    assert.equal(e1.lastCheckpoint! - e1.firstCheckpoint! + 1n, 3_001n, "the epoch change's checkpoint and 3,000 idle ones");
    assert.deepEqual([e2.epoch, e2.firstCheckpoint, e2.lastCheckpoint], [2n, epoch2First, undefined]);
    assert.deepEqual(e0.end, e1.start, "an epoch ends when the next one starts");
    assert.deepEqual(e1.end, e2.start);
    assert.ok(e0.start && e1.start && e2.start && e2.end === undefined);
    const { lowestAvailableCheckpoint: lowest } = await info();
    assert.ok(e1.lastCheckpoint! < lowest!, "epoch 1's checkpoints are all pruned");
    // The current epoch as the core API reads it (every transaction build asks).
    assert.equal((await client.core.getCurrentSystemState()).systemState.epoch, "2");
  });

  test("a transaction from before the pruning is still read, listed and its events listed; its checkpoint number stays", async () => {
    const { lowestAvailableCheckpoint: lowest } = await info();
    assert.ok(stakeCheckpoint < lowest!);
    const got = await client.core.getTransaction({ digest: stakeDigest, include: { effects: true, events: true } });
    assert.equal(got.Transaction?.digest, stakeDigest);
    assert.equal(got.Transaction!.effects.status.success, true);
    assert.ok(got.Transaction!.events!.some((e) => e.eventType.endsWith("::staking::StakeCreated")));
    const t = (await client.ledgerService.getTransaction({ digest: stakeDigest, readMask: { paths: ["digest", "checkpoint", "timestamp"] } }).response).transaction!;
    assert.equal(t.checkpoint, stakeCheckpoint);
    assert.ok(t.timestamp);

    const listed = await client.core.listTransactions({ filter: { $kind: "sender", sender: staker.toSuiAddress() } as never });
    assert.deepEqual(listed.transactions.map((x) => (x.Transaction ?? x.FailedTransaction)!.digest), [stakeDigest]);
    const { events } = await client.core.listEvents({ filter: { sender: staker.toSuiAddress() } });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.transactionDigest, stakeDigest);
    assert.equal(events[0]!.checkpoint, String(stakeCheckpoint));

    // And the objects it made are live as ever: the stake spends from the staker's coin again.
    const tx = new Transaction();
    const [pay] = tx.splitCoins(tx.gas, [tx.pure.u64(ONE_SUI)]);
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::stake_for_node`, arguments: [tx.object(devnet.ids.poolId), pay!, tx.pure.string("after-pruning")] });
    const res = await client.core.signAndExecuteTransaction({ transaction: tx, signer: staker });
    assert.equal(res.$kind, "Transaction", JSON.stringify(res.FailedTransaction?.status));
    await client.core.waitForTransaction({ result: res });
    assert.equal(devnet.chain.checkpoints.length, RETENTION);
  });

  test("SubscribeCheckpoints streams on across the pruning: every checkpoint cut, in order", async () => {
    const abort = new AbortController();
    const frames: bigint[] = [];
    const call = client.subscriptionService.subscribeCheckpoints({ readMask: { paths: ["sequence_number"] } }, { abort: abort.signal });
    await call.headers;
    const reader = (async () => {
      try {
        for await (const f of call.responses) frames.push(f.checkpoint!.sequenceNumber!);
      } catch { /* aborted at the end */ }
    })();
    const from = (await info()).checkpointHeight!;
    age(3 * RETENTION);
    const to = (await info()).checkpointHeight!;
    for (let i = 0; i < 50 && frames[frames.length - 1] !== to; i++) await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    await reader;
    assert.deepEqual(frames, Array.from({ length: Number(to - from) }, (_, k) => from + 1n + BigInt(k)));
    assert.equal((await info()).lowestAvailableCheckpoint, to - BigInt(RETENTION) + 1n);
  });

  test("retention 0 or Infinity keeps every checkpoint; a retention that is not a whole number is refused", async () => {
    for (const keepAll of [0, Infinity]) {
      const all = await startDevnet({ host: "127.0.0.1", port: 0, checkpointIntervalMs: 0, checkpointRetention: keepAll });
      try {
        const c = new SuiGrpcClient({ baseUrl: all.url, network: "localnet" });
        for (let i = 0; i < 2_000; i++) all.chain.idleCheckpoint();
        const i = await c.ledgerService.getServiceInfo({}).response;
        assert.equal(i.lowestAvailableCheckpoint, 0n);
        assert.equal(all.chain.checkpoints.length, Number(i.checkpointHeight!) + 1);
        assert.equal((await c.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: 0n } }).response).checkpoint!.sequenceNumber, 0n);
      } finally {
        await all.close();
      }
    }
    for (const bad of [-1, 1.5, Number.NaN]) {
      await assert.rejects(startDevnet({ host: "127.0.0.1", port: 0, checkpointIntervalMs: 0, checkpointRetention: bad }), /checkpointRetention must be a whole number/);
    }
  });
});
