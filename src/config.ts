// The stack's configuration, read into the fleet's settings (src/settings) before anything is
// created: a bad key fails `pulumi preview` with a message naming it. Pure: takes the raw config
// bag, returns the settings WorkerFleet takes.
import { RunError } from "@pulumi/pulumi";
import { fleetSettingsSchema, safeMessage, type FleetSettings } from "./settings";

export { suiToMist } from "./settings";
export const PROJECT = "k3s-daas-fleet";

/** Keys whose value is text even when it looks like a number. */
const TEXT_KEYS = new Set(["walletKey", "k3sToken", "stakePerNodeSui"]);

/**
 * Parses the project's config bag (as `pulumi.runtime.allConfig()` returns it: "project:key" ->
 * string, objects as JSON). Throws one error naming every bad key, never quoting a value: a
 * RunError, which Pulumi shows without a stack trace.
 */
export function readFleetConfig(raw: Record<string, string>): FleetSettings {
  const bag: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    const [ns, key] = fullKey.split(":", 2) as [string, string];
    if (ns !== PROJECT) continue;
    try {
      bag[key] = JSON.parse(value);
    } catch {
      bag[key] = value;
    }
    if (typeof bag[key] === "number" && TEXT_KEYS.has(key)) bag[key] = value;
  }
  const parsed = fleetSettingsSchema.safeParse(bag);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const where = `${PROJECT}:${i.path.join(".")}`;
      if (i.code === "unrecognized_keys") return `unknown config key${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `${PROJECT}:${[...i.path, k].join(".")}`).join(", ")}`;
      if (i.code === "invalid_type" && i.received === "undefined") return `missing config key ${where}`;
      return `config key ${where}: ${safeMessage(i)}`;
    });
    throw new RunError(`invalid stack configuration:\n  ${lines.join("\n  ")}`);
  }
  return parsed.data;
}
