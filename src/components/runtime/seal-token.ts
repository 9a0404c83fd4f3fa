// The seal-token resource's provider logic: mint a token from a stake for the worker's public key.
import { z } from "zod";
import { currentEpoch, readSealToken, ChainError } from "../../sui";
import { chainInputsShape, checkInputs, nodeIdSchema, objectIdSchema, type ChainInputs } from "./chain-inputs";
import { clientFor, withSession } from "./sessions";

const sealInputsSchema = z
  .object({
    ...chainInputsShape,
    nodeId: nodeIdSchema,
    stakeId: objectIdSchema,
    workerPubkey: z
      .string()
      .refine((k) => Buffer.from(k, "base64").length === 32 && /^[A-Za-z0-9+/]+=*$/.test(k), "must be the base64 of a 32-byte ed25519 public key"),
  })
  .strict();

export interface SealTokenInputs extends ChainInputs {
  nodeId: string;
  stakeId: string;
  workerPubkey: string;
}

export interface SealTokenOutputs extends SealTokenInputs {
  sealTokenId: string;
  expiresAtEpoch: string;
  sealStatus: "active" | "expired";
}

const REPLACE_KEYS = ["nodeId", "stakeId", "workerPubkey", "packageId", "walletKey"] as const;
const UPDATE_KEYS = ["rpcUrl", "transport", "poolId", "registryId", "adminCapId"] as const;

export const sealTokenProvider = {
  async check(_olds: unknown, news: unknown) {
    return checkInputs(sealInputsSchema, news);
  },

  async diff(_id: string, olds: SealTokenOutputs, news: SealTokenInputs) {
    const replaces = REPLACE_KEYS.filter((k) => olds[k] !== news[k]);
    const updates = UPDATE_KEYS.filter((k) => olds[k] !== news[k]);
    const drifted = olds.sealStatus === "expired"; // seen by refresh; only a new token fixes it
    return { changes: replaces.length + updates.length > 0 || drifted, replaces: [...replaces], deleteBeforeReplace: true };
  },

  async create(inputs: SealTokenInputs) {
    const { client, sealTokenId } = await withSession(inputs, {}, async ({ client, session }) => ({
      client,
      ...(await session.mintSealToken({ stakeId: inputs.stakeId, workerPubkey: inputs.workerPubkey })),
    }));
    const token = await readSealToken(client, sealTokenId, inputs.packageId);
    if (!token) throw new ChainError(`seal token for node ${inputs.nodeId} was minted but cannot be read back`, "NotFound");
    return {
      id: sealTokenId,
      outs: { ...inputs, sealTokenId, expiresAtEpoch: token.expiresAtEpoch.toString(), sealStatus: "active" } satisfies SealTokenOutputs,
    };
  },

  /** Refresh: a revoked token drops out of the state; an expired one says so. */
  async read(id: string, props: SealTokenOutputs) {
    const client = clientFor(props);
    const token = await readSealToken(client, id, props.packageId);
    if (!token) return { id: "", props: {} };
    const epoch = await currentEpoch(client);
    const sealStatus = token.expiresAtEpoch <= epoch ? "expired" : "active";
    return { id, props: { ...props, expiresAtEpoch: token.expiresAtEpoch.toString(), sealStatus } };
  },

  async update(_id: string, olds: SealTokenOutputs, news: SealTokenInputs) {
    return { outs: { ...olds, ...news } };
  },

  /** Revoke (delete) the token; one that is already gone is fine. */
  async delete(id: string, props: SealTokenOutputs) {
    await withSession(props, {}, async ({ client, session }) => {
      if (!(await readSealToken(client, id, props.packageId))) return;
      await session.revokeSealToken(id);
    });
  },
};
