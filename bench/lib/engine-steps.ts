// Where a `pulumi up` spends its time, from the engine's own event stream (Automation API
// onEvent): for each resource, the time from its step starting to its outputs arriving, grouped
// by the worker's step name (the part of the resource name after the host name) and by kind of
// work. Times are taken when each event reaches this process (the Automation API tails the
// engine's event log), good to a few tens of milliseconds.
import type { EngineEvent } from "@pulumi/pulumi/automation";

export type StepKind = "chain" | "ssh-upload" | "install" | "start" | "wait";

/** The kind of work each of StakedWorker's children does (src/components/staked-worker.ts). */
export const STEP_KINDS: Readonly<Record<string, StepKind>> = {
  stake: "chain",
  "seal-token": "chain",
  probe: "ssh-upload",
  "node-upload": "ssh-upload",
  "agent-bundle": "ssh-upload",
  "agent-config": "ssh-upload",
  "k3s-installer": "ssh-upload",
  "agent-unit": "ssh-upload",
  node: "install",
  "worker-key": "install",
  "container-runtime": "install",
  "k3s-agent": "install",
  "agent-service": "start",
  host: "wait",
};

export interface StepTiming {
  readonly host: string;
  readonly step: string;
  readonly ms: number;
}

/** Records step durations of one engine operation for the given host names. */
export class StepRecorder {
  private readonly started = new Map<string, number>();
  readonly steps: StepTiming[] = [];

  constructor(private readonly hostNames: readonly string[]) {}

  readonly onEvent = (e: EngineEvent): void => {
    const now = performance.now();
    const pre = e.resourcePreEvent?.metadata;
    if (pre && !e.resourcePreEvent?.planning) this.started.set(pre.urn, now);
    const done = e.resOutputsEvent?.metadata;
    if (done && !e.resOutputsEvent?.planning) {
      const t0 = this.started.get(done.urn);
      const named = this.hostStep(done.urn);
      if (t0 !== undefined && named) this.steps.push({ ...named, ms: now - t0 });
    }
  };

  private hostStep(urn: string): { host: string; step: string } | null {
    const name = urn.slice(urn.lastIndexOf("::") + 2);
    // Longest host name first, so "w-1" never claims "w-10-stake".
    for (const host of [...this.hostNames].sort((a, b) => b.length - a.length)) {
      if (name.startsWith(`${host}-`)) {
        const step = name.slice(host.length + 1);
        if (step in STEP_KINDS) return { host, step };
      }
    }
    return null;
  }
}

/** Machine-wide CPU use between two readings of /proc/stat, as busy % of all cores. */
export async function cpuBusy(): Promise<() => Promise<number>> {
  const { readFile } = await import("node:fs/promises");
  const read = async () => {
    const f = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = await read();
  return async () => {
    const b = await read();
    return (100 * (1 - (b.idle - a.idle) / (b.total - a.total)));
  };
}
