// Issue 26: the devnet answers as a Sui full node answers. Written only against @mysten/sui's
// SuiGrpcClient (and, for the JSON-RPC front, raw JSON-RPC as any tool would send it), the way a
// probe of a real node is: ListEvents with filters and paging; malformed ids, digests and owners
// refused as INVALID_ARGUMENT (JSON-RPC "Invalid params"), never NOT_FOUND; checkpoints cut
// while the chain is idle; simulations that return the package's read accessors' values; and a
// plain answer for a published function the devnet does not model; objects', events' and command
// outputs' JSON as a node renders it; ListTransactions framed as the proto says; events inside a
// transaction without the context only ListEvents gives; SimulateTransaction's default read mask
// (the wildcard); and lookups that do not scan the checkpoints of a long-running chain.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { bcs } from "@mysten/sui/bcs";
import { requestSuiFromFaucetV2 } from "@mysten/sui/faucet";
import { GrpcTypes, RpcError, SuiGrpcClient } from "@mysten/sui/grpc";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Transaction } from "@mysten/sui/transactions";
import { fromBase64, normalizeSuiAddress, toBase64 } from "@mysten/sui/utils";
import { startDevnet, type Devnet } from "../../devnet/chain/index.js";
import { compiledPackage, type NormalizedType } from "../../devnet/chain/compiled.js";
import { PACKAGE_READS } from "../../devnet/chain/execute.js";
import { FRAMEWORK_STRUCTS } from "../../devnet/chain/objects.js";
import { readFrameworkPackage } from "../../scripts/move/framework.js";

const ONE_SUI = 1_000_000_000n;
// The test's own reading of staking::StakeSlashed (field order of move/sources/staking.move).
const StakeSlashed = bcs.struct("StakeSlashed", {
  stake_id: bcs.Address, pool_id: bcs.Address, node_id: bcs.string(), amount: bcs.u64(), remaining: bcs.u64(), reason: bcs.string(),
});
// ...and of staking::StakingPool, StakeRecord and k8s_gateway::SealToken (move/sources), to say
// what JSON a node renders from the same bytes.
const StakingPool = bcs.struct("StakingPool", {
  id: bcs.Address, balance: bcs.u64(), slashed: bcs.u64(), min_node_stake: bcs.u64(), lock_epochs: bcs.u64(), withdrawal_cooldown_epochs: bcs.u64(),
  node_stakes: bcs.struct("Table", { id: bcs.Address, size: bcs.u64() }), total_staked: bcs.u64(), total_slashed: bcs.u64(), active_stakes: bcs.u64(),
});
const StakeRecord = bcs.struct("StakeRecord", {
  id: bcs.Address, pool_id: bcs.Address, staker: bcs.Address, node_id: bcs.string(), amount: bcs.u64(), status: bcs.u8(),
  staked_at: bcs.u64(), locked_until: bcs.u64(), withdrawal_requested: bcs.u64(), claimable_at: bcs.u64(),
});
const SealToken = bcs.struct("SealToken", {
  id: bcs.Address, stake_id: bcs.Address, node_id: bcs.string(), worker_pubkey: bcs.byteVector(), permissions: bcs.vector(bcs.string()),
  issued_at: bcs.u64(), expires_at: bcs.u64(),
});
const HEX_ID = /^0x[0-9a-f]{64}$/;

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
    tx.moveCall({ target: "0x2::coin::divide_into_n", typeArguments: ["0x2::sui::SUI"], arguments: [tx.gas, tx.pure.u64(2n)] });
    await assert.rejects(client.core.simulateTransaction({ transaction: tx, include: { commandResults: true } }), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /0x2::coin::divide_into_n exists, but the k3s-daas devnet does not model it/);
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
  // ---- 5. JSON as a node renders it -----------------------------------------------------------

  // What sui-types' rpc_visitor renders for a Move value, written out here from the value the
  // test's own layouts read: u64 as a decimal string, u8 as a number, an id or address as 0x and
  // 64 hex digits, vector<u8> as base64, a Table as { id, size }, a String as the string.
  const u64 = (v: string | bigint) => BigInt(v).toString();
  const id = (v: string) => normalizeSuiAddress(v);
  const objectJson = async (objectId: string) => {
    const { object } = await client.core.getObject({ objectId, include: { json: true, content: true } });
    return { json: object.json as Record<string, unknown> | null, content: object.content! };
  };

  test("object json: ids as 0x strings, u64 as decimal strings, u8 as a number, vector<u8> as base64, a Table as { id, size }", async () => {
    // The pool: UID, Balance<SUI> (its u64), u64s and a Table<String, ID>.
    const pool = await objectJson(devnet.ids.poolId);
    const p = StakingPool.parse(pool.content);
    assert.deepEqual(pool.json, {
      id: devnet.ids.poolId, balance: u64(p.balance), slashed: u64(p.slashed), min_node_stake: u64(ONE_SUI), lock_epochs: "1",
      withdrawal_cooldown_epochs: "0", node_stakes: { id: id(p.node_stakes.id), size: u64(p.node_stakes.size) },
      total_staked: u64(p.total_staked), total_slashed: String(6n * ONE_SUI), active_stakes: u64(p.active_stakes),
    });
    assert.equal(BigInt(p.balance), BigInt(p.total_staked), "the pool's own accounting");

    // A stake record: ID, address, String, u8 (a JSON number, not a string).
    const rec = await objectJson(stakes.get("ev-1")!);
    const r = StakeRecord.parse(rec.content);
    assert.deepEqual(rec.json, {
      id: stakes.get("ev-1"), pool_id: devnet.ids.poolId, staker: staker.toSuiAddress(), node_id: "ev-1", amount: u64(r.amount),
      status: r.status, staked_at: u64(r.staked_at), locked_until: u64(r.locked_until), withdrawal_requested: "0", claimable_at: "0",
    });
    assert.equal(typeof (rec.json as { status: unknown }).status, "number");
    assert.equal((rec.json as { amount: string }).amount, String(2n * ONE_SUI), "3 SUI staked, 1 slashed");

    // A seal token: vector<u8> as base64 (not a list of numbers), vector<String> as a list of strings.
    const pubkey = new Uint8Array(32).fill(7);
    const mint = new Transaction();
    mint.moveCall({ target: `${devnet.ids.packageId}::k8s_gateway::create_worker_seal_token`, arguments: [mint.object(stakes.get("ev-4")!), mint.pure.vector("u8", pubkey)] });
    const minted = await run(staker, mint);
    const tokenId = Object.entries(minted.objectTypes!).find(([, t]) => t.endsWith("::k8s_gateway::SealToken"))![0];
    const tok = await objectJson(tokenId);
    const t = SealToken.parse(tok.content);
    assert.deepEqual(tok.json, {
      id: id(tokenId), stake_id: stakes.get("ev-4"), node_id: "ev-4", worker_pubkey: toBase64(pubkey),
      permissions: ["node:join", "node:heartbeat"], issued_at: u64(t.issued_at), expires_at: u64(t.expires_at),
    });

    // A gas coin (Coin<SUI>: its UID and Balance), and a dynamic field of the pool's table (Field<String, ID>).
    const [coin] = (await client.core.listOwnedObjects({ owner: staker.toSuiAddress(), type: "0x2::coin::Coin<0x2::sui::SUI>", include: { json: true } })).objects;
    assert.deepEqual(coin!.json, { id: coin!.objectId, balance: u64(bcs.struct("Coin", { id: bcs.Address, balance: bcs.u64() }).parse((await client.core.getObject({ objectId: coin!.objectId, include: { content: true } })).object.content!).balance) });
    const { response: fields } = await client.stateService.listDynamicFields({ parent: (pool.json as { node_stakes: { id: string } }).node_stakes.id });
    const entries = await Promise.all(fields.dynamicFields.map(async (f) => ({ fieldId: f.fieldId!, json: (await objectJson(f.fieldId!)).json as { name: string } })));
    assert.equal(BigInt(entries.length), BigInt(p.node_stakes.size));
    assert.ok(entries.some((e) => e.json.name === "ev-4"));
    for (const e of entries) assert.deepEqual(e.json, { id: e.fieldId, name: e.json.name, value: stakes.get(e.json.name) });

    // Every id is a full-length 0x string, never JSON-RPC's { id } or a list of bytes.
    for (const j of [pool.json, rec.json, tok.json]) {
      for (const v of Object.values(j!)) if (typeof v === "string" && v.startsWith("0x")) assert.match(v, HEX_ID);
    }
    // A package has no json (a node renders only Move objects).
    assert.equal((await client.core.getObject({ objectId: devnet.ids.packageId, include: { json: true } })).object.json, null);
  });

  test("event json and command output json come from the same renderer as object json", async () => {
    // An event delivered on its own and the same event inside its transaction: the same JSON.
    const { events } = await client.core.listEvents({ filter: { eventType: `${devnet.ids.packageId}::staking::StakeSlashed` }, limit: 1 });
    const e = events[0]!;
    const parsed = StakeSlashed.parse(e.bcs);
    assert.deepEqual(e.json, {
      stake_id: id(parsed.stake_id), pool_id: devnet.ids.poolId, node_id: "ev-1", amount: String(ONE_SUI), remaining: u64(parsed.remaining),
      reason: "missed heartbeats of ev-1",
    });
    const tx = await client.core.getTransaction({ digest: e.transactionDigest, include: { events: true } });
    assert.deepEqual(tx.Transaction!.events![0]!.json, e.json);

    // Simulated return values, rendered by their types as a node renders them.
    const sim = new Transaction();
    sim.setSender(staker.toSuiAddress());
    sim.moveCall({ target: `${devnet.ids.packageId}::staking::min_node_stake`, arguments: [sim.object(devnet.ids.poolId)] });
    sim.moveCall({ target: `${devnet.ids.packageId}::staking::stake_id_for_node`, arguments: [sim.object(devnet.ids.poolId), sim.pure.string("ev-2")] });
    sim.moveCall({ target: `${devnet.ids.packageId}::staking::stake_id_for_node`, arguments: [sim.object(devnet.ids.poolId), sim.pure.string("nobody")] });
    sim.moveCall({ target: `${devnet.ids.packageId}::staking::is_active`, arguments: [sim.object(stakes.get("ev-4")!)] });
    sim.moveCall({ target: `${devnet.ids.packageId}::staking::status`, arguments: [sim.object(stakes.get("ev-4")!)] });
    const status = ((await objectJson(stakes.get("ev-4")!)).json as { status: number }).status;
    const [split] = sim.splitCoins(sim.gas, [sim.pure.u64(5n)]);
    sim.transferObjects([split!], staker.toSuiAddress());
    const { response } = await client.transactionExecutionService.simulateTransaction({
      transaction: { bcs: { value: await sim.build({ client }) } }, readMask: { paths: ["command_outputs"] },
    });
    const json = response.commandOutputs.map((c) => c.returnValues.map((v) => (GrpcTypes.CommandOutput.toJson(v) as { json?: unknown }).json));
    assert.deepEqual(json.slice(0, 5), [["1000000000"], [stakes.get("ev-2")], [null], [true], [status]]);
    const coin = json[5]![0] as { id: string; balance: string };
    assert.match(coin.id, HEX_ID);
    assert.equal(coin.balance, "5", "a Coin<SUI> return value as { id, balance }");
  });

  test("the framework structs the devnet lays out itself are the framework's, field for field", () => {
    const sources = { ...readFrameworkPackage("sui-framework"), ...readFrameworkPackage("move-stdlib") };
    for (const [key, fields] of Object.entries(FRAMEWORK_STRUCTS)) {
      const [, module, name] = key.split("::") as [string, string, string];
      const src = sources[`sources/${module}.move`];
      assert.ok(src, `no framework source for ${module}`);
      const m = new RegExp(`public struct ${name}(?:<([^>]*)>)?[^{]*\\{([^}]*)\\}`).exec(src.replace(/\/\/[^\n]*/g, ""));
      assert.ok(m, `${key} is not declared in ${module}.move`);
      const params = (m[1] ?? "").split(",").map((p) => p.replace(/phantom/, "").split(":")[0]!.trim()).filter(Boolean);
      const render = (t: NormalizedType): string => typeof t === "string" ? t.toLowerCase()
        : "TypeParameter" in t ? params[t.TypeParameter]!
          : "Struct" in t ? `${t.Struct.name}${t.Struct.typeArguments.length ? `<${t.Struct.typeArguments.map(render).join(", ")}>` : ""}` : assert.fail(JSON.stringify(t));
      const declared = m[2]!.split(",").map((f) => f.trim()).filter(Boolean).map((f) => f.split(/:\s*/).map((x) => x.trim()).join(": "));
      assert.deepEqual(fields.map((f) => `${f.name}: ${render(f.type)}`), declared, key);
    }
  });

  // ---- 6. ListTransactions frames -----------------------------------------------------------

  const frames = async (req: Parameters<typeof client.ledgerService.listTransactions>[0]) => {
    const out = [];
    for await (const f of client.ledgerService.listTransactions(req).responses) out.push(f);
    return out;
  };

  test("listTransactions: the limit-th item's frame ends the stream (ITEM_LIMIT); every frame has a watermark", async () => {
    const R = GrpcTypes.QueryEndReason;
    const all = await frames({ readMask: { paths: ["digest", "checkpoint"] }, options: { limit: 1000 } });
    const txs = all.filter((f) => f.transaction);
    assert.ok(txs.length >= 8, `${txs.length} transactions`);
    assert.ok(all.every((f) => f.watermark?.cursor?.length), "a watermark on every frame");
    assert.equal(all.filter((f) => f.end).length, 1, "end once");
    assert.deepEqual({ item: !!all.at(-1)!.transaction, reason: all.at(-1)!.end?.reason }, { item: false, reason: R.LEDGER_TIP });

    const two = await frames({ readMask: { paths: ["digest"] }, options: { limit: 2 } });
    assert.equal(two.length, 2, "no separate end frame");
    assert.deepEqual(two.map((f) => f.transaction?.digest), txs.slice(0, 2).map((f) => f.transaction!.digest));
    assert.equal(two[0]!.end, undefined);
    assert.equal(two[1]!.end?.reason, R.ITEM_LIMIT);
    assert.ok(two[1]!.watermark?.cursor?.length && two[1]!.watermark.checkpoint !== undefined);
    // Exactly as many items as the limit: ITEM_LIMIT as well, as on a node.
    const exact = await frames({ readMask: { paths: ["digest"] }, options: { limit: txs.length } });
    assert.equal(exact.length, txs.length);
    assert.equal(exact.at(-1)!.end?.reason, R.ITEM_LIMIT);
    // Descending, from a cursor, and bounded by checkpoints.
    const desc = await frames({ readMask: { paths: ["digest"] }, options: { limit: 3, ordering: GrpcTypes.Ordering.DESCENDING, before: txs.at(-1)!.watermark!.cursor } });
    assert.deepEqual(desc.map((f) => f.transaction?.digest), txs.slice(-4, -1).reverse().map((f) => f.transaction!.digest));
    const cp = txs[4]!.transaction!.checkpoint!;
    const one = await frames({ readMask: { paths: ["digest"] }, startCheckpoint: cp, endCheckpoint: cp + 1n, options: {} });
    assert.deepEqual(one.map((f) => f.transaction?.digest), [txs[4]!.transaction!.digest, undefined]);
    assert.equal(one[1]!.end?.reason, R.CHECKPOINT_BOUND);
    await assert.rejects(frames({ startCheckpoint: 5n, endCheckpoint: 4n }), grpcCode("INVALID_ARGUMENT", /checkpoint range/));

    // @mysten/sui's paging over it: pages of 3 chained by endCursor, hasNextPage false only at the end.
    const digests: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Awaited<ReturnType<typeof client.core.listTransactions>> = await client.core.listTransactions({ limit: 3, ...(after ? { after } : {}) });
      digests.push(...page.transactions.map((x) => (x.Transaction ?? x.FailedTransaction)!.digest));
      pages += 1;
      if (!page.hasNextPage) break;
      assert.equal(page.transactions.length, 3);
      after = page.endCursor;
    }
    assert.deepEqual(digests.slice(0, txs.length), txs.map((f) => f.transaction!.digest));
    assert.ok(pages >= Math.ceil(txs.length / 3));
  });

  // ---- 7. events inside a transaction -------------------------------------------------------

  test("events inside a transaction carry no checkpoint, transaction digest or indexes; ListEvents' do", async () => {
    const digest = slashes[1]!.digest;
    const { response } = await client.ledgerService.getTransaction({ digest, readMask: { paths: ["checkpoint", "events"] } });
    const inside = response.transaction!.events!.events[0]!;
    assert.equal(inside.eventType, `${devnet.ids.packageId}::staking::StakeSlashed`);
    assert.ok(inside.json && inside.contents?.value?.length);
    assert.deepEqual([inside.checkpoint, inside.transactionDigest, inside.transactionIndex, inside.eventIndex], [undefined, undefined, undefined, undefined]);
    assert.ok(response.transaction!.checkpoint, "the transaction says where it is");
    const alone = (await client.core.listEvents({ filter: { eventType: `${devnet.ids.packageId}::staking::StakeSlashed` } })).events[1]!;
    assert.deepEqual([alone.transactionDigest, alone.checkpoint, alone.eventIndex], [digest, String(response.transaction!.checkpoint), 0]);
  });

  // ---- 8. default read masks of execution ----------------------------------------------------

  test("SimulateTransaction without a read mask answers everything (a node's wildcard); ExecuteTransaction only the effects", async () => {
    const tx = new Transaction();
    tx.setSender(staker.toSuiAddress());
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::min_node_stake`, arguments: [tx.object(devnet.ids.poolId)] });
    const [c] = tx.splitCoins(tx.gas, [tx.pure.u64(7n)]);
    tx.transferObjects([c!], staker.toSuiAddress());
    const bytes = await tx.build({ client });
    const { response: sim } = await client.transactionExecutionService.simulateTransaction({ transaction: { bcs: { value: bytes } } });
    assert.ok(sim.transaction?.effects?.status?.success, "effects");
    assert.ok(sim.transaction.transaction?.kind && sim.transaction.transaction.sender === staker.toSuiAddress(), "the transaction");
    assert.ok(sim.transaction.balanceChanges.length > 0, "balance changes");
    assert.equal(sim.commandOutputs.length, 3, "command outputs");
    assert.equal(sim.suggestedGasPrice, 1000n, "suggested gas price");

    const { signature } = await staker.signTransaction(bytes);
    const { response: ex } = await client.transactionExecutionService.executeTransaction({
      transaction: { bcs: { value: bytes } }, signatures: [{ bcs: { value: fromBase64(signature) }, signature: { oneofKind: undefined } }],
    });
    assert.ok(ex.transaction?.effects?.status?.success);
    assert.deepEqual([ex.transaction.digest, ex.transaction.transaction, ex.transaction.events, ex.transaction.balanceChanges.length], [undefined, undefined, undefined, 0]);
    await client.core.waitForTransaction({ digest: ex.transaction.effects.transactionDigest! });
  });

  // ---- 9. checkpoint growth -------------------------------------------------------------------

  test("lookups do not scan the checkpoints: 40,000 idle checkpoints later they read as many records as before", async () => {
    const still = await startDevnet({ host: "127.0.0.1", port: 0, checkpointIntervalMs: 0 });
    try {
      const c = new SuiGrpcClient({ baseUrl: still.url, network: "localnet" });
      const kp = Ed25519Keypair.generate();
      await still.faucet(kp.toSuiAddress());
      const tx = new Transaction();
      const [pay] = tx.splitCoins(tx.gas, [tx.pure.u64(2n * ONE_SUI)]);
      tx.moveCall({ target: `${still.ids.packageId}::staking::stake_for_node`, arguments: [tx.object(still.ids.poolId), pay!, tx.pure.string("aged")] });
      const staked = await c.core.signAndExecuteTransaction({ transaction: tx, signer: kp });
      await c.core.waitForTransaction({ result: staked });
      still.advanceEpoch(1);
      const cp1 = (await c.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: 1n } }).response).checkpoint!;
      // What clients ask all day: service info, the epoch (every transaction build), past epochs,
      // checkpoints by number, digest and latest, events (each names its checkpoint).
      const lookups = async () => {
        await c.ledgerService.getServiceInfo({}).response;
        await c.core.getReferenceGasPrice();
        const past = (await c.ledgerService.getEpoch({ epoch: 0n }).response).epoch!;
        await c.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: 1n } }).response;
        await c.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "digest", digest: cp1.digest! } }).response;
        await c.ledgerService.getCheckpoint({ checkpointId: { oneofKind: undefined } }).response;
        const { events } = await c.core.listEvents({ filter: { sender: kp.toSuiAddress() } });
        assert.equal(events.length, 1);
        return past;
      };
      const visited = () => still.chain.checkpoints.visited;
      const v0 = visited();
      const before = await lookups();
      const cost = visited() - v0;
      assert.ok(cost > 0 && cost < 20, `${cost} records read`);

      for (let i = 0; i < 20_000; i++) still.chain.idleCheckpoint();
      still.advanceEpoch(1);
      for (let i = 0; i < 20_000; i++) still.chain.idleCheckpoint();
      assert.ok(still.chain.checkpoints.length > 40_000);
      const v1 = visited();
      const after = await lookups();
      assert.equal(visited() - v1, cost, "the same records read with 40,000 more checkpoints");
      assert.deepEqual(after, before, "epoch 0 reads the same");

      // And the answers are right: epoch 1 spans the first 20,000 idle checkpoints, epoch 2 the rest.
      const e1 = (await c.ledgerService.getEpoch({ epoch: 1n, readMask: { paths: ["first_checkpoint", "last_checkpoint", "end"] } }).response).epoch!;
      const e2 = (await c.ledgerService.getEpoch({ readMask: { paths: ["epoch", "first_checkpoint", "last_checkpoint"] } }).response).epoch!;
      assert.equal(e2.epoch, 2n);
      assert.equal(e2.firstCheckpoint, e1.lastCheckpoint! + 1n);
      assert.equal(e2.lastCheckpoint, undefined, "the current epoch has no last checkpoint yet");
      assert.equal(e1.lastCheckpoint! - e1.firstCheckpoint! + 1n, 20_001n, "the epoch change's checkpoint and 20,000 idle ones");
      const first2 = (await c.ledgerService.getCheckpoint({ checkpointId: { oneofKind: "sequenceNumber", sequenceNumber: e2.firstCheckpoint! }, readMask: { paths: ["summary"] } }).response).checkpoint!;
      assert.equal(first2.summary!.epoch, 2n);
      assert.deepEqual(e1.end, first2.summary!.timestamp, "an epoch ends when the next one's first checkpoint is cut");
    } finally {
      await still.close();
    }
  });
});
