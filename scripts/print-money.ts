// The `money` stack output (what each worker has cost and holds, read from the chain at the end
// of the up) as a few lines an operator reads: `npm run dev` prints it after the up.
import { readFileSync } from "node:fs";

const sui = (mist: string | null | undefined) => (mist === null || mist === undefined ? "?" : `${(Number(BigInt(mist)) / 1e9).toFixed(9).replace(/\.?0+$/, "")} SUI`);
const text = readFileSync(0, "utf8").trim();
const money = text ? (JSON.parse(text) as { wallet: string; workers: Record<string, Record<string, string | null>>; total: Record<string, string> } | null) : null;
if (!money) {
  process.stdout.write("Money: not read this time (see the up's warnings); the next up reads it again.\n");
} else {
  process.stdout.write(`Money (wallet ${money.wallet}, from its transactions on chain):\n`);
  for (const [name, w] of Object.entries(money.workers)) {
    process.stdout.write(`  ${name.padEnd(12)} staked ${sui(w.stakedMist)}, withdrawn ${sui(w.withdrawnMist)}, slashed ${sui(w.slashedMist)}, gas ${sui(w.gasMist)}\n`);
  }
  const t = money.total;
  process.stdout.write(`  ${"total".padEnd(12)} staked ${sui(t.stakedMist)}, withdrawn ${sui(t.withdrawnMist)}, slashed ${sui(t.slashedMist)}, gas ${sui(t.gasMist)} (of which gas-coin upkeep ${sui(t.overheadGasMist)}) in ${t.transactions} transactions\n`);
}
