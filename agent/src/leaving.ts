// Whether a SIGTERM is the worker leaving the cluster or only the agent stopping.
//
// k3s outlives the agent (its own unit, KillMode=process), so an agent restart (a config change,
// an upgrade, an operator's `systemctl restart`) leaves a node that still runs pods. Deregistering
// then would make the control plane delete that node's Node object, which a running kubelet never
// re-creates. Leaving is the teardown's `systemctl disable --now k3s-daas-agent` (pulumi destroy,
// a worker moved away): under systemd a stop is a leave exactly when our unit is no longer
// enabled. Outside systemd (a process run by hand, the tests), and whenever this cannot be told,
// every stop is a leave, as before.
import { readFileSync } from "node:fs";
import { run } from "./exec";

/** Our own systemd service, from /proc/self/cgroup (v1 `name=systemd:` or v2 `0::` line). */
export function ownUnit(cgroupText: string): string | null {
  for (const line of cgroupText.split("\n")) {
    const path = line.split(":").slice(2).join(":");
    const m = /\/([A-Za-z0-9:_.@\\-]+\.service)$/.exec(path);
    if (m && (line.includes(":name=systemd:") || line.startsWith("0::"))) return m[1]!;
  }
  return null;
}

export async function stopIsLeaving(
  env: NodeJS.ProcessEnv = process.env,
  readCgroup: () => string = () => readFileSync("/proc/self/cgroup", "utf8"),
): Promise<boolean> {
  if (!env.INVOCATION_ID) return true; // not started by systemd
  let unit: string | null = null;
  try {
    unit = ownUnit(readCgroup());
  } catch {
    return true;
  }
  if (!unit) return true;
  try {
    const state = (await run("systemctl", ["is-enabled", unit], 3_000)).trim();
    return state !== "enabled";
  } catch {
    return true; // is-enabled exits non-zero for disabled, masked, not-found ...
  }
}
