// src/sui's object watch: one checkpoint stream, filtered by the node to the watched objects, or
// filtered here when the node refuses subscription filters; changes to other objects are quiet.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startDevnet, type Devnet } from "../../devnet/chain/index.js";
import { ChainSession, createSuiClient, httpFetch, watchObjects } from "../../src/sui/index.js";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";

const ONE_SUI = 1_000_000_000n;

// Both HTTP clients: the global fetch (the SDK's transport) and node:http (the agent's).
for (const [serverFilters, viaNodeHttp] of [[true, false], [false, false], [true, true], [false, true]] as const) {
  describe(`watchObjects, ${serverFilters ? "filtered by the node" : "node without subscription filters"}, ${viaNodeHttp ? "node:http" : "global fetch"}`, () => {
    let devnet: Devnet;
    after(() => devnet.close());

    test("a change to a watched object is pushed; a change to another object is not", async () => {
      devnet = await startDevnet({ host: "127.0.0.1", port: 0, noSubscriptionFilters: !serverFilters });
      const client = createSuiClient(devnet.url, viaNodeHttp ? { fetch: httpFetch } : {});
      const kp = Ed25519Keypair.generate();
      await devnet.faucet(kp.toSuiAddress(), 100n * ONE_SUI);
      const s = new ChainSession(client, kp, devnet.ids);
      const { stakeId: watched } = await s.stakeForNode({ nodeId: "watched", amountMist: 2n * ONE_SUI });
      const { stakeId: other } = await s.stakeForNode({ nodeId: "other", amountMist: 2n * ONE_SUI });
      const changes: string[][] = [];
      let opened = 0;
      let closedWith: Error | null | undefined;
      const close = watchObjects(client, [watched], {
        onOpen: () => void (opened += 1),
        onChange: (ids) => void changes.push(ids),
        onClose: (err) => void (closedWith = err),
      });
      try {
        const admin = new ChainSession(client, Ed25519Keypair.fromSecretKey(devnet.adminSecretKey), devnet.ids);
        await new Promise((r) => setTimeout(r, 200));
        await admin.slashStake({ stakeId: other, amountMist: ONE_SUI, reason: "not watched" });
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(changes, [], "a slash of another stake is not pushed");
        const t0 = Date.now();
        await admin.slashStake({ stakeId: watched, amountMist: ONE_SUI, reason: "watched" });
        while (!changes.length && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(changes, [[watched]]);
        assert.ok(Date.now() - t0 < 1_000, `pushed after ${Date.now() - t0} ms`);
        assert.ok(opened >= 1);
        assert.equal(closedWith, undefined, "the stream stayed open");
      } finally {
        close();
      }
      assert.equal(closedWith, null, "closing is not an error");
    });
  });
}
