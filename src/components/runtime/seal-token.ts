// The seal-token resource's provider logic: mint a token from a stake for the worker's public key.
import { z } from "zod";
import { currentEpoch, readSealToken, ChainError } from "../../sui";
import { chainInputsShape, checkInputs, headersChanged, nodeIdSchema, objectIdSchema, type ChainInputs } from "./chain-inputs";
import { explainingAuthRefusals } from "./rpc-errors";
import { clientFor, withSession } from "./sessions";
import { DEFAULT_RENEW_BEFORE_EPOCHS, MAX_RENEW_BEFORE_EPOCHS } from "../../rules";

// Tokens live 30 epochs (the Move package's SEAL_TOKEN_VALIDITY_EPOCHS); renewed 5 before by default.

export const sealInputsSchema = z
  .object({
    ...chainInputsShape,
    nodeId: nodeIdSchema,
    /** The stake the token is minted from (must be active and the wallet's own). */
    stakeId: objectIdSchema,
    /** base64 of the worker's ed25519 public key, generated on the host. */
    workerPubkey: z
      .string()
      .refine((k) => Buffer.from(k, "base64").length === 32 && /^[A-Za-z0-9+/]+=*$/.test(k), "must be the base64 of a 32-byte ed25519 public key"),
    /**
     * Epochs before expiry at which the token is renewed (a new one minted and handed to the
     * agent, then the old one revoked) by the next `up`; `refresh` reports it as drift. Default 5
     * (tokens live 30 epochs).
     */
    renewBeforeEpochs: z.number().int().min(0).max(MAX_RENEW_BEFORE_EPOCHS).default(DEFAULT_RENEW_BEFORE_EPOCHS),
  })
  .strict();

export interface SealTokenInputs extends ChainInputs {
  nodeId: string;
  stakeId: string;
  workerPubkey: string;
  renewBeforeEpochs?: number;
}

/** "renewal-due": inside the renewal window; "expired": the control plane refuses it already. */
export type SealStatus = "active" | "renewal-due" | "expired";

export interface SealTokenOutputs extends SealTokenInputs {
  sealTokenId: string;
  expiresAtEpoch: string;
  sealStatus: SealStatus;
}

const REPLACE_KEYS = ["nodeId", "stakeId", "workerPubkey", "packageId", "walletKey"] as const;
const UPDATE_KEYS = ["rpcUrl", "transport", "rpcCaCertificates", "poolId", "registryId", "adminCapId"] as const;
const renewWindow = (i: SealTokenInputs) => i.renewBeforeEpochs ?? DEFAULT_RENEW_BEFORE_EPOCHS;

export function sealStatusAt(expiresAtEpoch: bigint, epoch: bigint, renewBeforeEpochs: number): SealStatus {
  if (expiresAtEpoch <= epoch) return "expired";
  return expiresAtEpoch - epoch <= BigInt(renewBeforeEpochs) ? "renewal-due" : "active";
}

/**
 * The token's status now: the chain's epoch against its expiry. A chain that cannot be read
 * leaves the status the state holds (a preview must not fail, nor renew, on a flaky RPC).
 */
async function statusNow(olds: SealTokenOutputs, news: SealTokenInputs): Promise<SealStatus> {
  if (!olds.expiresAtEpoch) return olds.sealStatus;
  try {
    const epoch = await Promise.race([
      currentEpoch(clientFor(news)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("epoch read timed out")), 10_000).unref()),
    ]);
    return sealStatusAt(BigInt(olds.expiresAtEpoch), epoch, renewWindow(news));
  } catch {
    return olds.sealStatus;
  }
}

export const sealTokenProvider = explainingAuthRefusals({
  async check(_olds: unknown, news: unknown) {
    return checkInputs(sealInputsSchema, news);
  },

  /**
   * A new key, stake or wallet needs a new token; so does one inside its renewal window (seen by
   * refresh, or by the epoch read here, so a plain `up` renews too). Always create-before-delete:
   * the new token is minted and handed to the agent before the old one is revoked, so a worker
   * keeps a valid token throughout (the chain lets one stake back several tokens).
   */
  async diff(_id: string, olds: SealTokenOutputs, news: SealTokenInputs) {
    const replaces: string[] = REPLACE_KEYS.filter((k) => olds[k] !== news[k]);
    const updates: string[] = UPDATE_KEYS.filter((k) => olds[k] !== news[k]);
    if (headersChanged(olds.rpcHeaders, news.rpcHeaders)) updates.push("rpcHeaders");
    if (renewWindow(olds) !== renewWindow(news)) updates.push("renewBeforeEpochs");
    if (replaces.length === 0 && (await statusNow(olds, news)) !== "active") replaces.push("sealStatus");
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false };
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
      outs: {
        ...inputs, sealTokenId, expiresAtEpoch: token.expiresAtEpoch.toString(),
        sealStatus: sealStatusAt(token.expiresAtEpoch, await currentEpoch(client), renewWindow(inputs)),
      } satisfies SealTokenOutputs,
    };
  },

  /** Refresh: a revoked token drops out of the state; one due for renewal or expired says so. */
  async read(id: string, props: SealTokenOutputs) {
    const client = clientFor(props);
    const token = await readSealToken(client, id, props.packageId);
    if (!token) return { id: "", props: {} };
    const epoch = await currentEpoch(client);
    const sealStatus = sealStatusAt(token.expiresAtEpoch, epoch, renewWindow(props));
    return { id, props: { ...props, expiresAtEpoch: token.expiresAtEpoch.toString(), sealStatus } };
  },

  /** Settings only (endpoint, window): the token stays; its status is read against the new window. */
  async update(_id: string, olds: SealTokenOutputs, news: SealTokenInputs) {
    // Headers the new inputs drop (an API key no longer needed) must not linger in the state.
    const { rpcHeaders: _dropped, rpcCaCertificates: _droppedCa, ...kept } = olds;
    return { outs: { ...kept, ...news, sealStatus: await statusNow(olds, news) } };
  },

  /** Revoke (delete) the token; one that is already gone is fine. */
  async delete(id: string, props: SealTokenOutputs) {
    await withSession(props, {}, async ({ client, session }) => {
      if (!(await readSealToken(client, id, props.packageId))) return;
      await session.revokeSealToken(id);
    });
  },
});
