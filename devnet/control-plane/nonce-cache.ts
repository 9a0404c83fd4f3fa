// Single-use nonces, remembered for as long as their timestamp could still pass the window check:
// older requests are refused by the timestamp check, so the cache stays bounded by the request
// rate. A nonce is never forgotten early: when the cache is full of nonces that could still be
// replayed, new requests are refused (503, unsigned) until old ones expire, rather than evicting
// one and letting its request be replayed.
export type NonceUse = "ok" | "replay" | "full";

export const DEFAULT_MAX_NONCES = 100_000;

export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly ttlMs: number, private readonly maxEntries = DEFAULT_MAX_NONCES) {}

  /** Whether the nonce was used (a replay), without using it: a check before any chain read. */
  has(key: string, now = Date.now()): boolean {
    this.sweep(now);
    return this.seen.has(key);
  }

  /** Whether a new nonce would be refused because the cache is full of unexpired ones. */
  full(now = Date.now()): boolean {
    this.sweep(now);
    return this.seen.size >= this.maxEntries;
  }

  /** Atomically check and remember. "replay" if already used, "full" if it cannot be remembered. */
  use(key: string, now = Date.now()): NonceUse {
    this.sweep(now);
    if (this.seen.has(key)) return "replay";
    if (this.seen.size >= this.maxEntries) return "full";
    this.seen.set(key, now + this.ttlMs);
    return "ok";
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(now: number): void {
    // Insertion order equals expiry order (constant ttl), so stop at the first live entry.
    for (const [k, exp] of this.seen) {
      if (exp > now) break;
      this.seen.delete(k);
    }
  }
}
