// The devnet's gRPC front through @mysten/sui's own SuiGrpcClient, with no project code in
// between (no src/sui): what any Sui tooling pointed at the devnet would see. Run twice: over the
// SDK's own grpc-web transport (global fetch), and over src/sui's GrpcWebHttpTransport on
// node:http (what the agent uses), which must behave the same, errors and streams included.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { bcs } from "@mysten/sui/bcs";
import { requestSuiFromFaucetV2 } from "@mysten/sui/faucet";
import { RpcError, SuiGrpcClient } from "@mysten/sui/grpc";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Transaction } from "@mysten/sui/transactions";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import { startDevnet, type Devnet } from "../../devnet/chain/index.js";
import { GrpcWebHttpTransport } from "../../src/sui/grpc-web-http.js";
import { httpFetch } from "../../src/sui/node-http-fetch.js";

const ONE_SUI = 1_000_000_000n;
// The test's own reading of the pool (field order of move/sources/staking.move).
const PoolLayout = bcs.struct("StakingPool", {
  id: bcs.Address, balance: bcs.u64(), slashed: bcs.u64(), min_node_stake: bcs.u64(), lock_epochs: bcs.u64(), withdrawal_cooldown_epochs: bcs.u64(),
  node_stakes: bcs.struct("Table", { id: bcs.Address, size: bcs.u64() }), total_staked: bcs.u64(), total_slashed: bcs.u64(), active_stakes: bcs.u64(),
});

const TRANSPORTS = {
  "the SDK's grpc-web transport": (baseUrl: string) => new SuiGrpcClient({ baseUrl, network: "localnet" }),
  "GrpcWebHttpTransport on node:http": (baseUrl: string) =>
    new SuiGrpcClient({ network: "localnet", transport: new GrpcWebHttpTransport({ baseUrl, fetch: httpFetch }) }),
};

for (const [via, makeClient] of Object.entries(TRANSPORTS)) describe(`SuiGrpcClient against the devnet, over ${via}`, () => {
  let devnet: Devnet;
  let client: SuiGrpcClient;
  before(async () => {
    devnet = await startDevnet({ host: "127.0.0.1", port: 0, lockEpochs: 1 });
    client = makeClient(devnet.url);
  });
  after(async () => {
    await devnet.close();
  });

  async function funded(): Promise<Ed25519Keypair> {
    const kp = Ed25519Keypair.generate();
    const res = await requestSuiFromFaucetV2({ host: devnet.url, recipient: kp.toSuiAddress() });
    await client.core.waitForTransaction({ digest: res.coins_sent![0]!.transferTxDigest });
    return kp;
  }
  const balance = async (a: string) => BigInt((await client.core.getBalance({ owner: a })).balance.balance);

  async function poolRef(mutable: boolean) {
    const { object } = await client.core.getObject({ objectId: devnet.ids.poolId });
    const owner = object.owner as { $kind: string; Shared: { initialSharedVersion: string } };
    assert.equal(owner.$kind, "Shared");
    return { objectId: devnet.ids.poolId, initialSharedVersion: owner.Shared.initialSharedVersion, mutable };
  }

  test("a faucet-funded wallet; splitCoins, mergeCoins and transferObjects in one transaction", async () => {
    const kp = await funded();
    assert.equal(await balance(kp.toSuiAddress()), 1000n * ONE_SUI);
    const to = Ed25519Keypair.generate().toSuiAddress();
    const tx = new Transaction();
    const [a, b, c] = tx.splitCoins(tx.gas, [tx.pure.u64(ONE_SUI), tx.pure.u64(2n * ONE_SUI), tx.pure.u64(4n * ONE_SUI)]);
    tx.mergeCoins(a!, [b!]);
    tx.transferObjects([a!, c!], tx.pure.address(to));
    // No gas payment or budget: the node resolves them (SimulateTransaction with gas selection).
    const res = await client.core.signAndExecuteTransaction({ transaction: tx, signer: kp, include: { effects: true, balanceChanges: true } });
    assert.equal(res.$kind, "Transaction", JSON.stringify(res.FailedTransaction?.status));
    await client.core.waitForTransaction({ result: res });
    const { objects } = await client.core.listCoins({ owner: to });
    assert.deepEqual(objects.map((o) => BigInt(o.balance)).sort(), [3n * ONE_SUI, 4n * ONE_SUI]);
    const g = res.Transaction!.effects.gasUsed;
    const net = BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate);
    assert.equal(await balance(kp.toSuiAddress()), 1000n * ONE_SUI - 7n * ONE_SUI - net);
    const mine = res.Transaction!.balanceChanges.find((x) => normalizeSuiAddress(x.address) === kp.toSuiAddress());
    assert.equal(BigInt(mine!.amount), -(7n * ONE_SUI + net));
  });

  test("a stake_for_node that aborts: the abort code is in the effects and the gas is still charged", async () => {
    const kp = await funded();
    const { objects: [gasCoin] } = await client.core.listCoins({ owner: kp.toSuiAddress() });
    const tx = new Transaction();
    tx.setSender(kp.toSuiAddress());
    tx.setGasPayment([{ objectId: gasCoin!.objectId, version: gasCoin!.version, digest: gasCoin!.digest }]);
    tx.setGasPrice((await client.core.getReferenceGasPrice()).referenceGasPrice);
    tx.setGasBudget(10_000_000n);
    const [pay] = tx.splitCoins(tx.gas, [tx.pure.u64(1n)]); // far below the pool minimum
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::stake_for_node`, arguments: [tx.sharedObjectRef(await poolRef(true)), pay!, tx.pure.string("too-small")] });
    const before = await balance(kp.toSuiAddress());
    const res = await client.core.signAndExecuteTransaction({ transaction: tx, signer: kp, include: { effects: true } });
    assert.equal(res.$kind, "FailedTransaction");
    const failed = res.FailedTransaction!;
    const err = failed.effects.status.error!;
    assert.equal(err.$kind, "MoveAbort");
    assert.equal(err.MoveAbort!.abortCode, "1"); // EInsufficientStake
    assert.equal(err.MoveAbort!.location!.module, "staking");
    assert.equal(err.MoveAbort!.location!.functionName, "stake_for_node");
    assert.equal(normalizeSuiAddress(err.MoveAbort!.location!.package!), devnet.ids.packageId);
    assert.match(err.message, /MoveAbort in 2nd command, abort code: 1, in '0x[0-9a-f]+::staking::stake_for_node'/);
    const g = failed.effects.gasUsed;
    const net = BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate);
    assert.ok(net > 0n);
    assert.equal(await balance(kp.toSuiAddress()), before - net, "only the gas is charged; the split is rolled back");
  });

  test("a signature by another key is rejected with INVALID_ARGUMENT; nothing is charged", async () => {
    const kp = await funded();
    const other = Ed25519Keypair.generate();
    const tx = new Transaction();
    tx.setSender(kp.toSuiAddress());
    tx.transferObjects([tx.splitCoins(tx.gas, [tx.pure.u64(ONE_SUI)])[0]!], tx.pure.address(other.toSuiAddress()));
    const bytes = await tx.build({ client });
    const { signature } = await other.signTransaction(bytes);
    await assert.rejects(client.core.executeTransaction({ transaction: bytes, signatures: [signature] }), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, "INVALID_ARGUMENT");
      assert.match(e.message, /signature/i);
      return true;
    });
    assert.equal(await balance(kp.toSuiAddress()), 1000n * ONE_SUI);
  });

  test("the same signed transaction submitted twice executes once", async () => {
    const kp = await funded();
    const to = Ed25519Keypair.generate().toSuiAddress();
    const tx = new Transaction();
    tx.setSender(kp.toSuiAddress());
    tx.transferObjects([tx.splitCoins(tx.gas, [tx.pure.u64(5n * ONE_SUI)])[0]!], tx.pure.address(to));
    const bytes = await tx.build({ client });
    const { signature } = await kp.signTransaction(bytes);
    const [r1, r2] = await Promise.all([0, 1].map(() => client.core.executeTransaction({ transaction: bytes, signatures: [signature], include: { effects: true } })));
    assert.equal(r1!.Transaction!.digest, r2!.Transaction!.digest);
    assert.equal(r1!.Transaction!.effects.lamportVersion, r2!.Transaction!.effects.lamportVersion);
    const r3 = await client.core.executeTransaction({ transaction: bytes, signatures: [signature], include: { effects: true } });
    assert.equal(r3.Transaction!.digest, r1!.Transaction!.digest);
    assert.equal(await balance(to), 5n * ONE_SUI);
  });

  test("getMoveFunction of a k3s_daas function", async () => {
    const { function: fn } = await client.core.getMoveFunction({ packageId: devnet.ids.packageId, moduleName: "staking", name: "stake_for_node" });
    assert.equal(fn.name, "stake_for_node");
    assert.equal(fn.visibility, "public");
    const types = fn.parameters.map((p) => [p.reference, p.body.$kind === "datatype" ? p.body.datatype.typeName : p.body.$kind]);
    assert.deepEqual(types, [
      ["mutable", `${devnet.ids.packageId}::staking::StakingPool`],
      [null, normalizeSuiAddress("0x2") + "::coin::Coin"],
      [null, normalizeSuiAddress("0x1") + "::string::String"],
      ["mutable", normalizeSuiAddress("0x2") + "::tx_context::TxContext"],
    ]);
    await assert.rejects(client.core.getMoveFunction({ packageId: devnet.ids.packageId, moduleName: "staking", name: "no_such_fn" }), (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, "NOT_FOUND");
      return true;
    });
  });

  test("the pool's node_stakes table read as dynamic fields; a checkpoint subscription sees a new transaction within a second", async () => {
    const kp = await funded();
    const seen: { digest: string; at: number }[] = [];
    const abort = new AbortController();
    const call = client.subscriptionService.subscribeCheckpoints({ readMask: { paths: ["sequence_number", "transactions.digest"] } }, { abort: abort.signal });
    await call.headers;
    const reader = (async () => {
      try {
        for await (const frame of call.responses) {
          for (const t of frame.checkpoint?.transactions ?? []) seen.push({ digest: t.digest!, at: Date.now() });
        }
      } catch {
        // aborted at the end of the test
      }
    })();

    const tx = new Transaction();
    const [pay] = tx.splitCoins(tx.gas, [tx.pure.u64(2n * ONE_SUI)]);
    tx.moveCall({ target: `${devnet.ids.packageId}::staking::stake_for_node`, arguments: [tx.object(devnet.ids.poolId), pay!, tx.pure.string("df-node")] });
    const sentAt = Date.now();
    const res = await client.core.signAndExecuteTransaction({ transaction: tx, signer: kp, include: { effects: true, objectTypes: true } });
    assert.equal(res.$kind, "Transaction", JSON.stringify(res.FailedTransaction?.status));
    const digest = res.Transaction!.digest;
    while (!seen.some((s) => s.digest === digest) && Date.now() - sentAt < 5_000) await new Promise((r) => setTimeout(r, 10));
    const hit = seen.find((s) => s.digest === digest);
    assert.ok(hit, "the subscription delivered the transaction's checkpoint");
    assert.ok(hit.at - sentAt < 1_000, `seen after ${hit.at - sentAt} ms`);
    abort.abort();
    await reader;

    const stakeId = Object.entries(res.Transaction!.objectTypes).find(([, t]) => t.endsWith("::staking::StakeRecord"))![0];
    const { object: pool } = await client.core.getObject({ objectId: devnet.ids.poolId, include: { content: true } });
    const tableId = PoolLayout.parse(pool.content).node_stakes.id;
    const { dynamicFields } = await client.listDynamicFields({ parentId: tableId, include: { value: true } });
    const field = dynamicFields.find((f) => bcs.string().parse(f.name.bcs) === "df-node");
    assert.ok(field, "the node id is a key of node_stakes");
    assert.equal(field.valueType, normalizeSuiAddress("0x2") + "::object::ID");
    assert.equal(normalizeSuiAddress(bcs.Address.parse(field.value!.bcs)), normalizeSuiAddress(stakeId));
  });

  test("a filtered subscription delivers only checkpoints that touch the watched object", async () => {
    const kp = await funded();
    const watched = Ed25519Keypair.generate().toSuiAddress();
    const got: bigint[] = [];
    const abort = new AbortController();
    const call = client.subscriptionService.subscribeCheckpoints({
      readMask: { paths: ["sequence_number", "transactions.effects.changed_objects.object_id"] },
      filter: { terms: [{ literals: [{ negated: false, predicate: { oneofKind: "affectedAddress", affectedAddress: { address: watched } } }] }] },
    }, { abort: abort.signal });
    await call.headers;
    const reader = (async () => {
      try {
        for await (const f of call.responses) if (f.checkpoint) got.push(f.checkpoint.sequenceNumber!);
      } catch { /* aborted */ }
    })();
    const send = async (to: string) => {
      const tx = new Transaction();
      tx.transferObjects([tx.splitCoins(tx.gas, [tx.pure.u64(ONE_SUI)])[0]!], tx.pure.address(to));
      const r = await client.core.signAndExecuteTransaction({ transaction: tx, signer: kp });
      return (await client.core.waitForTransaction({ result: r })).Transaction!.checkpoint;
    };
    await send(Ed25519Keypair.generate().toSuiAddress());
    const cp = await send(watched);
    await new Promise((r) => setTimeout(r, 200));
    abort.abort();
    await reader;
    assert.deepEqual(got, [BigInt(cp!)]);
  });

  test("an aborted subscription fails CANCELLED, one whose signal timed out DEADLINE_EXCEEDED", async () => {
    const codeOf = async (signal: AbortSignal, abort?: () => void) => {
      const call = client.subscriptionService.subscribeCheckpoints({ readMask: { paths: ["sequence_number"] } }, { abort: signal });
      await call.headers;
      abort?.();
      try {
        for await (const _ of call.responses) { /* frames until the abort */ }
      } catch (e) {
        assert.ok(e instanceof RpcError, String(e));
        return e.code;
      }
      return "ended";
    };
    const ac = new AbortController();
    assert.equal(await codeOf(ac.signal, () => ac.abort()), "CANCELLED");
    assert.equal(await codeOf(AbortSignal.timeout(300)), "DEADLINE_EXCEEDED");
  });

  test("grpc-web-text framing works as binary does; methods the devnet does not serve are UNIMPLEMENTED", async () => {
    const text = new SuiGrpcClient({ baseUrl: devnet.url, network: "localnet", format: "text" } as ConstructorParameters<typeof SuiGrpcClient>[0]);
    const kp = await funded();
    assert.equal(BigInt((await text.core.getBalance({ owner: kp.toSuiAddress() })).balance.balance), 1000n * ONE_SUI);
    const { chainIdentifier } = await text.core.getChainIdentifier();
    assert.equal(chainIdentifier, (await client.core.getChainIdentifier()).chainIdentifier);
    await assert.rejects(client.nameService.lookupName({ name: "k3s.sui" }).response, (e: unknown) => {
      assert.ok(e instanceof RpcError);
      assert.equal(e.code, "UNIMPLEMENTED");
      return true;
    });
    await assert.rejects(client.core.getObject({ objectId: "0x" + "ab".repeat(32) }), /not found/i);
  });
});
