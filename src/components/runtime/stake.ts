// The stake resource's provider logic: stake SUI for a node id from the operator's wallet.
// Loaded by the dynamic provider through the bundled runtime (see ../stake.ts for why).
import { z } from "zod";
import {
  findLiveStake, readStakeRecord, readPool, ChainError, formatSui, currentEpoch, lockedMessage, belowMinimumMessage, keypairFromSecret,
  type StakeRecord,
} from "../../sui";
import { chainInputsShape, checkInputs, headersChanged, nodeIdSchema, UNKNOWN, type ChainInputs } from "./chain-inputs";
import { explainingAuthRefusals } from "./rpc-errors";
import { chainIds, clientFor, withSession } from "./sessions";
import { acquireSlot, failRollout, holdsSlot } from "./rollout";

const stakeInputsSchema = z
  .object({
    ...chainInputsShape,
    nodeId: nodeIdSchema,
    amountMist: z.string().regex(/^[1-9][0-9]*$/, "must be a positive whole number of MIST, as a string"),
    allowWalletMigration: z.boolean().optional(),
    // The worker's rollout (see ./rollout.ts): a wallet migration takes the worker out of
    // service, so it waits for a slot like any other rollout. Absent: no slot is taken.
    rolloutFleet: z.string().min(1).optional(),
    maxUnavailable: z.number().int().min(1).optional(),
    rolloutTimeoutSeconds: z.number().int().min(1).optional(),
  })
  .strict();

export interface StakeInputs extends ChainInputs {
  nodeId: string;
  amountMist: string;
  allowWalletMigration?: boolean;
  rolloutFleet?: string;
  maxUnavailable?: number;
  rolloutTimeoutSeconds?: number;
}

export interface StakeOutputs extends StakeInputs {
  stakeId: string;
  staker: string;
  status: string;
  stakedMist: string;
  lockedUntilEpoch: string;
  adopted: boolean;
}

// A change to any of these is a different stake. The amount is not among them: it changes in
// place (a top-up, or a partial withdrawal once the lock allows); nor is the wallet: a migration
// is an update of this resource (old stake withdrawn, the new wallet's staked, one worker at a
// time), since the pool holds one live stake per node id and a replacement could not keep
// to maxUnavailable.
const REPLACE_KEYS = ["nodeId", "packageId", "poolId"] as const;
const UPDATE_KEYS = ["rpcUrl", "transport", "rpcCaCertificates", "registryId", "adminCapId"] as const;
/** Gas on top of the amount a staking wallet must hold (0.1 SUI). */
const GAS_MARGIN_MIST = 100_000_000n;

/**
 * The amount the stake should be changed from: what the chain held at the last create, update
 * or refresh (`stakedMist`), so an adopted or refreshed stake of another amount converges too.
 * A stake that is no longer active cannot change amount; its drift is the status.
 */
function amountChanged(olds: StakeOutputs, news: StakeInputs): boolean {
  if (olds.amountMist !== news.amountMist) return true;
  return olds.status === "active" && olds.stakedMist !== undefined && olds.stakedMist !== news.amountMist;
}

/**
 * The checked inputs plus `stakeId` when this wallet already holds a live stake for the node.
 * Why: a provider that cannot preview hands the engine its inputs as the state of an update
 * being previewed, so an output missing from them (the stake id) is unknown in `pulumi
 * preview`, and the SealToken built on it would be shown as replaced although an in-place
 * update keeps the same stake. With the id among the inputs, preview shows what `up` does. A
 * new node id or pool has no live stake yet, so its id stays unknown, as it should. Best
 * effort: if the chain cannot be read, preview is only less precise; create and update read
 * the chain themselves.
 */
async function withLiveStakeId(inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const keys = ["rpcUrl", "transport", "packageId", "poolId", "registryId", "walletKey", "nodeId"] as const;
  if (keys.some((k) => inputs[k] === undefined || inputs[k] === UNKNOWN)) return inputs;
  const i = inputs as unknown as StakeInputs;
  try {
    const staker = keypairFromSecret(i.walletKey).toSuiAddress();
    const live = await findLiveStake(clientFor(i), chainIds(i), { nodeId: i.nodeId, staker });
    return live ? { ...inputs, stakeId: live.id } : inputs;
  } catch {
    return inputs;
  }
}

/**
 * A new wallet key cannot move a stake: it means a new stake for the worker and the old one
 * withdrawn (after its lock), for every worker. Refused, naming both addresses (never a key),
 * unless the operator asked for that migration.
 */
function refusedWalletChange(olds: Partial<StakeInputs> | undefined, news: StakeInputs): string | undefined {
  const old = olds?.walletKey;
  if (!old || old === UNKNOWN || news.walletKey === UNKNOWN || old === news.walletKey || news.allowWalletMigration) return undefined;
  let from: string, to: string;
  try {
    from = keypairFromSecret(old).toSuiAddress();
    to = keypairFromSecret(news.walletKey).toSuiAddress();
  } catch {
    return undefined; // a malformed key is the schema's to name
  }
  if (from === to) return undefined;
  return (
    `walletKey changed: the stake of node ${news.nodeId} is owned by ${from}, the new key is ${to}. ` +
    `A new wallet means a new stake for this worker (staked from ${to}) and the old one withdrawn to ${from}; ` +
    `set allowWalletMigration: true to do that, or restore the old key.`
  );
}

function outputsFrom(inputs: StakeInputs, rec: StakeRecord, adopted: boolean): StakeOutputs {
  return {
    ...inputs,
    stakeId: rec.id,
    staker: rec.staker,
    status: rec.status,
    stakedMist: rec.amountMist.toString(),
    lockedUntilEpoch: rec.lockedUntilEpoch.toString(),
    adopted,
  };
}

/** The stake record: the resource id, unless a wallet migration staked a new record since. */
function recordId(resourceId: string, state: Partial<StakeOutputs>): string {
  return state.stakeId || resourceId;
}

/**
 * A new wallet for a live worker, with allowWalletMigration: within the worker's rollout slot,
 * withdraw the old stake to the old wallet and stake the same amount for the node from the new
 * one. The worker is out of service from the withdrawal until its agent runs on the new stake
 * and token (HostState gives the slot back then). Everything that can be checked is checked
 * before the slot and the withdrawal: the old stake's lock, the new wallet's balance. A re-run
 * after a failure adopts the new wallet's stake if it was made.
 */
async function migrateWallet(id: string, olds: StakeOutputs, news: StakeInputs): Promise<{ outs: StakeOutputs }> {
  const from = keypairFromSecret(olds.walletKey).toSuiAddress();
  const amount = BigInt(news.amountMist);
  return withSession(news, { gasCoinMist: amount + GAS_MARGIN_MIST }, async ({ client, session }) => {
    const to = session.address;
    const done = await findLiveStake(client, chainIds(news), { nodeId: news.nodeId, staker: to });
    if (done && done.status === "active") return { outs: outputsFrom(news, done, true) };
    const rec = await readStakeRecord(client, id, news.packageId);
    const live = rec !== null && rec.status === "active";
    const epoch = await currentEpoch(client);
    if (live && epoch < rec.lockedUntilEpoch) {
      throw new ChainError(`wallet migration: ${lockedMessage({ nodeId: news.nodeId, lockedUntilEpoch: rec.lockedUntilEpoch, currentEpoch: epoch })}; it can be withdrawn to ${from} at epoch ${rec.lockedUntilEpoch}. Nothing was changed`, "MoveAbort", { nodeId: news.nodeId });
    }
    const { balance } = await client.core.getBalance({ owner: to });
    if (BigInt(balance.balance) < amount + GAS_MARGIN_MIST) {
      throw new ChainError(`wallet migration: the new wallet ${to} holds ${formatSui(BigInt(balance.balance))}; node ${news.nodeId} needs ${formatSui(amount)} staked plus ${formatSui(GAS_MARGIN_MIST)} for gas. Nothing was changed`, "Rejected", { nodeId: news.nodeId });
    }
    if (news.rolloutFleet) await acquireSlot(news.rolloutFleet, news.nodeId, news.maxUnavailable ?? 1, (news.rolloutTimeoutSeconds ?? 480) * 1000);
    let withdrawn = false;
    try {
      if (live) {
        if (rec.staker !== from) throw new ChainError(`stake ${id} for node ${news.nodeId} belongs to ${rec.staker}, not the old wallet ${from}`, "Rejected");
        await withSession(olds, {}, ({ session: old }) => old.withdrawStake(id));
        withdrawn = true;
      }
      const { stakeId } = await session.stakeForNode({ nodeId: news.nodeId, amountMist: amount });
      const fresh = await readStakeRecord(client, stakeId, news.packageId);
      if (!fresh) throw new ChainError(`stake ${stakeId} for node ${news.nodeId} was created but cannot be read back`, "NotFound");
      return { outs: outputsFrom(news, fresh, false) };
    } catch (err) {
      const message = `wallet migration of node ${news.nodeId} failed: ${(err as Error).message}` +
        (withdrawn ? `. The old stake was withdrawn to ${from}; run \`pulumi up\` again to stake from ${to}` : "");
      if (news.rolloutFleet && holdsSlot(news.rolloutFleet, news.nodeId)) failRollout(news.rolloutFleet, news.nodeId, message);
      throw new ChainError(message, err instanceof ChainError ? err.kind : "Rejected", { nodeId: news.nodeId });
    }
  });
}

export const stakeProvider = explainingAuthRefusals({
  async check(olds: unknown, news: unknown) {
    const res = checkInputs(stakeInputsSchema, news);
    if (res.failures) return res;
    const walletChange = refusedWalletChange(olds as Partial<StakeInputs> | undefined, res.inputs as unknown as StakeInputs);
    if (walletChange) return { inputs: res.inputs, failures: [{ property: "walletKey", reason: walletChange }] };
    return { inputs: await withLiveStakeId(res.inputs) };
  },

  async diff(_id: string, olds: StakeOutputs, news: StakeInputs) {
    const replaces = REPLACE_KEYS.filter((k) => olds[k] !== news[k]);
    const updates = [
      ...UPDATE_KEYS.filter((k) => olds[k] !== news[k]),
      ...(amountChanged(olds, news) ? ["amountMist"] : []),
      ...(olds.walletKey !== news.walletKey ? ["walletKey"] : []),
      ...(headersChanged(olds.rpcHeaders, news.rpcHeaders) ? ["rpcHeaders"] : []),
    ];
    // After a refresh, a stake that is no longer active (slashed on chain) is drift from what the
    // program asks for. `up` cannot undo a slash, so it only keeps reporting it until the
    // operator replaces the worker or destroys it.
    const drifted = olds.status !== undefined && olds.status !== "active";
    // Replacement stakes first and withdraws the old stake after, so the worker keeps a live
    // stake throughout; the old withdrawal waits for its lock (delete says until when). Only a
    // new stake for the same node id in the same pool (a new package) must wait for the old one
    // to go: the pool holds one live stake per node id.
    const sameSlot = olds.nodeId === news.nodeId && olds.poolId === news.poolId;
    return {
      changes: replaces.length + updates.length > 0 || drifted,
      replaces: [...replaces],
      deleteBeforeReplace: replaces.length > 0 && sameSlot,
    };
  },

  /**
   * Idempotent: if this wallet already holds a live stake for the node (an earlier `up` crashed
   * after its transaction), adopt it instead of staking twice.
   */
  async create(inputs: StakeInputs) {
    return withSession(inputs, { gasCoinMist: BigInt(inputs.amountMist) + GAS_MARGIN_MIST }, async ({ client, session }) => {
      const existing = await findLiveStake(client, chainIds(inputs), { nodeId: inputs.nodeId, staker: session.address });
      if (existing && existing.status === "active") {
        return { id: existing.id, outs: outputsFrom(inputs, existing, true) };
      }
      const { stakeId } = await session.stakeForNode({ nodeId: inputs.nodeId, amountMist: BigInt(inputs.amountMist) });
      const rec = await readStakeRecord(client, stakeId, inputs.packageId);
      if (!rec) throw new ChainError(`stake ${stakeId} for node ${inputs.nodeId} was created but cannot be read back`, "NotFound");
      return { id: stakeId, outs: outputsFrom(inputs, rec, false) };
    });
  },

  /** Refresh: the on-chain status and amount, so a slash shows up as drift. */
  async read(id: string, props: StakeOutputs) {
    const rec = await readStakeRecord(clientFor(props), recordId(id, props), props.packageId);
    if (!rec) return { id: "", props: {} }; // the record is gone: drop it from the state
    return { id, props: outputsFrom(props, rec, props.adopted) };
  },

  /**
   * In place: the amount is topped up (more) or partly withdrawn (less, once the lock has
   * passed and keeping the pool minimum). A reduction the chain would refuse is refused here,
   * before any transaction, so nothing changes and no gas is spent; the outputs stay as they were.
   */
  async update(resourceId: string, olds: StakeOutputs, news: StakeInputs) {
    const id = recordId(resourceId, olds);
    if (olds.walletKey !== news.walletKey) return migrateWallet(id, olds, news);
    return withSession(news, { gasCoinMist: BigInt(news.amountMist) + GAS_MARGIN_MIST }, async ({ client, session }) => {
      const rec = await readStakeRecord(client, id, news.packageId);
      if (!rec) throw new ChainError(`stake ${id} for node ${olds.nodeId} no longer exists on chain; run \`pulumi refresh\``, "NotFound", { nodeId: olds.nodeId });
      const want = BigInt(news.amountMist);
      if (rec.status !== "active") {
        if (news.amountMist !== olds.amountMist) {
          throw new ChainError(
            `stake for node ${rec.nodeId} is ${rec.status}, so its amount cannot change (it holds ${formatSui(rec.amountMist)}); replace the worker to stake anew`,
            "Rejected", { nodeId: rec.nodeId },
          );
        }
        return { outs: outputsFrom(news, rec, olds.adopted) }; // the drift stays visible as the status
      }
      if (rec.staker !== session.address) {
        throw new ChainError(`stake ${id} for node ${rec.nodeId} belongs to ${rec.staker}, not this stack's wallet ${session.address}`, "Rejected", { nodeId: rec.nodeId });
      }
      let staked = rec.amountMist;
      if (want > rec.amountMist) {
        staked = (await session.addStake({ stakeId: id, amountMist: want - rec.amountMist })).stakedMist;
      } else if (want < rec.amountMist) {
        const epoch = await currentEpoch(client);
        if (epoch < rec.lockedUntilEpoch) {
          throw new ChainError(lockedMessage({ nodeId: rec.nodeId, lockedUntilEpoch: rec.lockedUntilEpoch, currentEpoch: epoch, operation: "reduction" }), "MoveAbort", { nodeId: rec.nodeId });
        }
        const pool = await readPool(client, news.poolId, news.packageId);
        if (want < pool.minNodeStakeMist) {
          throw new ChainError(belowMinimumMessage({ nodeId: rec.nodeId, amountMist: rec.amountMist - want, stakedMist: rec.amountMist, minStakeMist: pool.minNodeStakeMist }), "MoveAbort", { nodeId: rec.nodeId });
        }
        staked = (await session.withdrawPartial({ stakeId: id, amountMist: rec.amountMist - want })).stakedMist;
      }
      return { outs: outputsFrom(news, { ...rec, amountMist: staked }, olds.adopted) };
    });
  },

  /** Withdraw the stake back to the wallet; a clear error while it is still locked. */
  async delete(resourceId: string, props: StakeOutputs) {
    const id = recordId(resourceId, props);
    await withSession(props, {}, async ({ client, session }) => {
    const rec = await readStakeRecord(client, id, props.packageId);
    if (!rec || rec.status === "withdrawn") return;
    if (rec.staker !== session.address) {
      throw new ChainError(`stake ${id} for node ${rec.nodeId} belongs to ${rec.staker}, not this stack's wallet ${session.address}`, "Rejected");
    }
    const epoch = await currentEpoch(client);
    if (epoch < rec.lockedUntilEpoch) {
      throw new ChainError(
        `stake of ${formatSui(rec.amountMist)} for node ${rec.nodeId} is locked until epoch ${rec.lockedUntilEpoch} (now ${epoch}); ` +
          `run \`pulumi destroy\` again after that epoch to withdraw it`,
        "MoveAbort",
        { nodeId: rec.nodeId },
      );
    }
    await session.withdrawStake(id);
    });
  },
});
