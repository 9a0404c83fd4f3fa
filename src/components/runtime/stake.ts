// The stake resource's provider logic: stake SUI for a node id from the operator's wallet.
// Loaded by the dynamic provider through the bundled runtime (see ../stake.ts for why).
import { z } from "zod";
import { findLiveStake, readStakeRecord, ChainError, formatSui, currentEpoch, type StakeRecord } from "../../sui";
import { chainInputsShape, checkInputs, nodeIdSchema, type ChainInputs } from "./chain-inputs";
import { chainIds, clientFor, withSession } from "./sessions";

const stakeInputsSchema = z
  .object({
    ...chainInputsShape,
    nodeId: nodeIdSchema,
    amountMist: z.string().regex(/^[1-9][0-9]*$/, "must be a positive whole number of MIST, as a string"),
  })
  .strict();

export interface StakeInputs extends ChainInputs {
  nodeId: string;
  amountMist: string;
}

export interface StakeOutputs extends StakeInputs {
  stakeId: string;
  staker: string;
  status: string;
  stakedMist: string;
  lockedUntilEpoch: string;
  adopted: boolean;
}

// A change to any of these is a different stake: withdraw the old one, then stake anew (one live
// stake per node id means the old one must go first).
const REPLACE_KEYS = ["nodeId", "amountMist", "packageId", "poolId", "walletKey"] as const;
const UPDATE_KEYS = ["rpcUrl", "transport", "registryId", "adminCapId"] as const;

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

export const stakeProvider = {
  async check(_olds: unknown, news: unknown) {
    return checkInputs(stakeInputsSchema, news);
  },

  async diff(_id: string, olds: StakeOutputs, news: StakeInputs) {
    const replaces = REPLACE_KEYS.filter((k) => olds[k] !== news[k]);
    const updates = UPDATE_KEYS.filter((k) => olds[k] !== news[k]);
    // After a refresh, a stake that is no longer active (slashed on chain) is drift from what the
    // program asks for. `up` cannot undo a slash, so it only keeps reporting it until the
    // operator replaces the worker or destroys it.
    const drifted = olds.status !== undefined && olds.status !== "active";
    return {
      changes: replaces.length + updates.length > 0 || drifted,
      replaces: [...replaces],
      deleteBeforeReplace: true,
    };
  },

  /**
   * Idempotent: if this wallet already holds a live stake for the node (an earlier `up` crashed
   * after its transaction), adopt it instead of staking twice.
   */
  async create(inputs: StakeInputs) {
    return withSession(inputs, { gasCoinMist: BigInt(inputs.amountMist) + 100_000_000n }, async ({ client, session }) => {
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
    const rec = await readStakeRecord(clientFor(props), id, props.packageId);
    if (!rec) return { id: "", props: {} }; // the record is gone: drop it from the state
    return { id, props: outputsFrom(props, rec, props.adopted) };
  },

  async update(_id: string, olds: StakeOutputs, news: StakeInputs) {
    return { outs: { ...olds, ...news } };
  },

  /** Withdraw the stake back to the wallet; a clear error while it is still locked. */
  async delete(id: string, props: StakeOutputs) {
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
};
