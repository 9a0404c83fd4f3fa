// The operator's wallet and what it stakes for each worker.
import { z } from "zod";
import { DEFAULT_RENEW_BEFORE_EPOCHS, MAX_RENEW_BEFORE_EPOCHS } from "../rules";
import { secretInput } from "./fields";

const SUI_AMOUNT = /^(\d+)(?:\.(\d{1,9}))?$/;

/** "1.5" SUI -> 1500000000n MIST, exactly (no floating point). */
export function suiToMist(sui: string): bigint {
  const m = SUI_AMOUNT.exec(sui.trim());
  if (!m) throw new Error(`"${sui}" is not an amount of SUI with at most 9 decimals`);
  return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

export const walletShape = {
  /** The operator's wallet key (`suiprivkey1...`, `sui keytool export`). Kept a secret. */
  walletKey: secretInput(z.string().startsWith("suiprivkey1", "must be a 'suiprivkey1...' key (set it with --secret)")),
  /** Stake per worker, in SUI ("10", "1.5"; at most 9 decimals). */
  stakePerNodeSui: z.string().refine((s) => SUI_AMOUNT.test(s.trim()) && suiToMist(s) > 0n, "must be a positive amount of SUI, e.g. \"1.5\""),
  /** Epochs before its expiry at which `up` renews a worker's seal token (tokens live 30 epochs). @default 5 */
  sealTokenRenewEpochs: z.number().int().min(0).max(MAX_RENEW_BEFORE_EPOCHS).default(DEFAULT_RENEW_BEFORE_EPOCHS),
  /** A changed walletKey moves every stake to the new wallet; refused unless true. @default false */
  allowWalletMigration: z.boolean().default(false),
};
