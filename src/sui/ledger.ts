// What a fleet's wallet has spent and moved, from the chain alone: every transaction the wallet
// sent (the ledger's ListTransactions by sender, effects and events), its gas from the effects,
// and the SUI it staked and got back from the k3s_daas events it emitted. A transaction is the
// worker's whose node id its events name; one that names none (gas-coin splits of the parallel
// executor) is the fleet's overhead. Nothing here is remembered between runs: the chain is the
// record, so the figures are the same from any machine and survive a lost state.
import { bcs } from "@mysten/sui/bcs";
import type { ClientWithCoreApi } from "@mysten/sui/client";
import { normalizeSuiAddress } from "@mysten/sui/utils";

/** One worker's part of the wallet's transactions. MIST throughout. */
export interface NodeLedger {
  nodeId: string;
  /** Staked by this wallet: StakeCreated and StakeAdded amounts. */
  depositedMist: bigint;
  /** Paid back to this wallet: StakeReduced (partial) and StakeWithdrawn amounts. */
  withdrawnMist: bigint;
  /** Net gas (computation + storage - rebate) of the transactions naming this node. */
  gasMist: bigint;
  transactions: number;
}

export interface WalletLedger {
  address: string;
  /** Net gas of every transaction the wallet sent (failed ones too: they pay gas). */
  gasMist: bigint;
  transactions: number;
  /** Gas of the transactions that name no node (gas-coin management). */
  overheadGasMist: bigint;
  nodes: Record<string, NodeLedger>;
}

// Every k3s_daas event that moves SUI in or out of a stake starts with these fields; the ledger
// reads only the prefix it needs (BCS reads a prefix of a struct exactly).
const StakeAmountPrefix = bcs.struct("StakeAmountPrefix", {
  stake_id: bcs.Address, pool_id: bcs.Address, staker: bcs.Address, node_id: bcs.string(), amount: bcs.u64(),
});
// The node id of the events that move no SUI: StakeTransferred (stake_id, pool_id, node_id, ...),
// SealTokenCreated and SealTokenRevoked (token_id, stake_id, node_id, ...).
const NodeAfterTwoIds = bcs.struct("NodeAfterTwoIds", { a: bcs.Address, b: bcs.Address, node_id: bcs.string() });

const DEPOSITS = new Set(["staking::StakeCreated", "staking::StakeAdded"]);
const WITHDRAWALS = new Set(["staking::StakeReduced", "staking::StakeWithdrawn"]);
const NAMING = new Set(["staking::WithdrawalRequested"]);
const NODE_ONLY = new Set(["staking::StakeTransferred", "k8s_gateway::SealTokenCreated", "k8s_gateway::SealTokenRevoked"]);

/** `<pkg>::module::Name` of the package, as `module::Name`; undefined for another package's. */
function ownEvent(type: string, pkg: string): string | undefined {
  const i = type.indexOf("::");
  if (i < 0 || normalizeSuiAddress(type.slice(0, i)) !== pkg) return undefined;
  return type.slice(i + 2);
}

export async function readWalletLedger(client: ClientWithCoreApi, packageId: string, address: string, opts: { pageSize?: number } = {}): Promise<WalletLedger> {
  const pkg = normalizeSuiAddress(packageId);
  const owner = normalizeSuiAddress(address);
  const ledger: WalletLedger = { address: owner, gasMist: 0n, transactions: 0, overheadGasMist: 0n, nodes: {} };
  const node = (id: string): NodeLedger => (ledger.nodes[id] ??= { nodeId: id, depositedMist: 0n, withdrawnMist: 0n, gasMist: 0n, transactions: 0 });
  let after: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof client.core.listTransactions<{ effects: true; events: true }>>> = await client.core.listTransactions({
      filter: { $kind: "sender", sender: owner } as never,
      include: { effects: true, events: true },
      limit: opts.pageSize ?? 50,
      ...(after ? { after } : {}),
    });
    for (const t of page.transactions) {
      const tx = (t.Transaction ?? t.FailedTransaction)!;
      const g = tx.effects.gasUsed;
      const gas = BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate);
      ledger.gasMist += gas;
      ledger.transactions += 1;
      let named: string | undefined;
      for (const e of tx.events ?? []) {
        const kind = ownEvent(e.eventType, pkg);
        if (!kind) continue;
        if (DEPOSITS.has(kind) || WITHDRAWALS.has(kind) || NAMING.has(kind)) {
          const ev = StakeAmountPrefix.parse(e.bcs);
          named ??= ev.node_id;
          if (DEPOSITS.has(kind)) node(ev.node_id).depositedMist += BigInt(ev.amount);
          if (WITHDRAWALS.has(kind)) node(ev.node_id).withdrawnMist += BigInt(ev.amount);
        } else if (NODE_ONLY.has(kind)) named ??= NodeAfterTwoIds.parse(e.bcs).node_id;
      }
      if (named === undefined) ledger.overheadGasMist += gas;
      else {
        node(named).gasMist += gas;
        node(named).transactions += 1;
      }
    }
    after = page.hasNextPage ? page.endCursor : null;
  } while (after);
  return ledger;
}

// staking::StakeSlashed: stake_id, pool_id, node_id, amount, remaining, reason.
const StakeSlashedPrefix = bcs.struct("StakeSlashedPrefix", { stake_id: bcs.Address, pool_id: bcs.Address, node_id: bcs.string(), amount: bcs.u64() });

/**
 * MIST slashed from each of `stakeIds`, summed from the package's StakeSlashed events (the
 * ledger's ListEvents by event type: slashes are the admin's transactions, not the wallet's).
 * Only the given stakes are counted; an id with no slash maps to 0.
 */
export async function readSlashes(client: ClientWithCoreApi, packageId: string, stakeIds: readonly string[], opts: { pageSize?: number } = {}): Promise<Record<string, bigint>> {
  const wanted = new Map(stakeIds.map((id) => [normalizeSuiAddress(id), id]));
  const out: Record<string, bigint> = Object.fromEntries(stakeIds.map((id) => [id, 0n]));
  if (wanted.size === 0) return out;
  let after: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof client.core.listEvents>> = await client.core.listEvents({
      filter: { eventType: `${normalizeSuiAddress(packageId)}::staking::StakeSlashed` },
      limit: opts.pageSize ?? 50,
      ...(after ? { after } : {}),
    });
    for (const e of page.events) {
      const ev = StakeSlashedPrefix.parse(e.bcs);
      const id = wanted.get(normalizeSuiAddress(ev.stake_id));
      if (id !== undefined) out[id] = out[id]! + BigInt(ev.amount);
    }
    after = page.hasNextPage ? page.endCursor : null;
  } while (after);
  return out;
}

