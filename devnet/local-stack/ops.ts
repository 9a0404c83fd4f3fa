// What an operator does to the running `npm run dev` stack to watch its monitoring act (README.md,
// "Monitoring"): slash a worker's stake with the devnet's admin key, and advance the devnet's
// epochs (the seal tokens' expiry, the stake lock). Each prints what it did.
//
//   npm run dev:slash -- <worker> [--amount <SUI>] [--reason <text>]
//   npm run dev:advance-epoch -- [n]
//
// The worker is its node id (the host's name, as in `pulumi stack output workers`); its stake is
// found on chain through the pool's node table. Reads devnet/.state/local-stack.json, written by
// devnet/local-stack/main.ts while the local stack runs.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ChainSession, createSuiClient, currentEpoch, formatSui, keypairFromSecret, readStakeRecord, stakeIdForNode, type ChainIds } from "../../src/sui";
import type { LocalStackState } from "./main";

const ROOT = resolve(__dirname, "../..");
// K3S_DAAS_LOCAL_STACK_STATE: another state file (the tests run these commands on a devnet of their own).
const STATE_FILE = process.env.K3S_DAAS_LOCAL_STACK_STATE ?? join(ROOT, "devnet", ".state", "local-stack.json");
const MIST_PER_SUI = 1_000_000_000n;
const say = (line: string) => process.stdout.write(`${line}\n`);

function state(): LocalStackState {
  if (!existsSync(STATE_FILE)) throw new Error("the local stack is not running: start it with `npm run dev`");
  return JSON.parse(readFileSync(STATE_FILE, "utf8")) as LocalStackState;
}

/** "1", "0.5", "2.25" SUI to MIST, exactly. */
export function parseSui(text: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!m) throw new Error(`--amount ${JSON.stringify(text)}: give SUI as a decimal number, e.g. 0.5`);
  return BigInt(m[1]!) * MIST_PER_SUI + BigInt((m[2] ?? "").padEnd(9, "0"));
}

function options(args: string[]): { positional: string[]; opts: Record<string, string> } {
  const positional: string[] = [];
  const opts: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) { positional.push(a); continue; }
    const v = m[2] ?? args[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    opts[m[1]!] = v;
  }
  return { positional, opts };
}

async function slash(args: string[]): Promise<void> {
  const { positional, opts } = options(args);
  const worker = positional[0];
  const unknown = Object.keys(opts).filter((k) => k !== "amount" && k !== "reason");
  if (!worker || positional.length > 1 || unknown.length) throw new Error("usage: npm run dev:slash -- <worker> [--amount <SUI>] [--reason <text>]");
  const amountMist = parseSui(opts.amount ?? "1");
  const reason = opts.reason ?? "dev: slashed by hand to try the monitoring";
  const s = state();
  if (!s.adminSecretKey || !s.adminCapId) {
    throw new Error("this local stack was started before it kept the devnet's admin key: restart it (npm run dev:down && npm run dev)");
  }
  const ids: ChainIds = { packageId: s.packageId, poolId: s.poolId, registryId: s.registryId, adminCapId: s.adminCapId };
  const client = createSuiClient(s.rpcUrl);
  const stakeId = await stakeIdForNode(client, ids, worker);
  if (!stakeId) throw new Error(`no stake on chain for worker ${JSON.stringify(worker)} (workers: ${s.hosts.map((h) => h.name).join(", ")})`);
  const before = await readStakeRecord(client, stakeId, ids.packageId);
  if (!before) throw new Error(`stake ${stakeId} of worker ${worker} is gone from chain`);
  if (before.status !== "active") throw new Error(`the stake of worker ${worker} is ${before.status}, not active: nothing to slash`);
  say(`slashing worker ${worker}: stake ${stakeId}, ${formatSui(before.amountMist)} staked; taking ${formatSui(amountMist)} ("${reason}")`);
  const admin = new ChainSession(client, keypairFromSecret(s.adminSecretKey), ids);
  const tx = await admin.slashStake({ stakeId, amountMist, reason });
  const after = await readStakeRecord(client, stakeId, ids.packageId);
  say(`transaction ${tx.digest} (gas ${formatSui(tx.gasUsed.netMist)})`);
  say(`stake ${stakeId}: status ${after?.status ?? "gone"}, ${after ? formatSui(after.amountMist) : "-"} left, locked until epoch ${after?.lockedUntilEpoch ?? "-"}`);
  say(`the worker's agent stops k3s within seconds; K3sDaasStakeSlashed fires after its 1 minute 'for:'.`);
  say(`watch: kubectl --kubeconfig ${s.kubeconfig} get nodes   (the Node ${worker} leaves)`);
}

async function advanceEpoch(args: string[]): Promise<void> {
  if (args.length > 1 || (args[0] !== undefined && !/^\d+$/.test(args[0]))) throw new Error("usage: npm run dev:advance-epoch -- [n]   (n epochs, default 1)");
  const n = Number(args[0] ?? 1);
  if (n < 1 || n > 10_000) throw new Error("n must be 1..10000");
  const s = state();
  const from = await currentEpoch(createSuiClient(s.rpcUrl));
  const res = await fetch(`${s.rpcUrl}/devnet/advance-epoch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ epochs: n }) });
  if (!res.ok) throw new Error(`advance-epoch: HTTP ${res.status} ${await res.text()}`);
  const { epoch } = (await res.json()) as { epoch: string };
  say(`devnet epoch ${from} -> ${epoch} (${n} advanced)`);
  say("the agents read the new epoch when the old one was due to end or at their next chain read (60 s at most):");
  say("k3s_daas_seal_token_remaining_epochs drops; 5 or fewer fires K3sDaasSealTokenExpiring, 0 K3sDaasSealTokenExpired.");
}

const commands: Record<string, (args: string[]) => Promise<void>> = { slash, "advance-epoch": advanceEpoch };
if (require.main === module) {
  const cmd = commands[process.argv[2] ?? ""];
  if (!cmd) {
    process.stderr.write("usage: ops.ts slash <worker> [--amount <SUI>] [--reason <text>] | advance-epoch [n]\n");
    process.exit(2);
  }
  cmd(process.argv.slice(3)).then(() => process.exit(0), (err: Error) => {
    process.stderr.write(`[local-stack] ${err.message}\n`);
    process.exit(1);
  });
}
