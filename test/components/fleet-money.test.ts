// fleetMoney: the workers of an `up` against the wallet's ledger (pure, table-tested).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fleetMoney } from "../../src/components/fleet-money";
import type { WalletLedger } from "../../src/sui/ledger";

const SUI = 1_000_000_000n;
const ledger = (nodes: Record<string, [deposited: bigint, withdrawn: bigint, gas: bigint]>, overhead = 7n): WalletLedger => {
  const l: WalletLedger = { address: "0xabc", gasMist: overhead, transactions: 1, overheadGasMist: overhead, nodes: {} };
  for (const [id, [d, w, g]] of Object.entries(nodes)) {
    l.nodes[id] = { nodeId: id, depositedMist: d, withdrawnMist: w, gasMist: g, transactions: 2 };
    l.gasMist += g;
    l.transactions += 2;
  }
  return l;
};

const cases: Array<{ name: string; l: WalletLedger; workers: { name: string; stakedMist: string }[]; want: Record<string, { slashedMist: string | null; stakedMist: string }>; total: { slashedMist: string; stakedMist: string; gasMist: string } }> = [
  {
    name: "a healthy worker: nothing slashed",
    l: ledger({ w1: [2n * SUI, 0n, 100n] }),
    workers: [{ name: "w1", stakedMist: String(2n * SUI) }],
    want: { w1: { slashedMist: "0", stakedMist: "2000000000" } },
    total: { slashedMist: "0", stakedMist: "2000000000", gasMist: "107" },
  },
  {
    name: "a slashed worker: deposited - withdrawn - staked",
    l: ledger({ w1: [3n * SUI, SUI, 100n] }),
    workers: [{ name: "w1", stakedMist: String(SUI / 2n) }],
    want: { w1: { slashedMist: "1500000000", stakedMist: "500000000" } },
    total: { slashedMist: "1500000000", stakedMist: "500000000", gasMist: "107" },
  },
  {
    name: "a stake migrated to this wallet: its deposit is another wallet's, slashed unknown",
    l: ledger({ w1: [0n, 0n, 30n] }),
    workers: [{ name: "w1", stakedMist: String(2n * SUI) }],
    want: { w1: { slashedMist: null, stakedMist: "2000000000" } },
    total: { slashedMist: "0", stakedMist: "2000000000", gasMist: "37" },
  },
  {
    name: "a removed worker: not listed, but its money and gas are in the totals",
    l: ledger({ w1: [2n * SUI, 0n, 100n], gone: [2n * SUI, 2n * SUI, 50n] }),
    workers: [{ name: "w1", stakedMist: String(2n * SUI) }],
    want: { w1: { slashedMist: "0", stakedMist: "2000000000" } },
    total: { slashedMist: "0", stakedMist: "2000000000", gasMist: "157" },
  },
  {
    name: "a new worker with no transaction yet",
    l: ledger({}),
    workers: [{ name: "w9", stakedMist: "" }],
    want: { w9: { slashedMist: null, stakedMist: "0" } },
    total: { slashedMist: "0", stakedMist: "0", gasMist: "7" },
  },
];

for (const c of cases) {
  test(c.name, () => {
    const m = fleetMoney(c.l, c.workers);
    assert.deepEqual(Object.keys(m.workers), Object.keys(c.want));
    for (const [n, w] of Object.entries(c.want)) {
      assert.equal(m.workers[n]!.slashedMist, w.slashedMist, n);
      assert.equal(m.workers[n]!.stakedMist, w.stakedMist, n);
    }
    assert.equal(m.total.slashedMist, c.total.slashedMist);
    assert.equal(m.total.stakedMist, c.total.stakedMist);
    assert.equal(m.total.gasMist, c.total.gasMist);
    assert.equal(m.total.overheadGasMist, "7");
    assert.equal(m.wallet, "0xabc");
  });
}
