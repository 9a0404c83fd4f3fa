// What a reloaded config (SIGHUP) changes. Only the seal token id is switched live: a renewed
// token must reach a running agent without a restart (a restart deregisters). Every other key
// takes a restart, which the operator's `pulumi up` does itself when it changes one.
import type { AgentConfig } from "./config";
import { sameObjectId } from "./chain";

/** Dotted paths of the leaves that differ between two configs, the seal token id left out. */
export function changedKeys(current: AgentConfig, next: AgentConfig): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (path === "sealTokenId") return;
    const isObj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
    if (isObj(a) && isObj(b)) {
      const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
      for (const k of [...keys].sort()) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
  };
  walk(current, next, "");
  return out;
}

export interface ReloadPlan {
  /** The new seal token id, or null when it is the same object. */
  sealTokenId: string | null;
  /** Keys that changed and need a restart to apply. */
  needsRestart: string[];
}

export function planReload(current: AgentConfig, next: AgentConfig): ReloadPlan {
  return {
    sealTokenId: sameObjectId(current.sealTokenId, next.sealTokenId) ? null : next.sealTokenId,
    needsRestart: changedKeys(current, next),
  };
}
