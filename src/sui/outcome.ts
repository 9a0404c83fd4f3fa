// What an executed k3s_daas transaction did, read from its result: the events of the package it
// emitted, the objects it created, and the gas it used. A transaction that succeeded without
// the event or object its Move call always makes is an error here, not a silent undefined.
import type { SuiClientTypes } from "@mysten/sui/client";
import { normalizeSuiAddress } from "@mysten/sui/utils";
import { ChainError } from "./errors.js";
import type { GasUsed } from "./types.js";

export interface TxOutcome {
  digest: string;
  gasUsed: GasUsed;
}

/** What ChainSession asks the executor to include with every transaction's effects. */
type Include = { objectTypes: true; events: true };
export type ExecResult = SuiClientTypes.TransactionResult<Include & { effects: true }>;
export type Executed = SuiClientTypes.Transaction<Include & { effects: true }>;

/** Whether the transaction emitted an event of package `packageId`'s type `suffix`. */
export function emitted(res: Executed, packageId: string, suffix: string): boolean {
  return findEvent(res, packageId, suffix) !== undefined;
}

/** The BCS of the one event of package `packageId`'s type `suffix` the transaction emitted. */
export function eventOf(res: Executed, packageId: string, suffix: string): Uint8Array {
  const ev = findEvent(res, packageId, suffix);
  if (!ev) throw new ChainError(`transaction ${res.digest} succeeded but emitted no${suffix} event`, "ExecutionFailed", { digest: res.digest });
  return ev.bcs;
}

function findEvent(res: Executed, packageId: string, suffix: string) {
  const want = `${normalizeSuiAddress(packageId)}${suffix}`;
  return (res.events ?? []).find((e) => normalizeType(e.eventType) === want);
}

/** The object the transaction created whose type ends in `suffix`. */
export function createdOfType(res: Executed, suffix: string) {
  const created = res.effects.changedObjects.find(
    (c) => c.idOperation === "Created" && (res.objectTypes[c.objectId] ?? "").endsWith(suffix),
  );
  if (!created) throw new ChainError(`transaction ${res.digest} succeeded but created no${suffix}`, "ExecutionFailed", { digest: res.digest });
  return created;
}

/** An event type with its package address in full (transports differ in leading zeros). */
function normalizeType(t: string): string {
  const i = t.indexOf("::");
  return i < 0 ? t : `${normalizeSuiAddress(t.slice(0, i))}${t.slice(i)}`;
}

export function gasOf(res: { effects: { gasUsed: { computationCost: string; storageCost: string; storageRebate: string } } }): GasUsed {
  const g = res.effects.gasUsed;
  const computationCost = BigInt(g.computationCost);
  const storageCost = BigInt(g.storageCost);
  const storageRebate = BigInt(g.storageRebate);
  return { computationCost, storageCost, storageRebate, netMist: computationCost + storageCost - storageRebate };
}
