// Runtime figures (containers, pods, CPU, memory, disk, network, k3s unit state, the Kubernetes
// Node's Ready condition) sampled on their own self-rescheduling loop with jitter, so that every
// GET and every heartbeat answers from memory: a burst of requests costs no process spawn and no
// /proc read. A sample that is slow (ctr hanging until its timeout, an API server that does not
// answer) stretches the period instead of piling up samples.
import type { K3sService } from "./k3s-service";
import type { Logger } from "./log";
import { Loop } from "./loop";
import type { NodeChecker, NodeReadiness } from "./node-ready";
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
  /** The Node's Ready condition and the kubelet's healthz; null when the check is off. */
  node: NodeReadiness | null;
  /** Bytes available to unprivileged users on the data filesystem (statfs bavail). */
  diskAvailableBytes: number | null;
}

export interface TelemetryOptions {
  resources: ResourceSampler;
  runtime: ContainerRuntime;
  k3s: K3sService;
  /** Absent when k3s.nodeReadyCheck is off (a host with no kubelet). */
  node?: NodeChecker;
  log: Logger;
  intervalMs: number;
  jitter: number;
}

export class Telemetry {
  private snapshot: RuntimeSnapshot | undefined;
  private inFlight: Promise<RuntimeSnapshot> | undefined;
  private lastNode = "";
  /** The service manager's own restarts of k3s seen since the agent started (a counter). */
  private managerRestarts = 0;
  private lastNRestarts: number | null = null;
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

  async stop(): Promise<void> {
    await this.loop.stop();
    this.o.node?.close();
  }

  /**
   * Restarts of k3s by its service manager (systemd, `Restart=always`) since this agent started,
   * from the unit's NRestarts at each sample; 0 with the process manager (the agent restarts k3s
   * itself, and counts that in Agent.status).
   */
  get k3sManagerRestarts(): number {
    return this.managerRestarts;
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
    // The Node check is bounded by its own timeout (k3s.nodeCheckTimeoutMs) and never rejects.
    const [resources, list, k3s, node, nRestarts] = await Promise.allSettled([
      this.o.resources.sample(), this.o.runtime.list(), this.o.k3s.isRunning(), this.o.node?.check() ?? Promise.resolve(null),
      this.o.k3s.automaticRestarts?.() ?? Promise.resolve(null),
    ]);
    if (nRestarts.status === "fulfilled") this.noteRestarts(nRestarts.value);
    else this.o.log.debug("reading the k3s unit's restart count failed", { err: nRestarts.reason });
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
    const nodeNow = node.status === "fulfilled" ? node.value : null;
    this.logNodeChange(nodeNow);
    const snap: RuntimeSnapshot = {
      at: Date.now(),
      resources: resources.value,
      containers,
      runningPods,
      runtimeError,
      k3sActive: k3s.status === "fulfilled" && k3s.value,
      node: nodeNow,
      diskAvailableBytes: this.o.resources.diskAvailableBytes,
    };
    this.snapshot = snap;
    return snap;
  }

  /**
   * NRestarts only grows while the unit restarts itself, and is reset to 0 by an explicit start
   * (the agent's own restart, `systemctl restart`): a drop means it restarted from 0 since.
   */
  private noteRestarts(n: number | null): void {
    if (n === null) return;
    if (this.lastNRestarts !== null) {
      const more = n >= this.lastNRestarts ? n - this.lastNRestarts : n;
      if (more > 0) this.o.log.warn("the k3s unit was restarted by systemd", { restarts: more, nRestarts: n });
      this.managerRestarts += more;
    }
    this.lastNRestarts = n;
  }

  /** The journal says when the Node's readiness changes (and why), not at every sample. */
  private logNodeChange(n: NodeReadiness | null): void {
    if (!n) return;
    const seen = { ready: n.ready, reason: n.reason, message: n.message, error: n.error, kubeletHealthy: n.kubeletHealthy, kubeletHealthzError: n.kubeletHealthzError };
    const key = JSON.stringify(seen);
    if (key === this.lastNode) return;
    this.lastNode = key;
    if (n.ready === true && n.kubeletHealthy === true) this.o.log.info("kubernetes node ready", seen);
    else this.o.log.warn("kubernetes node not ready", seen);
  }
}
