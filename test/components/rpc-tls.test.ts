// The stake provider against a node served over TLS (as real full nodes are, https://), through
// a TLS front on the devnet whose certificate comes from a CA made here: refused as unverifiable
// until the CA is given as rpcCaCertificates, then staked and withdrawn over TLS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { stakeProvider, type StakeInputs } from "../../src/components/runtime/stake";
import { caCertificateProblems } from "../../src/sui/ca";
import { startDevnet, type Devnet } from "../../devnet/chain";
import { startRpcProxy, type RpcProxy } from "../agent/rpc-proxy";
import { makeCertificates } from "../support/tls";
import { ONE_SUI } from "../chain/helpers";

let devnet: Devnet, proxy: RpcProxy, dir: string, ca: string, walletKey: string;

before(async () => {
  devnet = await startDevnet({ host: "127.0.0.1", port: 0, lockEpochs: 1 });
  dir = mkdtempSync(join(tmpdir(), "rpc-tls-"));
  const certs = makeCertificates(dir);
  ca = readFileSync(certs.ca, "utf8");
  proxy = await startRpcProxy(devnet.url, { tls: { key: certs.key, cert: certs.cert } });
  const wallet = Ed25519Keypair.generate();
  await devnet.faucet(wallet.toSuiAddress(), 100n * ONE_SUI);
  walletKey = wallet.getSecretKey();
});
after(async () => {
  await proxy?.close();
  await devnet?.close();
  rmSync(dir, { recursive: true, force: true });
});

function inputs(nodeId: string, rpcCaCertificates?: string): StakeInputs {
  const { packageId, poolId, registryId } = devnet.ids;
  return { rpcUrl: proxy.url, transport: "grpc", ...(rpcCaCertificates ? { rpcCaCertificates } : {}), packageId, poolId, registryId, walletKey, nodeId, amountMist: (2n * ONE_SUI).toString() };
}

test("rpcCaCertificates must be PEM certificates; a key or junk is named", async () => {
  assert.deepEqual(caCertificateProblems(ca), []);
  assert.deepEqual(caCertificateProblems(ca + "\n" + ca), [], "a bundle of several");
  assert.match(caCertificateProblems("hello")[0]!, /at least one PEM certificate/);
  assert.match(caCertificateProblems(ca + "\n-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n")[0]!, /PEM certificates only/);
  assert.match(caCertificateProblems("-----BEGIN CERTIFICATE-----\nnot base64 der\n-----END CERTIFICATE-----")[0]!, /certificate 1 is not a valid X\.509 certificate/);
  const res = await stakeProvider.check({}, { ...inputs("worker-a"), rpcCaCertificates: "junk" });
  assert.deepEqual(res.failures?.map((f) => f.property), ["rpcCaCertificates"]);
});

test("over https without the CA the node's certificate is refused; with it the stake is made, read and withdrawn over TLS", async () => {
  assert.match(proxy.url, /^https:/);
  await assert.rejects(stakeProvider.create(inputs("worker-tls")), (err: Error) => {
    assert.match(err.message, new RegExp(`^the Sui RPC node ${proxy.url} presented a TLS certificate this machine does not accept \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\); it is not signed by a public CA: if it comes from a private CA, set rpcCaCertificates`), err.message);
    return true;
  });
  const otherCa = readFileSync(makeCertificates(mkdtempSync(join(dir, "other-"))).ca, "utf8");
  await assert.rejects(stakeProvider.create(inputs("worker-tls", otherCa)), /UNABLE_TO_VERIFY_LEAF_SIGNATURE\); it is not signed by the CAs in rpcCaCertificates/);
  const created = await stakeProvider.create(inputs("worker-tls", ca));
  assert.equal(created.outs.status, "active");
  assert.ok((proxy.calls.get("/sui.rpc.v2.TransactionExecutionService/ExecuteTransaction") ?? 0) > 0, "the transaction went through the TLS front");
  assert.deepEqual(await stakeProvider.diff(created.id, created.outs, inputs("worker-tls")), { changes: true, replaces: [], deleteBeforeReplace: false }, "a CA change is in place");
  devnet.advanceEpoch(2);
  await stakeProvider.delete(created.id, created.outs);
});
