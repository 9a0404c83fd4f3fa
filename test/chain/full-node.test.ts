// Issue 26: the devnet answers as a Sui full node answers. Written only against @mysten/sui's
// SuiGrpcClient (and, for the JSON-RPC front, raw JSON-RPC as any tool would send it), the way a
// probe of a real node is: ListEvents with filters and paging; malformed ids, digests and owners
// refused as INVALID_ARGUMENT (JSON-RPC "Invalid params"), never NOT_FOUND; checkpoints cut
// while the chain is idle; simulations that return the package's read accessors' values; and a
// plain answer for a published function the devnet does not model.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { bcs } from "@mysten/sui/bcs";
import { requestSuiFromFaucetV2 } from "@mysten/sui/faucet";
import { RpcError, SuiGrpcClient } from "@mysten/sui/grpc";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Transaction } from "@mysten/sui/transactions";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import { startDevnet, type Devnet } from "../../devnet/chain/index.js";
import { compiledPackage } from "../../devnet/chain/compiled.js";
import { PACKAGE_READS } from "../../devnet/chain/execute.js";

const ONE_SUI = 1_000_000_000n;
// The test's own reading of staking::StakeSlashed (field order of move/sources/staking.move).
const StakeSlashed = bcs.struct("StakeSlashed", {
  stake_id: bcs.Address, pool_id: bcs.Address, node_id: bcs.string(), amount: bcs.u64(), remaining: bcs.u64(), reason: bcs.string(),
});

describe("the devnet answers as a Sui full node answers (SuiGrpcClient)", () => {
  let devnet: Devnet;
  let client: SuiGrpcClient;
  let admin: Ed25519Keypair;
  let staker: Ed25519Keypair;
  const slashes: { digest: string; nodeId: string; amount: bigint }[] = [];
  const stakes = new Map<string, string>(); // node id -> stake id

  const run = async (kp: Ed25519Keypair, tx: Transaction) => {
    const res = await client.core.signAndExecuteTransaction({ transaction: tx, signer: kp, include: { effects: true, events: true, objectTypes: true } });
    assert.equal(res.$kind, "Transaction", JSON.stringify(res.FailedTransaction?.status));
    await client.core.waitForTransaction({ result: res });
    return res.Transaction!;
  };
  const stake = async (nodeId: string) => {
    const tx = new Transaction();
    const [pay] = tx.splitCoins(tx.gas, [tx.pure.u64(3n * ONE_SUI)]);
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::stake_for_node`, arguments: [tx.object(devnet.ids.poolId), pay!, tx.pure.string(nodeId)] });
    const t = await run(staker, tx);
    stakes.set(nodeId, Object.entries(t.objectTypes!).find(([, ty]) => ty.endsWith("::staking::StakeRecord"))![0]);
  };
  const slash = async (nodeId: string, amount: bigint) => {
    const tx = new Transaction();
    tx.moveCall({
      target: `${devnet.ids.packageId}::staking::slash_stake`,
      arguments: [tx.object(devnet.ids.adminCapId), tx.object(devnet.ids.poolId), tx.object(stakes.get(nodeId)!), tx.pure.u64(amount), tx.pure.string(`missed heartbeats of ${nodeId}`)],
    });
    slashes.push({ digest: (await run(admin, tx)).digest, nodeId, amount });
  };
  const grpcCode = (code: string, re?: RegExp) => (e: unknown) => {
    assert.ok(e instanceof RpcError, String(e));
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  };

  before(async () => {
    devnet = await startDevnet({ host: "127.0.0.1", port: 0, lockEpochs: 1 });
    client = new SuiGrpcClient({ baseUrl: devnet.url, network: "localnet" });
    admin = Ed25519Keypair.fromSecretKey(devnet.adminSecretKey);
    staker = Ed25519Keypair.generate();
    const res = await requestSuiFromFaucetV2({ host: devnet.url, recipient: staker.toSuiAddress() });
    await client.core.waitForTransaction({ digest: res.coins_sent![0]!.transferTxDigest });
    // Stakes and slashes interleaved, so the slash events are not simply the last ones.
    await stake("ev-1");
    await stake("ev-2");
    await slash("ev-1", ONE_SUI);
    await stake("ev-3");
    await slash("ev-2", 2n * ONE_SUI);
    await stake("ev-4");
    await slash("ev-3", 3n * ONE_SUI);
  });
  after(async () => {
    await devnet?.close();
  });

  // ---- 1. ListEvents ------------------------------------------------------------------------

  test("listEvents by event type returns exactly the slash events, in order, paged by cursor; descending too", async () => {
    const filter = { eventType: `${devnet.ids.packageId}::staking::StakeSlashed` };
    const p1 = await client.core.listEvents({ filter, limit: 2 });
    assert.equal(p1.events.length, 2);
    assert.equal(p1.hasNextPage, true);
    const p2 = await client.core.listEvents({ filter, limit: 2, after: p1.endCursor! });
    assert.equal(p2.events.length, 1);
    assert.equal(p2.hasNextPage, false);
    const events = [...p1.events, ...p2.events];
    assert.deepEqual(events.map((e) => e.transactionDigest), slashes.map((s) => s.digest));
    for (const [i, e] of events.entries()) {
      assert.equal(e.eventType, `${devnet.ids.packageId}::staking::StakeSlashed`);
      assert.equal(e.packageId, devnet.ids.packageId);
      assert.equal(e.module, "staking");
      assert.equal(e.sender, admin.toSuiAddress());
      assert.equal(e.eventIndex, 0);
      assert.ok(e.checkpoint && BigInt(e.checkpoint) > 0n);
      const parsed = StakeSlashed.parse(e.bcs);
      assert.equal(parsed.node_id, slashes[i]!.nodeId);
      assert.equal(BigInt(parsed.amount), slashes[i]!.amount);
      assert.equal(normalizeSuiAddress(parsed.stake_id), normalizeSuiAddress(stakes.get(slashes[i]!.nodeId)!));
      assert.equal((e.json as { reason: string }).reason, `missed heartbeats of ${slashes[i]!.nodeId}`);
    }
    // The checkpoint each event names is its transaction's.
    const tx = await client.core.getTransaction({ digest: slashes[0]!.digest });
    assert.equal(events[0]!.checkpoint, String(tx.Transaction!.checkpoint));

    const d1 = await client.core.listEvents({ filter, limit: 2, order: "descending" });
    assert.deepEqual(d1.events.map((e) => e.transactionDigest), [slashes[2]!.digest, slashes[1]!.digest]);
    assert.equal(d1.hasNextPage, true);
    const d2 = await client.core.listEvents({ filter, limit: 2, before: d1.endCursor! });
    assert.deepEqual(d2.events.map((e) => e.transactionDigest), [slashes[0]!.digest]);
    assert.equal(d2.hasNextPage, false);
  });

  test("listEvents by sender, by emitting module and by event-type module", async () => {
    const bySender = await client.core.listEvents({ filter: { sender: admin.toSuiAddress() } });
    assert.deepEqual(bySender.events.map((e) => e.transactionDigest), slashes.map((s) => s.digest), "the admin sent only the slashes");
    const byModule = await client.core.listEvents({ filter: { emitModule: `${devnet.ids.packageId}::staking` } });
    assert.deepEqual(byModule.events.map((e) => e.eventType.split("::")[2]), [
      "StakeCreated", "StakeCreated", "StakeSlashed", "StakeCreated", "StakeSlashed", "StakeCreated", "StakeSlashed",
    ]);
    const byTypeModule = await client.core.listEvents({ filter: { eventType: `${devnet.ids.packageId}::staking` } });
    assert.equal(byTypeModule.events.length, 7);
    assert.equal((await client.core.listEvents({ filter: { emitModule: `${devnet.ids.packageId}::k8s_gateway` } })).events.length, 0);
    // A malformed filter is the caller's error, as on a node.
    await assert.rejects(
      client.ledgerService.listEvents({ filter: { terms: [{ literals: [{ negated: false, predicate: { oneofKind: "sender", sender: { address: "not-an-address" } } }] }] } }).responses[Symbol.asyncIterator]().next(),
      grpcCode("INVALID_ARGUMENT", /sender/),
    );
  });

  // ---- 2. malformed ids are INVALID_ARGUMENT ------------------------------------------------

  test("a malformed object id, digest or owner is INVALID_ARGUMENT (a missing one stays NOT_FOUND)", async () => {
    const bad = "0xnot-hex";
    await assert.rejects(client.ledgerService.getObject({ objectId: bad }).response, grpcCode("INVALID_ARGUMENT", /object_id/));
    await assert.rejects(client.ledgerService.getObject({ objectId: "0x" + "ab".repeat(33) }).response, grpcCode("INVALID_ARGUMENT"));
    await assert.rejects(client.ledgerService.getObject({ objectId: "0x" + "ab".repeat(32) }).response, grpcCode("NOT_FOUND"));
    // A batch with one malformed id fails as a whole; a missing object is only its item's error.
    await assert.rejects(client.ledgerService.batchGetObjects({ requests: [{ objectId: devnet.ids.poolId }, { objectId: bad }] }).response, grpcCode("INVALID_ARGUMENT", /requests\[1\]\.object_id/));
    const { response: okBatch } = await client.ledgerService.batchGetObjects({ requests: [{ objectId: devnet.ids.poolId }, { objectId: "0x" + "cd".repeat(32) }] });
    assert.equal(okBatch.objects[0]!.result.oneofKind, "object");
    assert.equal(okBatch.objects[1]!.result.oneofKind, "error");
    // Hex without 0x, in capitals, is still an id, as on a node.
    assert.equal((await client.ledgerService.getObject({ objectId: devnet.ids.poolId.slice(2).toUpperCase() }).response).object?.objectId, devnet.ids.poolId);

    await assert.rejects(client.ledgerService.getTransaction({ digest: "not-a-digest" }).response, grpcCode("INVALID_ARGUMENT", /digest/));
    await assert.rejects(client.ledgerService.getTransaction({ digest: "11111111111111111111111111111112" }).response, grpcCode("NOT_FOUND"));
    // In a transaction batch a malformed digest is that item's INVALID_ARGUMENT, as on a node.
    const { response: txs } = await client.ledgerService.batchGetTransactions({ digests: [slashes[0]!.digest, "0OIl"] });
    assert.equal(txs.transactions[0]!.result.oneofKind, "transaction");
    const item = txs.transactions[1]!.result;
    assert.equal(item.oneofKind, "error");
    assert.equal(item.oneofKind === "error" && item.error.code, 3 /* INVALID_ARGUMENT */);

    await assert.rejects(client.core.listOwnedObjects({ owner: bad }), grpcCode("INVALID_ARGUMENT", /owner/));
    await assert.rejects(client.core.getBalance({ owner: bad }), grpcCode("INVALID_ARGUMENT", /owner/));
    await assert.rejects(client.core.listBalances({ owner: bad }), grpcCode("INVALID_ARGUMENT", /owner/));
  });

  test("the JSON-RPC front answers malformed ids, digests and owners with Invalid params (-32602)", async () => {
    const call = async (method: string, params: unknown[]) => {
      const res = await fetch(devnet.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
      return (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: string } };
    };
    for (const [method, params] of [
      ["sui_getObject", ["0xzz"]], ["sui_multiGetObjects", [[devnet.ids.poolId, "0xzz"]]],
      ["sui_getTransactionBlock", ["not-a-digest"]], ["sui_multiGetTransactionBlocks", [[slashes[0]!.digest, "x"]]],
      ["suix_getOwnedObjects", ["0xzz"]], ["suix_getBalance", ["0xzz"]], ["suix_getCoins", ["0xzz"]], ["suix_getAllBalances", ["0xzz"]],
    ] as const) {
      const r = await call(method, [...params]);
      assert.equal(r.error?.code, -32602, `${method}: ${JSON.stringify(r)}`);
      assert.equal(r.error?.message, "Invalid params", method);
      assert.ok(r.error?.data, `${method} says why`);
    }
    assert.ok((await call("sui_getObject", [devnet.ids.poolId])).result, "a well-formed id still answers");
  });

  // ---- 3. checkpoints while idle ------------------------------------------------------------

  test("an idle subscriber of SubscribeCheckpoints receives several frames within a second", async () => {
    const abort = new AbortController();
    const frames: bigint[] = [];
    const call = client.subscriptionService.subscribeCheckpoints({ readMask: { paths: ["sequence_number", "summary.timestamp"] } }, { abort: abort.signal });
    await call.headers;
    const reader = (async () => {
      try {
        for await (const f of call.responses) frames.push(f.checkpoint!.sequenceNumber!);
      } catch { /* aborted at the end */ }
    })();
    await new Promise((r) => setTimeout(r, 1_000));
    abort.abort();
    await reader;
    assert.ok(frames.length >= 3, `only ${frames.length} frames in a second of an idle chain`);
    for (let i = 1; i < frames.length; i++) assert.equal(frames[i], frames[i - 1]! + 1n, "consecutive checkpoints");
  });

  test("checkpointIntervalMs: 0 keeps an idle chain's checkpoints still", async () => {
    const still = await startDevnet({ host: "127.0.0.1", port: 0, checkpointIntervalMs: 0 });
    try {
      const c = new SuiGrpcClient({ baseUrl: still.url, network: "localnet" });
      const h0 = (await c.ledgerService.getServiceInfo({}).response).checkpointHeight;
      await new Promise((r) => setTimeout(r, 600));
      assert.equal((await c.ledgerService.getServiceInfo({}).response).checkpointHeight, h0);
    } finally {
      await still.close();
    }
  });

  // ---- 4. simulate returns the read accessors' values ---------------------------------------

  test("simulate: staking::min_node_stake(pool) and stake_id_for_node(pool, node) as commandResults, decoded with bcs", async () => {
    const tx = new Transaction();
    tx.setSender(staker.toSuiAddress());
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::min_node_stake`, arguments: [tx.object(devnet.ids.poolId)] });
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::stake_id_for_node`, arguments: [tx.object(devnet.ids.poolId), tx.pure.string("ev-4")] });
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::stake_id_for_node`, arguments: [tx.object(devnet.ids.poolId), tx.pure.string("no-such-node")] });
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::is_active`, arguments: [tx.object(stakes.get("ev-1")!)] });
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::node_id`, arguments: [tx.object(stakes.get("ev-4")!)] });
    const sim = await client.core.simulateTransaction({ transaction: tx, include: { commandResults: true, effects: true } });
    assert.equal(sim.$kind, "Transaction", JSON.stringify(sim.FailedTransaction?.status));
    const r = sim.commandResults!;
    assert.equal(r.length, 5);
    assert.equal(BigInt(bcs.u64().parse(r[0]!.returnValues[0]!.bcs!)), ONE_SUI, "the devnet's default minimum stake");
    assert.equal(normalizeSuiAddress(bcs.option(bcs.Address).parse(r[1]!.returnValues[0]!.bcs!)!), normalizeSuiAddress(stakes.get("ev-4")!));
    assert.equal(bcs.option(bcs.Address).parse(r[2]!.returnValues[0]!.bcs!), null);
    assert.equal(bcs.bool().parse(r[3]!.returnValues[0]!.bcs!), false, "ev-1 was slashed");
    assert.equal(bcs.string().parse(r[4]!.returnValues[0]!.bcs!), "ev-4");
    // Reading mutates nothing: the pool is only read.
    assert.ok(r.every((c) => c.mutatedReferences.length === 0));

    // The raw response names each value's type, as a node does.
    const { response } = await client.transactionExecutionService.simulateTransaction({
      transaction: { bcs: { value: await tx.build({ client }) } }, readMask: { paths: ["command_outputs"] },
    });
    assert.equal(response.commandOutputs[0]!.returnValues[0]!.value!.name, "u64");
    assert.equal(response.commandOutputs[1]!.returnValues[0]!.value!.name, `${normalizeSuiAddress("0x1")}::option::Option<${normalizeSuiAddress("0x2")}::object::ID>`);
  });

  test("simulate: a state-changing call reports what it changed by &mut; a failed simulation reports no command results", async () => {
    const tx = new Transaction();
    tx.setSender(staker.toSuiAddress());
    const [pay] = tx.splitCoins(tx.gas, [tx.pure.u64(2n * ONE_SUI)]);
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::stake_for_node`, arguments: [tx.object(devnet.ids.poolId), pay!, tx.pure.string("sim-node")] });
    const sim = await client.core.simulateTransaction({ transaction: tx, include: { commandResults: true } });
    assert.equal(sim.$kind, "Transaction");
    const [split, call] = sim.commandResults!;
    assert.equal(split!.returnValues.length, 1, "SplitCoins returns the new coin");
    assert.equal(call!.returnValues.length, 0);
    assert.equal(call!.mutatedReferences.length, 1, "the pool, by &mut");

    // Below the minimum stake: the call aborts, and nothing of the run is reported.
    const bad = new Transaction();
    bad.setSender(staker.toSuiAddress());
    bad.moveCall({ target: `${devnet.ids.packageId}::staking::stake_id_for_node`, arguments: [bad.object(devnet.ids.poolId), bad.pure.string("x")] });
    const [small] = bad.splitCoins(bad.gas, [bad.pure.u64(1n)]);
    bad.moveCall({ target: `${devnet.ids.packageId}::staking::stake_for_node`, arguments: [bad.object(devnet.ids.poolId), small!, bad.pure.string("too-small")] });
    bad.setGasBudget(50_000_000n);
    const failed = await client.core.simulateTransaction({ transaction: bad, include: { commandResults: true } });
    assert.equal(failed.$kind, "FailedTransaction");
    assert.deepEqual(failed.commandResults, []);
  });

  test("every read accessor of the compiled package is modelled", () => {
    const isObject = (t: unknown) => typeof t === "object" && t !== null && "Struct" in t && (t as { Struct: { address: string } }).Struct.address === normalizeSuiAddress("0x0");
    const accessors = compiledPackage().modules.flatMap((m) => m.functions
      .filter((f) => f.visibility === "Public" && !f.isEntry && f.return.length > 0 && !f.return.some(isObject)
        && f.parameters.every((p) => typeof p === "string" || !("MutableReference" in p)))
      .map((f) => `${m.name}::${f.name}`));
    assert.ok(accessors.length >= 20, `only ${accessors.length} accessors`);
    assert.deepEqual(accessors.filter((a) => !PACKAGE_READS[a]), [], "accessors without a model");
  });

  // ---- a published function the devnet does not model ---------------------------------------

  test("a published framework function the devnet does not model is refused plainly, not as FunctionNotFound", async () => {
    const tx = new Transaction();
    tx.setSender(staker.toSuiAddress());
    tx.moveCall({ target: "0x2::coin::value", typeArguments: ["0x2::sui::SUI"], arguments: [tx.gas] });
    await assert.rejects(client.core.simulateTransaction({ transaction: tx, include: { commandResults: true } }), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /0x2::coin::value exists, but the k3s-daas devnet does not model it/);
      assert.doesNotMatch(e.message, /FunctionNotFound/);
      return true;
    });
    // A function that exists nowhere is still FunctionNotFound, as on a node.
    const none = new Transaction();
    none.setSender(staker.toSuiAddress());
    none.moveCall({ target: "0x2::coin::no_such_function", arguments: [] });
    const sim = await client.core.simulateTransaction({ transaction: none }).catch((e: unknown) => e);
    const text = sim instanceof Error ? sim.message : JSON.stringify((sim as { FailedTransaction?: { status: unknown } }).FailedTransaction?.status);
    assert.match(text, /FunctionNotFound|not found/i);
  });
});
