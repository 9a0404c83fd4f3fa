// Issue 23 (medium): StakedWorker's argument validation refuses an RPC URL that carries
// credentials, naming the header to use instead (the stack config's rule, for the component used
// on its own).
import assert from "node:assert/strict";
import { test } from "node:test";
import { validateStakedWorkerArgs, type StakedWorkerArgs } from "../../src/components/staked-worker";

const ID = "0x" + "1".repeat(64);
const NET = { rpcUrl: "https://rpc.example.com", packageId: ID, poolId: "0x2", registryId: "0x3" };
function args(over: Partial<StakedWorkerArgs> = {}): StakedWorkerArgs {
  return {
    nodeId: "worker-1",
    connection: { address: "10.0.0.2", privateKey: "k" },
    network: NET,
    walletKey: "w",
    stakeMist: 1n,
    k3sServerUrl: "https://10.0.0.1:6443",
    k3sToken: "t",
    k3sBinUrl: "https://github.com/k3s-io/k3s/releases/download/v1.31.4%2Bk3s1/k3s",
    ...over,
  } as StakedWorkerArgs;
}

test("good arguments: no message", () => {
  assert.deepEqual(validateStakedWorkerArgs(args()), []);
});

test("an RPC URL with credentials is refused, naming the field and the header to use, never the secret", () => {
  const cases: Array<[Partial<typeof NET> & { agentRpcUrl?: string }, RegExp, string]> = [
    [{ rpcUrl: "https://rpc.example.com/?apikey=SECRET1" }, /^network\.rpcUrl must not carry credentials \(it has a query string\).*'rpcHeaders\.x-api-key'/, "SECRET1"],
    [{ rpcUrl: "https://u:SECRET2@rpc.example.com" }, /^network\.rpcUrl must not carry credentials \(it has a user:password@ part\)/, "SECRET2"],
    [{ agentRpcUrl: "https://agents.example.com/?key=SECRET3" }, /^network\.agentRpcUrl must not carry credentials.*'agentRpcHeaders\.x-api-key'/, "SECRET3"],
  ];
  for (const [net, re, secret] of cases) {
    const msgs = validateStakedWorkerArgs(args({ network: { ...NET, ...net } }));
    assert.ok(msgs.some((m) => re.test(m)), JSON.stringify(msgs));
    assert.ok(!msgs.join("\n").includes(secret));
  }
});
