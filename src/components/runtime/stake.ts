// The stake resource's provider logic: stake SUI for a node id from the operator's wallet.
// Loaded by the dynamic provider through the bundled runtime (see ../stake.ts for why).
import { z } from "zod";
import {
  findLiveStake, readStakeRecord, readPool, stakeIdForNode, ChainError, formatSui, currentEpoch, lockedMessage, belowMinimumMessage, coolingDownMessage, keypairFromSecret,
  type StakeRecord,
} from "../../sui";
import { chainInputsShape, checkInputs, headersChanged, nodeIdSchema, UNKNOWN, type ChainInputs } from "./chain-inputs";
import { explainingAuthRefusals } from "./rpc-errors";
import { chainIds, clientFor, withSession } from "./sessions";
import { acquireSlot, failRollout, holdsSlot } from "./rollout";

export const stakeInputsSchema = z
  .object({
    ...chainInputsShape,
    /** The worker's node id (DNS-1123); one live stake per node id. */
    nodeId: nodeIdSchema,
    /** Amount to stake, in MIST, as a decimal string (1 SUI = 10^9 MIST). */
    amountMist: z.string().regex(/^[1-9][0-9]*$/, "must be a positive whole number of MIST, as a string"),
    /**
     * A changed walletKey is refused unless this is true; then the stake is migrated in place: the
     * old one withdrawn to the old wallet, the same amount staked from the new one, within the
     * worker's rollout slot (below). Default false.
     */
    allowWalletMigration: z.boolean().optional(),
    /**
     * The worker's rollout fleet: a wallet migration takes the worker out of service, so it waits
     * for one of the fleet's slots like any other rollout. Default: none taken.
     */
    rolloutFleet: z.string().min(1).optional(),
    /** Workers of the fleet out of service at once; required with rolloutFleet. */
    maxUnavailable: z.number().int().min(1).optional(),
    /** How long a migration waits for a slot, in seconds; required with rolloutFleet. */
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
  /** MIST requested out and cooling down ("0": none); claimable from `claimableAtEpoch`. */
  withdrawalRequestedMist?: string;
  claimableAtEpoch?: string;
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
    withdrawalRequestedMist: rec.withdrawalRequestedMist.toString(),
    claimableAtEpoch: rec.claimableAtEpoch.toString(),
    adopted,
  };
}

/** A withdrawal still cooling down: how much, from which epoch, and what to run then. */
function pendingMessage(rec: StakeRecord, epoch: bigint, note: string): string {
  return `${coolingDownMessage({ nodeId: rec.nodeId, withdrawalRequestedMist: rec.withdrawalRequestedMist, claimableAtEpoch: rec.claimableAtEpoch, currentEpoch: epoch })}; ` +
    `run \`pulumi destroy\` (or \`pulumi up\` for a scale-in) again from that epoch to claim it (${note})`;
}

/** The stake record: the resource id, unless a wallet migration staked a new record since. */
function recordId(resourceId: string, state: Partial<StakeOutputs>): string {
  return state.stakeId || resourceId;
}

/**
 * A new wallet for a live worker, with allowWalletMigration: within the worker's rollout slot,
 * the old wallet hands the stake record to the new one in place (`transfer_stake`): same record,
 * amount, lock and node id, nothing withdrawn, so there is no moment at which the node id is free
 * for anyone else to take. The worker is out of service from the transfer (its seal token, owned by
 * the old wallet, no longer speaks for the stake) until its agent runs on a token the new wallet
 * mints (the SealToken is replaced; HostState gives the slot back then). A re-run after a failure
 * finds the record already the new wallet's and carries on.
 */
async function migrateWallet(id: string, olds: StakeOutputs, news: StakeInputs): Promise<{ outs: StakeOutputs }> {
  const from = keypairFromSecret(olds.walletKey).toSuiAddress();
  return withSession(news, {}, async ({ client, session }) => {
    const to = session.address;
    const rec = await readStakeRecord(client, id, news.packageId);
    if (!rec) throw new ChainError(`wallet migration: stake ${id} for node ${news.nodeId} no longer exists on chain; run \`pulumi refresh\``, "NotFound", { nodeId: news.nodeId });
    if (rec.staker === to) return changeAmount(id, news, rec, session, client, olds.adopted); // transferred by an earlier run
    if (rec.staker !== from) throw new ChainError(`wallet migration: stake ${id} for node ${news.nodeId} belongs to ${rec.staker}, neither the old wallet ${from} nor the new ${to}`, "Rejected", { nodeId: news.nodeId });
    if (rec.status !== "active") {
      throw new ChainError(`wallet migration: the stake for node ${news.nodeId} is ${rec.status}; only an active stake moves to a new wallet (replace the worker to stake anew from ${to}). Nothing was changed`, "Rejected", { nodeId: news.nodeId });
    }
    if (rec.withdrawalRequestedMist > 0n) {
      const epoch = await currentEpoch(client);
      throw new ChainError(`wallet migration: ${coolingDownMessage({ nodeId: news.nodeId, withdrawalRequestedMist: rec.withdrawalRequestedMist, claimableAtEpoch: rec.claimableAtEpoch, currentEpoch: epoch })}; ` +
        `a stake with a pending withdrawal cannot move: run \`pulumi up\` with the old wallet from that epoch to claim it, then migrate. Nothing was changed`, "Rejected", { nodeId: news.nodeId });
    }
    if (news.rolloutFleet) await acquireSlot(news.rolloutFleet, news.nodeId, news.maxUnavailable!, news.rolloutTimeoutSeconds! * 1000);
    try {
      await withSession(olds, {}, ({ session: old }) => old.transferStake({ stakeId: id, newStaker: to }));
      const moved = await readStakeRecord(client, id, news.packageId);
      if (!moved) throw new ChainError(`stake ${id} for node ${news.nodeId} was transferred but cannot be read back`, "NotFound");
      return await changeAmount(id, news, moved, session, client, olds.adopted);
    } catch (err) {
      const message = `wallet migration of node ${news.nodeId} failed: ${(err as Error).message}`;
      if (news.rolloutFleet && holdsSlot(news.rolloutFleet, news.nodeId)) failRollout(news.rolloutFleet, news.nodeId, message);
      throw new ChainError(message, err instanceof ChainError ? err.kind : "Rejected", { nodeId: news.nodeId });
    }
  });
}

type Session = Parameters<Parameters<typeof withSession>[2]>[0]["session"];
type Client = Parameters<Parameters<typeof withSession>[2]>[0]["client"];

/**
 * A withdrawal requested earlier whose cool-down has passed is claimed (the SUI goes back to the
 * wallet); one still cooling down is left as it is. Returns the record as it is now.
 */
async function claimIfDue(id: string, rec: StakeRecord, session: Session, client: Client, packageId: string): Promise<StakeRecord> {
  if (rec.withdrawalRequestedMist === 0n) return rec;
  if ((await currentEpoch(client)) < rec.claimableAtEpoch) return rec;
  await session.claimWithdrawal(id);
  return (await readStakeRecord(client, id, packageId)) ?? rec;
}

/**
 * Bring an active stake to the amount asked for, in place: a top-up at once; a reduction through
 * the cool-down (requested once the lock has passed, claimed once `withdrawal_cooldown_epochs`
 * have gone by, at once when the pool has none). While a reduction cools down every `up` shows the
 * stake as an update and leaves it be (the outputs say how much is pending and from when it can
 * be claimed); the first `up` after that claims it. A reduction the chain would refuse is refused
 * here, before any transaction.
 */
async function changeAmount(id: string, news: StakeInputs, current: StakeRecord, session: Session, client: Client, adopted: boolean): Promise<{ outs: StakeOutputs }> {
  let rec = await claimIfDue(id, current, session, client, news.packageId);
  const want = BigInt(news.amountMist);
  // One withdrawal request at a time (the Move rule), and none can be cancelled: while one cools
  // down, any other change waits for its claim (a later `up`).
  if (rec.withdrawalRequestedMist > 0n) return { outs: outputsFrom(news, rec, adopted) };
  if (want > rec.amountMist) {
    await session.addStake({ stakeId: id, amountMist: want - rec.amountMist });
    rec = (await readStakeRecord(client, id, news.packageId)) ?? rec;
  } else if (want < rec.amountMist) {
    const epoch = await currentEpoch(client);
    if (epoch < rec.lockedUntilEpoch) {
      throw new ChainError(lockedMessage({ nodeId: rec.nodeId, lockedUntilEpoch: rec.lockedUntilEpoch, currentEpoch: epoch, operation: "reduction" }), "MoveAbort", { nodeId: rec.nodeId });
    }
    const pool = await readPool(client, news.poolId, news.packageId);
    if (want < pool.minNodeStakeMist) {
      throw new ChainError(belowMinimumMessage({ nodeId: rec.nodeId, amountMist: rec.amountMist - want, stakedMist: rec.amountMist, minStakeMist: pool.minNodeStakeMist }), "MoveAbort", { nodeId: rec.nodeId });
    }
    await session.requestWithdrawal({ stakeId: id, amountMist: rec.amountMist - want });
    rec = (await readStakeRecord(client, id, news.packageId)) ?? rec;
    rec = await claimIfDue(id, rec, session, client, news.packageId); // no cool-down: at once
  }
  return { outs: outputsFrom(news, rec, adopted) };
}

/**
 * Who holds the node id in this pool, when it is not this wallet: named, with what to do, so an
 * `up` blocked by someone else's stake says so instead of a bare abort.
 */
async function nodeIdTakenMessage(client: Client, inputs: StakeInputs, staker: string): Promise<string | undefined> {
  const stakeId = await stakeIdForNode(client, chainIds(inputs), inputs.nodeId);
  if (!stakeId) return undefined;
  const rec = await readStakeRecord(client, stakeId, inputs.packageId);
  if (!rec || rec.staker === staker) return undefined;
  return `node id ${inputs.nodeId} is already staked in this pool by ${rec.staker} (stake ${stakeId}, ${rec.status}, ${formatSui(rec.amountMist)}), not by this stack's wallet ${staker}. ` +
    `A node id belongs to whoever staked it first until they withdraw it: give this host another name (hosts[].name), ` +
    `or, if ${rec.staker} is yours, migrate it (allowWalletMigration with its key) or have it transfer the stake (transfer_stake) or withdraw it. Nothing was staked`;
}

export const stakeProvider = explainingAuthRefusals({
  async check(olds: unknown, news: unknown) {
    const res = checkInputs(stakeInputsSchema, news);
    if (res.failures) return res;
    const i = res.inputs as unknown as StakeInputs;
    // A migration waits for a slot like any rollout: with the fleet's limits, not defaults of its own.
    if (i.rolloutFleet !== undefined && (i.maxUnavailable === undefined || i.rolloutTimeoutSeconds === undefined)) {
      return { inputs: res.inputs, failures: [{ property: "rolloutFleet", reason: "rolloutFleet needs maxUnavailable and rolloutTimeoutSeconds (the fleet's rollout limits)" }] };
    }
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
      const taken = await nodeIdTakenMessage(client, inputs, session.address);
      if (taken) throw new ChainError(taken, "Rejected", { nodeId: inputs.nodeId });
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
      return changeAmount(id, news, rec, session, client, olds.adopted);
    });
  },

  /**
   * Withdraw the stake back to the wallet, through the pool's cool-down: once the lock has passed
   * the whole stake is requested out (the worker is already torn down; the stake stays slashable
   * until claimed), and claimed once `withdrawal_cooldown_epochs` have passed, at once when there
   * are none. Until then the delete fails saying from which epoch to run `pulumi destroy` (or, for
   * a scale-in, `pulumi up`) again; the resource stays in the state, so nothing is left behind.
   */
  async delete(resourceId: string, props: StakeOutputs) {
    const id = recordId(resourceId, props);
    await withSession(props, {}, async ({ client, session }) => {
      let rec = await readStakeRecord(client, id, props.packageId);
      if (!rec || rec.status === "withdrawn") return;
      if (rec.staker !== session.address) {
        throw new ChainError(`stake ${id} for node ${rec.nodeId} belongs to ${rec.staker}, not this stack's wallet ${session.address}`, "Rejected");
      }
      if (rec.status === "slashed" && rec.amountMist === 0n) return; // slashed whole: nothing left, the node id is free
      const epoch = await currentEpoch(client);
      if (rec.withdrawalRequestedMist > 0n && rec.withdrawalRequestedMist < rec.amountMist) {
        // A reduction still pending: claim it if due; the whole stake is requested after it.
        if (epoch < rec.claimableAtEpoch) throw new ChainError(pendingMessage(rec, epoch, "the rest can be requested then"), "MoveAbort", { nodeId: rec.nodeId });
        rec = await claimIfDue(id, rec, session, client, props.packageId);
      }
      if (rec.withdrawalRequestedMist === 0n) {
        if (epoch < rec.lockedUntilEpoch) {
          throw new ChainError(
            `stake of ${formatSui(rec.amountMist)} for node ${rec.nodeId} is locked until epoch ${rec.lockedUntilEpoch} (now ${epoch}); ` +
              `run \`pulumi destroy\` again after that epoch to withdraw it`,
            "MoveAbort",
            { nodeId: rec.nodeId },
          );
        }
        await session.requestWithdrawal({ stakeId: id, amountMist: rec.amountMist });
        rec = (await readStakeRecord(client, id, props.packageId)) ?? rec;
      }
      rec = await claimIfDue(id, rec, session, client, props.packageId);
      if (rec.status !== "withdrawn") throw new ChainError(pendingMessage(rec, epoch, "the worker is torn down; the stake stays slashable until then"), "MoveAbort", { nodeId: rec.nodeId });
    });
  },
});
