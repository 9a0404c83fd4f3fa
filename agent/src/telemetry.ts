// Runtime figures (containers, pods, CPU, memory, disk, network, k3s unit state) sampled on
// their own self-rescheduling loop with jitter, so that every GET and every heartbeat answers
// from memory: a burst of requests costs no process spawn and no /proc read. A sample that is
// slow (ctr hanging until its timeout) stretches the period instead of piling up samples.
import type { K3sService } from "./k3s-service";
import type { Logger } from "./log";
import { Loop } from "./loop";
import type { ResourceUsage } from "./protocol";
import type { ResourceSampler } from "./resources";
import type { ContainerRuntime } from "./runtime";

export interface RuntimeSnapshot {
  /** Unix ms of the end of the sample. */
  at: number;
  resources: ResourceUsage;
  /** null when the container runtime could not be queried (runtimeError says why). */
  containers: { running: number; total: number } | null;
  runningPods: number | null;
  runtimeError: string | null;
  /** Whether the k3s agent (unit or child) was running at the sample. */
  k3sActive: boolean;
}

export interface TelemetryOptions {
  resources: ResourceSampler;
  runtime: ContainerRuntime;
  k3s: K3sService;
  log: Logger;
  intervalMs: number;
  jitter: number;
}

export class Telemetry {
  private snapshot: RuntimeSnapshot | undefined;
  private inFlight: Promise<RuntimeSnapshot> | undefined;
  private readonly loop: Loop;

  constructor(private readonly o: TelemetryOptions) {
    this.loop = new Loop({
      intervalMs: o.intervalMs,
      jitter: o.jitter,
      // A failing sample (no /proc, statfs error) is retried at the normal pace at most 4x slower.
      maxBackoffMs: o.intervalMs * 4,
      run: async () => {
        await this.sampleNow();
        return true;
      },
      onError: (err) => o.log.warn("runtime sample failed", { err }),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** The last sample, or undefined before the first one finished. Never does I/O. */
  get latest(): RuntimeSnapshot | undefined {
    return this.snapshot;
  }

  /** The last sample; before the first one exists, waits for it (shared by all callers). */
  async current(): Promise<RuntimeSnapshot> {
    return this.snapshot ?? this.sampleNow();
  }

  /** One sample now, shared by concurrent callers (the loop and an early request). */
  sampleNow(): Promise<RuntimeSnapshot> {
    this.inFlight ??= this.take().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** A sample that starts after this call (a state change just happened: k3s started, stopped). */
  refresh(): Promise<RuntimeSnapshot> {
    const pending = this.inFlight;
    return pending ? pending.catch(() => undefined).then(() => this.sampleNow()) : this.sampleNow();
  }

  private async take(): Promise<RuntimeSnapshot> {
    const [resources, list, k3s] = await Promise.allSettled([this.o.resources.sample(), this.o.runtime.list(), this.o.k3s.isRunning()]);
    // Without resource figures there is nothing honest to report: the loop backs off and logs.
    if (resources.status === "rejected") throw resources.reason;
    let containers: RuntimeSnapshot["containers"] = null;
    let runningPods: number | null = null;
    let runtimeError: string | null = null;
    if (list.status === "fulfilled") {
      const running = list.value.filter((c) => c.running);
      containers = { running: running.length, total: list.value.length };
      runningPods = running.filter((c) => c.sandbox).length;
    } else {
      runtimeError = (list.reason as Error).message;
      this.o.log.debug("container runtime query failed", { err: list.reason });
    }
    const snap: RuntimeSnapshot = {
      at: Date.now(),
      resources: resources.value,
      containers,
      runningPods,
      runtimeError,
      k3sActive: k3s.status === "fulfilled" && k3s.value,
    };
    this.snapshot = snap;
    return snap;
  }
}
