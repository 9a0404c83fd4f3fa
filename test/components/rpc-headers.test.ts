// An RPC provider that takes its API key in a header (rpcHeaders): the stake and seal-token
// providers against a devnet that refuses every call without the key, as a provider's gateway
// does. The key is a secret: no check failure or error quotes it.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { stakeProvider, type StakeInputs, type StakeOutputs } from "../../src/components/runtime/stake";
import { sealTokenProvider, type SealTokenInputs, type SealTokenOutputs } from "../../src/components/runtime/seal-token";
import { createSuiClient, readSealToken, readStakeRecord, rpcHeaderProblems } from "../../src/sui";
import { startDevnet, type Devnet } from "../../devnet/chain";
import { workerKey, ONE_SUI } from "../chain/helpers";

const KEY = "k3s-daas-test-key-7f3a9c";
const ROTATED = "k3s-daas-test-key-rotated-21b4";
let devnet: Devnet;
let walletKey: string;

before(async () => {
  devnet = await startDevnet({ host: "127.0.0.1", port: 0, lockEpochs: 1, requireHeaders: { "x-api-key": KEY } });
  const wallet = Ed25519Keypair.generate();
  await devnet.faucet(wallet.toSuiAddress(), 100n * ONE_SUI);
  walletKey = wallet.getSecretKey();
});
after(async () => devnet?.close());

/** The inputs of a stake, with `rpcHeaders` (null: none). */
function stakeInputs(nodeId: string, rpcHeaders: Record<string, string> | null = { "x-api-key": KEY }): StakeInputs {
  const { packageId, poolId, registryId } = devnet.ids;
  return { rpcUrl: devnet.url, transport: "grpc", ...(rpcHeaders ? { rpcHeaders } : {}), packageId, poolId, registryId, walletKey, nodeId, amountMist: (2n * ONE_SUI).toString() };
}

describe("rpcHeaders", () => {
  test("a bad header is named, its value never quoted", async () => {
    const bad = { "X-Api-Key": "SECRET-A", "content-type": "SECRET-B", "grpc-timeout": "1S", "x-line": "SECRET-C\r\nx-evil: 1", "x-empty": "" };
    const problems = rpcHeaderProblems(bad);
    assert.deepEqual(problems.map((p) => p.split(":")[0]), [
      'rpcHeaders["X-Api-Key"]', 'rpcHeaders["content-type"]', 'rpcHeaders["grpc-timeout"]', 'rpcHeaders["x-line"]', 'rpcHeaders["x-empty"]',
    ]);
    const res = await stakeProvider.check({}, { ...stakeInputs("worker-a"), rpcHeaders: bad });
    assert.deepEqual((res.failures ?? []).map((f) => f.property).sort(), ["rpcHeaders.X-Api-Key", "rpcHeaders.content-type", "rpcHeaders.grpc-timeout", "rpcHeaders.x-empty", "rpcHeaders.x-line"]);
    assert.equal(/SECRET/.test(JSON.stringify(res.failures)), false, JSON.stringify(res.failures));
    assert.equal((await stakeProvider.check({}, stakeInputs("worker-a"))).failures, undefined);
    assert.deepEqual(rpcHeaderProblems({ authorization: "Bearer abc.def", "x-api-key": KEY }), []);
  });

  test("a changed key is an in-place update of stake and token; the same headers in another order are no change", async () => {
    const olds = { ...stakeInputs("worker-a", { "x-api-key": KEY, "x-team": "a" }), stakeId: "0x1", staker: "0x2", status: "active", stakedMist: (2n * ONE_SUI).toString(), lockedUntilEpoch: "1", adopted: false } as StakeOutputs;
    assert.deepEqual(await stakeProvider.diff("0x1", olds, stakeInputs("worker-a", { "x-team": "a", "x-api-key": KEY })), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await stakeProvider.diff("0x1", olds, stakeInputs("worker-a", { "x-api-key": ROTATED })), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await stakeProvider.diff("0x1", olds, stakeInputs("worker-a", null)), { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  test("without the key the node refuses the stake, and the error says so without quoting a header", async () => {
    await assert.rejects(stakeProvider.create(stakeInputs("worker-nokey", null)), (err: Error) => {
      assert.match(err.message, new RegExp(`the Sui RPC node ${devnet.url} refused the request \\(UNAUTHENTICATED: missing or invalid API key\\); it wants an API key: set it with .*rpcHeaders`), err.message);
      return true;
    });
    // JSON-RPC (a private node): the gateway's HTTP 401, reworded the same way.
    await assert.rejects(stakeProvider.create({ ...stakeInputs("worker-nokey", null), transport: "jsonrpc" }), /refused the request \(HTTP 401.*set it with/);
    await assert.rejects(stakeProvider.create(stakeInputs("worker-wrong", { "x-api-key": "not-the-key" })), (err: Error) => {
      assert.match(err.message, /does not accept the headers in rpcHeaders \(x-api-key\)/, err.message);
      assert.equal(err.message.includes("not-the-key"), false, err.message);
      return true;
    });
  });

  test("with the key: stake, token, refresh; after the provider rotates the key, an update with the new one carries on", async () => {
    const created = await stakeProvider.create(stakeInputs("worker-k"));
    assert.equal(created.outs.status, "active");
    assert.deepEqual(created.outs.rpcHeaders, { "x-api-key": KEY });
    const tokenIn: SealTokenInputs = { ...stakeInputs("worker-k"), stakeId: created.id, workerPubkey: workerKey() } as SealTokenInputs;
    const token = await sealTokenProvider.create(tokenIn);
    const keyed = createSuiClient(devnet.url, { headers: { "x-api-key": KEY } });
    assert.equal((await readSealToken(keyed, token.id, devnet.ids.packageId))?.nodeId, "worker-k");
    assert.equal(((await stakeProvider.read(created.id, created.outs)).props as StakeOutputs).status, "active");

    devnet.setRequiredHeaders({ "x-api-key": ROTATED });
    try {
      await assert.rejects(stakeProvider.read(created.id, created.outs), /refused the request \(UNAUTHENTICATED.*run `pulumi up` first/, "the old key is refused");
      const rotated = stakeInputs("worker-k", { "x-api-key": ROTATED });
      const up = await stakeProvider.update(created.id, created.outs, rotated);
      assert.deepEqual(up.outs.rpcHeaders, { "x-api-key": ROTATED });
      assert.equal(((await stakeProvider.read(created.id, up.outs)).props as StakeOutputs).status, "active");
      const tokenUp = await sealTokenProvider.update(token.id, token.outs as SealTokenOutputs, { ...tokenIn, rpcHeaders: { "x-api-key": ROTATED } });
      assert.deepEqual((tokenUp.outs as SealTokenOutputs).rpcHeaders, { "x-api-key": ROTATED });
      // A token whose inputs no longer carry headers keeps none in its state.
      const { rpcHeaders: _none, ...withoutHeaders } = tokenIn;
      const dropped = await sealTokenProvider.update(token.id, tokenUp.outs as SealTokenOutputs, withoutHeaders as SealTokenInputs);
      assert.equal("rpcHeaders" in (dropped.outs as object), false);
      await sealTokenProvider.delete(token.id, tokenUp.outs as SealTokenOutputs);
      devnet.advanceEpoch(2);
      await stakeProvider.delete(created.id, up.outs);
      const rec = await readStakeRecord(createSuiClient(devnet.url, { headers: { "x-api-key": ROTATED } }), created.id, devnet.ids.packageId);
      assert.equal(rec?.status, "withdrawn");
    } finally {
      devnet.setRequiredHeaders({ "x-api-key": KEY });
    }
  });
});
