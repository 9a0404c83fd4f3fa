// A self-rescheduling timer loop (graphile-worker style): the next run is scheduled only after
// the current one settles, so runs never overlap, and a slow chain or control plane stretches
// the period instead of piling up calls. Jitter spreads a fleet's beats; failures back off
// exponentially up to a cap.
export interface LoopOptions {
  /** The pause between runs; a function is asked again before every run. */
  intervalMs: number | (() => number);
  /** Fraction of the delay to randomise, e.g. 0.1 for +-10 %. */
  jitter: number;
  maxBackoffMs: number;
  /** One iteration. Resolve true on success, false on failure; a throw counts as a failure. */
  run: () => Promise<boolean>;
  onError?: (err: unknown) => void;
  random?: () => number;
}

export class Loop {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = true;
  private rerun = false;
  /** Consecutive failures; reset by a success. */
  failures = 0;

  constructor(private readonly opts: LoopOptions) {}

  get running(): boolean {
    return !this.stopped;
  }

  /** Start; the first iteration runs after `firstDelayMs` (default: at once). */
  start(firstDelayMs = 0): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(firstDelayMs);
  }

  /** Stop scheduling and wait for an iteration in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Run as soon as possible: now if idle, else right after the run in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.inFlight) { this.rerun = true; return; }
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  nextDelay(): number {
    const { jitter, maxBackoffMs } = this.opts;
    const intervalMs = typeof this.opts.intervalMs === "function" ? this.opts.intervalMs() : this.opts.intervalMs;
    const base = this.failures === 0 ? intervalMs : Math.min(intervalMs * 2 ** this.failures, Math.max(maxBackoffMs, intervalMs));
    const r = (this.opts.random ?? Math.random)();
    return Math.max(0, Math.round(base * (1 + jitter * (2 * r - 1))));
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.iterate();
    }, delay);
  }

  private async iterate(): Promise<void> {
    let ok = false;
    try {
      ok = await this.opts.run();
    } catch (err) {
      this.opts.onError?.(err);
    }
    this.failures = ok ? 0 : this.failures + 1;
    this.inFlight = undefined;
    const again = this.rerun;
    this.rerun = false;
    this.schedule(again ? 0 : this.nextDelay());
  }
}
