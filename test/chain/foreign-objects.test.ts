// src/sui reads k3s_daas objects only of the package they must come from (issue 23): an object
// of another package with the same module, struct names and fields (a copy of move/ published
// by anyone) is an ObjectTypeError naming both types, on every transport, and no read can skip
// the check (the package id is required).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import {
  ObjectTypeError, SUI_TRANSPORTS, createSuiClient, findLiveStake, readPool, readRegistry, readSealToken, readStakeRecord, readWorkerObjects,
} from "../../src/sui/index.js";
import type { PackageFields } from "../../devnet/chain/objects.js";
import { fundedWallet, session, startEnv, workerKey, type Env } from "./helpers.js";

let env: Env;
let copy: string;
let genuine: { stakeId: string; sealTokenId: string; staker: string };
const forged: Record<"stake" | "token" | "registry" | "pool", string> = { stake: "", token: "", registry: "", pool: "" };

before(async () => {
  env = await startEnv();
  const kp = await fundedWallet(env);
  const s = session(env, kp);
  const { stakeId } = await s.stakeForNode({ nodeId: "worker-real", amountMist: 2_000_000_000n });
  const { sealTokenId } = await s.mintSealToken({ stakeId, workerPubkey: workerKey() });
  genuine = { stakeId, sealTokenId, staker: kp.toSuiAddress() };
  const chain = env.devnet.chain;
  copy = chain.publishPackageCopy();
  const staker = kp.toSuiAddress();
  forged.stake = chain.forgeObject({
    packageId: copy, layout: "StakeRecord", owner: "shared",
    fields: { pool_id: env.devnet.ids.poolId, staker, node_id: "worker-real", amount: 9_000_000_000n, status: 1, staked_at: 0n, locked_until: 1n,
      withdrawal_requested: 0n, claimable_at: 0n },
  });
  forged.token = chain.forgeObject({
    packageId: copy, layout: "SealToken", owner: { address: staker },
    fields: { stake_id: stakeId, node_id: "worker-real", worker_pubkey: new Uint8Array(32).fill(7), permissions: ["node:join", "node:heartbeat"], issued_at: 0n, expires_at: 30n },
  });
  forged.registry = chain.forgeObject({
    packageId: copy, layout: "NautilusRegistry", owner: "shared",
    fields: { endpoint: "https://evil.example", enclave_pubkey: new Uint8Array(32).fill(9), updated_at: 0n },
  });
  forged.pool = chain.forgeObject({
    packageId: copy, layout: "StakingPool", owner: "shared",
    fields: {
      balance: 0n, slashed: 0n, min_node_stake: 1n, lock_epochs: 0n, withdrawal_cooldown_epochs: 0n, node_stakes: { id: normalizeSuiAddress("0x77"), size: 0n },
      total_staked: 0n, total_slashed: 0n, active_stakes: 0n,
    },
  });
});

after(async () => {
  await env?.devnet.close();
});

test("the copy is a package on chain with k3s_daas's modules under its own id", () => {
  const pkg = env.devnet.chain.objects.get(copy)!;
  assert.equal(pkg.layout, "package");
  const fields = pkg.fields as unknown as PackageFields;
  assert.deepEqual(fields.modules.map((m) => m.name), ["k8s_gateway", "staking"]);
  assert.ok(fields.typeOrigins.every((t) => t.package === copy));
});

for (const transport of SUI_TRANSPORTS) {
  describe(`over ${transport}`, () => {
    const client = () => createSuiClient(env.devnet.url, { transport });
    const pkg = () => env.devnet.ids.packageId;
    const isForeign = (module: string, struct: string) => (e: unknown) => {
      assert.ok(e instanceof ObjectTypeError, String(e));
      assert.equal(e.actualType, `${copy}::${module}::${struct}`);
      assert.equal(e.expectedType, `${pkg()}::${module}::${struct}`);
      assert.match(e.message, /comes from another package than the configured k3s_daas package/);
      return true;
    };

    test("genuine objects read as before", async () => {
      assert.equal((await readStakeRecord(client(), genuine.stakeId, pkg()))?.staker, genuine.staker);
      assert.equal((await readSealToken(client(), genuine.sealTokenId, pkg()))?.owner, genuine.staker);
      await readRegistry(client(), env.devnet.ids.registryId, pkg());
      await readPool(client(), env.devnet.ids.poolId, pkg());
    });

    test("objects of the copy are refused, whichever read", async () => {
      await assert.rejects(readStakeRecord(client(), forged.stake, pkg()), isForeign("staking", "StakeRecord"));
      await assert.rejects(readSealToken(client(), forged.token, pkg()), isForeign("k8s_gateway", "SealToken"));
      await assert.rejects(readRegistry(client(), forged.registry, pkg()), isForeign("k8s_gateway", "NautilusRegistry"));
      await assert.rejects(readPool(client(), forged.pool, pkg()), isForeign("staking", "StakingPool"));
      await assert.rejects(readWorkerObjects(client(), { stakeId: genuine.stakeId, sealTokenId: forged.token, registryId: env.devnet.ids.registryId }, pkg()),
        isForeign("k8s_gateway", "SealToken"));
      await assert.rejects(findLiveStake(client(), { ...env.devnet.ids, poolId: forged.pool }, { nodeId: "worker-real", staker: genuine.staker }),
        isForeign("staking", "StakingPool"));
    });

    test("checked against the copy's id, the copy's objects read and the genuine ones are refused", async () => {
      // The check is the exact type, not a suffix: each package sees only its own objects.
      assert.equal((await readStakeRecord(client(), forged.stake, copy))?.amountMist, 9_000_000_000n);
      await assert.rejects(readStakeRecord(client(), genuine.stakeId, copy), ObjectTypeError);
    });

    test("no read skips the check: the package id is required", async () => {
      const read = readStakeRecord as (c: unknown, id: string, p?: string) => Promise<unknown>;
      await assert.rejects(read(client(), genuine.stakeId), /package id \(its original id\) is required/);
      await assert.rejects((readSealToken as (c: unknown, id: string, p?: string) => Promise<unknown>)(client(), genuine.sealTokenId, ""), TypeError);
    });
  });
}
