// Issue 26 (last item): the framework functions a client commonly calls, executed by the devnet
// as Sui's framework executes them (signatures and abort codes read from the framework sources),
// and a plain refusal for the rest. Written only against SuiGrpcClient and Transaction.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { bcs } from "@mysten/sui/bcs";
import { requestSuiFromFaucetV2 } from "@mysten/sui/faucet";
import { SuiGrpcClient } from "@mysten/sui/grpc";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Transaction } from "@mysten/sui/transactions";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import { startDevnet, type Devnet } from "../../devnet/chain/index.js";

const SUI = "0x2::sui::SUI";
const FW = normalizeSuiAddress("0x2");

describe("framework functions on the devnet (SuiGrpcClient)", () => {
  let devnet: Devnet;
  let client: SuiGrpcClient;
  let kp: Ed25519Keypair;

  before(async () => {
    // No idle checkpoints: the test decides when the chain (and so the Clock) moves.
    devnet = await startDevnet({ host: "127.0.0.1", port: 0, checkpointIntervalMs: 0 });
    client = new SuiGrpcClient({ baseUrl: devnet.url, network: "localnet" });
    kp = Ed25519Keypair.generate();
    const res = await requestSuiFromFaucetV2({ host: devnet.url, recipient: kp.toSuiAddress() });
    await client.core.waitForTransaction({ digest: res.coins_sent![0]!.transferTxDigest });
  });
  after(async () => devnet?.close());

  const balance = async (owner: string) => BigInt((await client.core.getBalance({ owner })).balance.balance);

  test("simulate coin::value of a coin split from gas: the value, typed u64", async () => {
    const tx = new Transaction();
    tx.setSender(kp.toSuiAddress());
    const [c] = tx.splitCoins(tx.gas, [1234n]);
    tx.moveCall({ target: "0x2::coin::value", typeArguments: [SUI], arguments: [c!] });
    tx.moveCall({ target: "0x2::coin::into_balance", typeArguments: [SUI], arguments: [c!] });
    tx.moveCall({ target: "0x2::balance::destroy_zero", typeArguments: [SUI], arguments: [tx.moveCall({ target: "0x2::balance::zero", typeArguments: [SUI] })] });
    const sim = await client.core.simulateTransaction({ transaction: tx, include: { commandResults: true } });
    // into_balance's Balance is left unused: a value without drop, as on a node.
    assert.equal(sim.$kind, "FailedTransaction");
    assert.match(JSON.stringify(sim.FailedTransaction!.status), /UnusedValueWithoutDrop/);

    const ok = new Transaction();
    ok.setSender(kp.toSuiAddress());
    const [c2] = ok.splitCoins(ok.gas, [1234n]);
    ok.moveCall({ target: "0x2::coin::value", typeArguments: [SUI], arguments: [c2!] });
    ok.transferObjects([c2!], kp.toSuiAddress());
    const s2 = await client.core.simulateTransaction({ transaction: ok, include: { commandResults: true } });
    assert.equal(s2.$kind, "Transaction", JSON.stringify(s2.FailedTransaction?.status));
    assert.equal(BigInt(bcs.u64().parse(s2.commandResults![1]!.returnValues[0]!.bcs!)), 1234n);
    const { response } = await client.transactionExecutionService.simulateTransaction({
      transaction: { bcs: { value: await ok.build({ client }) } }, readMask: { paths: ["command_outputs"] },
    });
    assert.equal(response.commandOutputs[1]!.returnValues[0]!.value!.name, "u64");
  });

  test("split, into_balance, balance::split, from_balance, transfer: executed, balances to the MIST", async () => {
    const bob = Ed25519Keypair.generate().toSuiAddress();
    const before = await balance(kp.toSuiAddress());
    const tx = new Transaction();
    const [c] = tx.splitCoins(tx.gas, [10_000n]);
    const b = tx.moveCall({ target: "0x2::coin::into_balance", typeArguments: [SUI], arguments: [c!] });
    const part = tx.moveCall({ target: "0x2::balance::split", typeArguments: [SUI], arguments: [b, tx.pure.u64(3_000n)] });
    const c1 = tx.moveCall({ target: "0x2::coin::from_balance", typeArguments: [SUI], arguments: [part] });
    const c2 = tx.moveCall({ target: "0x2::coin::from_balance", typeArguments: [SUI], arguments: [b] });
    tx.moveCall({ target: "0x2::transfer::public_transfer", typeArguments: [`0x2::coin::Coin<${SUI}>`], arguments: [c1, tx.pure.address(bob)] });
    tx.transferObjects([c2], bob);
    const res = await client.core.signAndExecuteTransaction({ transaction: tx, signer: kp, include: { effects: true } });
    assert.equal(res.$kind, "Transaction", JSON.stringify(res.FailedTransaction?.status));
    await client.core.waitForTransaction({ result: res });
    const g = res.Transaction!.effects!.gasUsed;
    const gas = BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate);
    assert.equal(await balance(bob), 10_000n);
    assert.equal(await balance(kp.toSuiAddress()), before - 10_000n - gas);
    const { objects } = await client.core.listCoins({ owner: bob });
    assert.deepEqual(objects.map((o) => BigInt(o.balance)).sort((x, y) => Number(x - y)), [3_000n, 7_000n]);
  });

  test("balance::split of more than the value aborts with balance::ENotEnough at 0x2::balance::split; destroy_zero with ENonZero", async () => {
    const tx = new Transaction();
    tx.setSender(kp.toSuiAddress());
    const [c] = tx.splitCoins(tx.gas, [5n]);
    const b = tx.moveCall({ target: "0x2::coin::into_balance", typeArguments: [SUI], arguments: [c!] });
    const p = tx.moveCall({ target: "0x2::balance::split", typeArguments: [SUI], arguments: [b, tx.pure.u64(6n)] });
    tx.moveCall({ target: "0x2::balance::join", typeArguments: [SUI], arguments: [b, p] });
    tx.moveCall({ target: "0x2::balance::destroy_zero", typeArguments: [SUI], arguments: [b] });
    const sim = await client.core.simulateTransaction({ transaction: tx });
    assert.equal(sim.$kind, "FailedTransaction");
    const err = sim.FailedTransaction!.status.error as unknown as { $kind: string; MoveAbort?: { abortCode: string; location: { package: string; module: string; functionName?: string } } };
    assert.equal(err.$kind, "MoveAbort", JSON.stringify(err));
    assert.equal(err.MoveAbort!.abortCode, "2");
    assert.equal(normalizeSuiAddress(err.MoveAbort!.location.package), FW);
    assert.equal(err.MoveAbort!.location.module, "balance");
    assert.equal(err.MoveAbort!.location.functionName, "split");

    const z = new Transaction();
    z.setSender(kp.toSuiAddress());
    const [c2] = z.splitCoins(z.gas, [5n]);
    z.moveCall({ target: "0x2::coin::destroy_zero", typeArguments: [SUI], arguments: [c2!] });
    const s2 = await client.core.simulateTransaction({ transaction: z });
    const e2 = s2.FailedTransaction!.status.error as unknown as typeof err;
    assert.equal(e2.MoveAbort!.abortCode, "0");
    assert.equal(e2.MoveAbort!.location.module, "balance");
    assert.equal(e2.MoveAbort!.location.functionName, "destroy_zero");
  });

  test("clock::timestamp_ms reads 0x6, whose timestamp follows the checkpoints", async () => {
    const read = async () => {
      const tx = new Transaction();
      tx.setSender(kp.toSuiAddress());
      tx.moveCall({ target: "0x2::clock::timestamp_ms", arguments: [tx.object.clock()] });
      const sim = await client.core.simulateTransaction({ transaction: tx, include: { commandResults: true } });
      assert.equal(sim.$kind, "Transaction", JSON.stringify(sim.FailedTransaction?.status));
      return BigInt(bcs.u64().parse(sim.commandResults![0]!.returnValues[0]!.bcs!));
    };
    const latestTs = async () => {
      const { response } = await client.ledgerService.getCheckpoint({ checkpointId: { oneofKind: undefined }, readMask: { paths: ["summary"] } });
      const t = response.checkpoint!.summary!.timestamp!;
      return BigInt(t.seconds) * 1000n + BigInt(Math.floor(t.nanos / 1e6));
    };
    const t1 = await read();
    assert.equal(t1, await latestTs());
    const clock = await client.core.getObject({ objectId: "0x6", include: { json: true } });
    assert.equal(clock.object.type, `${FW}::clock::Clock`);
    await new Promise((r) => setTimeout(r, 20));
    // A transaction cuts a checkpoint: the Clock moves to its time.
    const tx = new Transaction();
    const [c] = tx.splitCoins(tx.gas, [1n]);
    tx.transferObjects([c!], kp.toSuiAddress());
    const res = await client.core.signAndExecuteTransaction({ transaction: tx, signer: kp });
    await client.core.waitForTransaction({ result: res });
    const t2 = await read();
    assert.ok(t2 > t1, `${t2} > ${t1}`);
    assert.equal(t2, await latestTs());
  });

  test("object::id of an owned object; a still-unmodelled framework function is refused plainly", async () => {
    const { objects } = await client.core.listCoins({ owner: kp.toSuiAddress() });
    const tx = new Transaction();
    tx.setSender(kp.toSuiAddress());
    tx.moveCall({ target: "0x2::object::id", typeArguments: [`0x2::coin::Coin<${SUI}>`], arguments: [tx.object(objects[0]!.objectId)] });
    const sim = await client.core.simulateTransaction({ transaction: tx, include: { commandResults: true } });
    assert.equal(sim.$kind, "Transaction", JSON.stringify(sim.FailedTransaction?.status));
    assert.equal(normalizeSuiAddress(bcs.Address.parse(sim.commandResults![0]!.returnValues[0]!.bcs!)), normalizeSuiAddress(objects[0]!.objectId));

    const no = new Transaction();
    no.setSender(kp.toSuiAddress());
    no.moveCall({ target: "0x2::coin::divide_into_n", typeArguments: [SUI], arguments: [no.gas, no.pure.u64(2n)] });
    await assert.rejects(client.core.simulateTransaction({ transaction: no }), /0x2::coin::divide_into_n exists, but the k3s-daas devnet does not model it/);
  });
});
