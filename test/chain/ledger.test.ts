// The wallet's ledger read from the chain (src/sui/ledger.ts): every transaction the wallet sent,
// its gas attributed to the worker its k3s_daas events name, and the SUI staked and paid back.
// Checked against what the transactions themselves returned when they ran (their effects' gas),
// over both transports.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ChainSession, keypairFromSecret, readSlashes, readWalletLedger, type TxOutcome } from "../../src/sui";
import { fleetMoney } from "../../src/components/fleet-money";
import { fundedWallet, ONE_SUI, session, startEnv, workerKey, type Env } from "./helpers";

for (const transport of ["grpc", "jsonrpc"] as const) {
  describe(`wallet ledger (${transport})`, () => {
    let env: Env;
    before(async () => {
      env = await startEnv({ lockEpochs: 1, transport });
    });
    after(async () => env?.devnet.close());

    test("per worker: deposits, withdrawals and the gas of exactly its transactions; the rest is overhead; totals add up", async () => {
      const wallet = await fundedWallet(env);
      const s = session(env, wallet);
      const gas = (os: TxOutcome[]) => os.reduce((sum, o) => sum + o.gasUsed.netMist, 0n);
      const a1 = await s.stakeForNode({ nodeId: "ledger-1", amountMist: 2n * ONE_SUI });
      const a2 = await s.addStake({ stakeId: a1.stakeId, amountMist: ONE_SUI });
      const a3 = await s.mintSealToken({ stakeId: a1.stakeId, workerPubkey: workerKey() });
      const b1 = await s.stakeForNode({ nodeId: "ledger-2", amountMist: 2n * ONE_SUI });
      env.devnet.advanceEpoch(1);
      const a4 = await s.requestWithdrawal({ stakeId: a1.stakeId, amountMist: ONE_SUI });
      const a5 = await s.claimWithdrawal(a1.stakeId);
      const b2 = await s.requestWithdrawal({ stakeId: b1.stakeId, amountMist: 2n * ONE_SUI });
      const b3 = await s.claimWithdrawal(b1.stakeId);
      const b4 = await s.stakeForNode({ nodeId: "ledger-2", amountMist: ONE_SUI }); // staked again
      await s.flush();

      const l = await readWalletLedger(env.client, env.devnet.ids.packageId, wallet.toSuiAddress(), { pageSize: 3 });
      assert.deepEqual(
        { ...l.nodes["ledger-1"], gasMist: l.nodes["ledger-1"]!.gasMist },
        { nodeId: "ledger-1", depositedMist: 3n * ONE_SUI, withdrawnMist: ONE_SUI, gasMist: gas([a1, a2, a3, a4, a5]), transactions: 5 },
      );
      assert.deepEqual(l.nodes["ledger-2"], { nodeId: "ledger-2", depositedMist: 3n * ONE_SUI, withdrawnMist: 2n * ONE_SUI, gasMist: gas([b1, b2, b3, b4]), transactions: 4 });
      assert.equal(Object.keys(l.nodes).length, 2);
      assert.equal(l.gasMist, gas([a1, a2, a3, a4, a5, b1, b2, b3, b4]) + l.overheadGasMist, "every transaction is a worker's or overhead");
      assert.equal(l.transactions >= 9, true);

      // As the fleet reports it: ledger-1 holds 2 SUI now, ledger-2 1 SUI; nothing slashed.
      const m = fleetMoney(l, [{ name: "ledger-1", stakedMist: String(2n * ONE_SUI) }, { name: "ledger-2", stakedMist: String(ONE_SUI) }]);
      assert.deepEqual(m.workers["ledger-1"], { stakedMist: "2000000000", depositedMist: "3000000000", withdrawnMist: "1000000000", slashedMist: "0", gasMist: gas([a1, a2, a3, a4, a5]).toString(), transactions: 5 });
      assert.equal(m.total.gasMist, l.gasMist.toString());
      assert.equal(m.total.slashedMist, "0");
      assert.equal(m.total.stakedMist, "3000000000");
    });

    test("slashes from the package's StakeSlashed events (the admin's transactions): per stake asked for, 0 for none", async () => {
      const wallet = await fundedWallet(env);
      const s = session(env, wallet);
      const a = await s.stakeForNode({ nodeId: "slashed-a", amountMist: 3n * ONE_SUI });
      const b = await s.stakeForNode({ nodeId: "slashed-b", amountMist: 2n * ONE_SUI });
      const other = await s.stakeForNode({ nodeId: "slashed-other", amountMist: 2n * ONE_SUI });
      const admin = new ChainSession(env.client, keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);
      await admin.slashStake({ stakeId: a.stakeId, amountMist: ONE_SUI / 2n, reason: "test: one" });
      await admin.slashStake({ stakeId: other.stakeId, amountMist: ONE_SUI, reason: "test: not asked for" });
      await admin.flush();
      const got = await readSlashes(env.client, env.devnet.ids.packageId, [a.stakeId, b.stakeId], { pageSize: 1 });
      assert.deepEqual(got, { [a.stakeId]: ONE_SUI / 2n, [b.stakeId]: 0n });
      const m = fleetMoney(await readWalletLedger(env.client, env.devnet.ids.packageId, wallet.toSuiAddress()), [
        { name: "slashed-a", stakedMist: String(3n * ONE_SUI - ONE_SUI / 2n), slashedMist: got[a.stakeId] },
        { name: "slashed-b", stakedMist: String(2n * ONE_SUI), slashedMist: got[b.stakeId] },
      ]);
      assert.equal(m.workers["slashed-a"]!.slashedMist, String(ONE_SUI / 2n));
      assert.equal(m.workers["slashed-b"]!.slashedMist, "0");
      assert.equal(m.total.slashedMist, String(ONE_SUI / 2n), "the total of the workers asked for");
    });
  });
}
