// The dev stack's settings (stacks/Pulumi.dev.yaml) as Automation API config values, so the
// benchmarks measure what `npm run dev` deploys rather than a tuned copy of it.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export function devStackSettings(root: string): Record<string, { value: string }> {
  const settings: Record<string, { value: string }> = {};
  for (const line of readFileSync(resolve(root, "stacks/Pulumi.dev.yaml"), "utf8").split("\n")) {
    const m = /^\s+k3s-daas-fleet:(\w+):\s*(.+?)\s*$/.exec(line);
    if (m) settings[m[1]!] = { value: m[2]!.replace(/^"(.*)"$/, "$1") };
  }
  if (!settings.heartbeatIntervalMs) throw new Error("stacks/Pulumi.dev.yaml: no k3s-daas-fleet settings found");
  return settings;
}
