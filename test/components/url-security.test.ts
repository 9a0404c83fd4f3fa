// Issue 23 (medium): a component's arguments refuse an RPC URL that carries credentials, naming
// the header to use instead (the stack config's rule, for the component used on its own).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { argumentProblems, workerSettingsSchema, type StakedWorkerArgs } from "../../src/settings";
import { runtimeSshKey } from "../support/keys";

const ID = "0x" + "1".repeat(64);
// Made at run time: no key material is committed.
const SSH_KEY = runtimeSshKey().pem;
const WALLET_KEY = Ed25519Keypair.generate().getSecretKey();
const NET = { rpcUrl: "https://rpc.example.com", packageId: ID, poolId: "0x2", registryId: "0x3" };
function args(over: Partial<StakedWorkerArgs> = {}): StakedWorkerArgs {
  return {
    host: { name: "worker-1", address: "10.0.0.2" },
    sshPrivateKey: SSH_KEY,
    network: NET,
    walletKey: WALLET_KEY,
    stakePerNodeSui: "1",
    k3s: { serverUrl: "https://10.0.0.1:6443" },
    k3sToken: "t",
    ...over,
  };
}
const problems = (a: StakedWorkerArgs) => {
  const r = workerSettingsSchema.safeParse(a);
  return r.success ? [] : argumentProblems(r.error);
};

test("good arguments: no message", () => {
  assert.deepEqual(problems(args()), []);
});

test("an RPC URL with credentials is refused, naming the field and the header to use, never the secret", () => {
  const cases: Array<[Partial<typeof NET> & { agentRpcUrl?: string }, RegExp, string]> = [
    [{ rpcUrl: "https://rpc.example.com/?apikey=SECRET1" }, /^network\.rpcUrl must not carry credentials \(it has a query string\).*'rpcHeaders\.x-api-key'/, "SECRET1"],
    [{ rpcUrl: "https://u:SECRET2@rpc.example.com" }, /^network\.rpcUrl must not carry credentials \(it has a user:password@ part\)/, "SECRET2"],
    [{ agentRpcUrl: "https://agents.example.com/?key=SECRET3" }, /^network\.agentRpcUrl must not carry credentials.*'agentRpcHeaders\.x-api-key'/, "SECRET3"],
  ];
  for (const [net, re, secret] of cases) {
    const msgs = problems(args({ network: { ...NET, ...net } }));
    assert.ok(msgs.some((m) => re.test(m)), JSON.stringify(msgs));
    assert.ok(!msgs.join("\n").includes(secret));
  }
});
