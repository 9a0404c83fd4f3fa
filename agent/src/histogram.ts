// A fixed-bucket histogram kept in plain memory (no prom-client: it loads on the first scrape,
// and observations start before that). api/metrics-registry.ts renders it in Prometheus form.

export interface HistogramSeries {
  labels: Record<string, string>;
  /** Cumulative count per upper bound, in the order of `bounds` (the +Inf bucket is `count`). */
  buckets: number[];
  sum: number;
  count: number;
}

export class DurationHistogram {
  private readonly series = new Map<string, HistogramSeries>();

  /** `bounds`: bucket upper bounds in seconds, ascending. */
  constructor(readonly bounds: readonly number[]) {}

  observe(labels: Record<string, string>, seconds: number): void {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { ...labels }, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.bounds.length; i++) if (seconds <= this.bounds[i]!) s.buckets[i]! += 1;
    s.sum += seconds;
    s.count += 1;
  }

  /** Every series observed so far (copies). */
  snapshot(): HistogramSeries[] {
    return [...this.series.values()].map((s) => ({ labels: { ...s.labels }, buckets: [...s.buckets], sum: s.sum, count: s.count }));
  }
}

/** Control-plane round trips: 5 ms to 10 s (the request timeout defaults to 5 s). */
export const ROUND_TRIP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
