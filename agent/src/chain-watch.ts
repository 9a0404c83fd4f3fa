// The agent's live view of its stake, seal token and the registry. Changes are pushed: one
// checkpoint stream filtered to those three objects, and a change triggers one batched read at
// once. A slow full re-read (default every 60 s) is the safety net while the stream is up; while
// it is down the view is polled (default every 1 s) and the stream reconnects with exponential
// backoff and jitter. The epoch is read only when the current one is due to end.
//
// Nothing here decides to stop the node: `onView` gets every fresh view and the agent decides
// (after confirming a bad stake with a second read). A failed or malformed read never produces
// a view, so it can never look like a slash.
import type { StakeReader, WorkerIds, WorkerView } from "./chain";
import type { Logger } from "./log";
import { Loop } from "./loop";

export interface ChainView extends WorkerView {
  epoch: bigint;
  readAt: number;
}

export interface ChainWatchOptions {
  reader: StakeReader;
  ids: WorkerIds;
  log: Logger;
  /** Re-read period while the stream is down. */
  pollIntervalMs: number;
  /** Safety-net re-read period while the stream is up. */
  rereadIntervalMs: number;
  /** A stream with no frame for this long is taken as dead and reopened. Default 45 s. */
  streamStaleMs?: number;
  /** A read slower than this fails (and is retried); it never counts as an answer. */
  readTimeoutMs: number;
  /** Reconnect backoff: first delay and cap. Defaults 1 s and 30 s, +-20 % jitter. */
  reconnectMs?: { initial: number; max: number };
  onView(view: ChainView): Promise<void> | void;
  random?: () => number;
}

/** `p`, or a rejection after `ms`: a hung RPC must not hold the watch forever. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class ChainWatch {
  view: ChainView | null = null;
  streamUp = false;
  /** Stream (re)connections so far, chain reads (and failed ones), for the API, metrics and tests. */
  readonly stats = { streamOpens: 0, streamDrops: 0, reads: 0, readFailures: 0, pushedChanges: 0 };
  /**
   * When the stream last delivered a checkpoint (any frame: a change or a progress-only one),
   * Unix ms; null until the first frame. Kept across reconnects, so its age says how long the
   * agent has been without news from the chain's stream.
   */
  lastFrameAt: number | null = null;
  private readonly loop: Loop;
  private closeStream: (() => void) | null = null;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private running = false;
  private epoch: { epoch: bigint; endsAtMs: number } | null = null;
  /** The objects watched; a renewed seal token replaces its id (retarget). */
  private ids: WorkerIds;
  /** Bumped for every stream opened: callbacks of a stream closed on purpose are ignored. */
  private streamGen = 0;

  constructor(private readonly o: ChainWatchOptions) {
    this.ids = { ...o.ids };
    this.loop = new Loop({
      intervalMs: () => (this.streamUp ? o.rereadIntervalMs : o.pollIntervalMs),
      jitter: 0,
      // Keep the pace when the chain errs: this loop is what notices a slash while streamless.
      maxBackoffMs: o.pollIntervalMs,
      run: () => this.refresh().then(() => true, (err) => {
        o.log.debug("chain view: read failed", { err });
        return false;
      }),
    });
  }

  get canPush(): boolean {
    return typeof this.o.reader.watch === "function";
  }

  /** Start watching; `firstView` (already read by the caller) avoids an immediate second read. */
  start(firstView?: ChainView): void {
    if (this.running) return;
    this.running = true;
    if (firstView) this.view = firstView;
    this.openStream();
    this.loop.start(firstView ? this.o.pollIntervalMs : 0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.closeStream?.();
    this.closeStream = null;
    this.streamUp = false;
    await this.loop.stop();
  }

  /**
   * Watch other objects from now on (a renewed seal token): the stream is reopened for them and
   * they are read at once. Safe while stopped (the ids are used when it starts).
   */
  async retarget(ids: WorkerIds): Promise<ChainView | null> {
    this.ids = { ...ids };
    if (!this.running) return null;
    this.streamGen += 1;
    const close = this.closeStream;
    this.closeStream = null;
    this.streamUp = false;
    close?.();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.openStream();
    return this.refresh();
  }

  /** Read everything now (one request, plus the epoch when it is due) and hand the view on. */
  async refresh(): Promise<ChainView> {
    const r = this.o.reader;
    this.o.log.debug("chain view: reading");
    this.stats.reads += 1;
    const dueEpoch = !this.epoch || Date.now() >= this.epoch.endsAtMs;
    let w: WorkerView, e: { epoch: bigint; endsAtMs: number };
    try {
      [w, e] = await withTimeout(
        Promise.all([r.readWorker(this.ids), dueEpoch ? r.epochInfo() : Promise.resolve(this.epoch!)]),
        this.o.readTimeoutMs, "chain read",
      );
    } catch (err) {
      this.stats.readFailures += 1;
      throw err;
    }
    if (dueEpoch) this.stats.reads += 1;
    // Past the predicted end, keep reading the epoch with each refresh until it has moved on.
    this.epoch = e.epoch !== this.epoch?.epoch || Date.now() < e.endsAtMs ? e : { epoch: e.epoch, endsAtMs: 0 };
    const view: ChainView = { ...w, epoch: e.epoch, readAt: Date.now() };
    this.view = view;
    if (this.running) await this.o.onView(view);
    return view;
  }

  /** Set the epoch known from another read (start-up), so the first refresh need not read it. */
  noteEpoch(info: { epoch: bigint; endsAtMs: number }): void {
    this.epoch = info;
  }

  // ---- the stream -----------------------------------------------------------------------

  private openStream(): void {
    if (!this.running || !this.o.reader.watch) return;
    const { initial, max } = this.o.reconnectMs ?? { initial: 1_000, max: 30_000 };
    const ids = [this.ids.stakeId, this.ids.sealTokenId, this.ids.registryId];
    const gen = ++this.streamGen;
    const current = () => this.running && gen === this.streamGen;
    let opened = false;
    const close = this.o.reader.watch(ids, {
      onOpen: () => {
        if (!current()) return;
        opened = true;
        this.attempts = 0;
        this.streamUp = true;
        this.stats.streamOpens += 1;
        this.o.log.debug("chain view: checkpoint stream open");
        this.touch();
        // Anything may have changed while we were not listening: read once now.
        this.loop.kick();
      },
      onFrame: () => {
        if (!current()) return;
        this.lastFrameAt = Date.now();
        this.touch();
      },
      onChange: (changed) => {
        if (!current()) return;
        this.stats.pushedChanges += 1;
        this.o.log.debug("chain view: change pushed", { objects: changed.length });
        this.touch();
        this.loop.kick();
      },
      onClose: (err) => {
        if (this.closeStream === close) this.closeStream = null;
        if (!current()) return;
        this.streamUp = false;
        if (opened) this.stats.streamDrops += 1;
        if (this.staleTimer) clearTimeout(this.staleTimer);
        const delay = Math.min(max, initial * 2 ** this.attempts) * (1 + 0.2 * (2 * (this.o.random ?? Math.random)() - 1));
        this.attempts += 1;
        this.o.log.warn("checkpoint stream closed; polling the chain until it is back", { err, reconnectInMs: Math.round(delay) });
        // Poll at once: the loop was sleeping on the slow re-read.
        this.loop.kick();
        this.reconnectTimer = setTimeout(() => this.openStream(), delay);
      },
    });
    this.closeStream = close;
  }

  /** A frame arrived; a stream silent for too long is dead even if TCP has not noticed. */
  private touch(): void {
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => {
      this.o.log.warn("checkpoint stream silent; reopening it");
      // Closing it reports onClose, which polls meanwhile and schedules the reconnect.
      this.closeStream?.();
    }, this.o.streamStaleMs ?? 45_000);
    this.staleTimer.unref();
  }
}
