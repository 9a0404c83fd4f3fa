// Single-use nonces, remembered for as long as their timestamp could still pass the window check:
// older requests are refused by the timestamp check, so the cache stays bounded.
export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly ttlMs: number, private readonly maxEntries = 100_000) {}

  /** Atomically check and remember. False if the nonce was already used. */
  use(key: string, now = Date.now()): boolean {
    this.sweep(now);
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.set(key, now + this.ttlMs);
    return true;
  }

  private sweep(now: number): void {
    // Insertion order equals expiry order (constant ttl), so stop at the first live entry.
    for (const [k, exp] of this.seen) {
      if (exp > now) break;
      this.seen.delete(k);
    }
  }
}
