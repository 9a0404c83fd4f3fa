// Header handling for node-http-fetch.ts. Not the global Headers class: touching that loads undici,
// which is what the node:http client exists to avoid.

/** Response headers with fetch's reading rules: names lower-cased, repeated fields joined by ", ". */
export class HttpFetchHeaders {
  readonly #fields = new Map<string, string[]>();

  /** `raw` is Node's rawHeaders: name, value, name, value, ... in wire order. */
  constructor(raw: readonly string[] = []) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const list = this.#fields.get(name);
      if (list) list.push(raw[i + 1]!);
      else this.#fields.set(name, [raw[i + 1]!]);
    }
  }

  get(name: string): string | null {
    return this.#fields.get(name.toLowerCase())?.join(", ") ?? null;
  }

  has(name: string): boolean {
    return this.#fields.has(name.toLowerCase());
  }

  /** Set-Cookie values one by one, as fetch's getSetCookie(). */
  getSetCookie(): string[] {
    return [...(this.#fields.get("set-cookie") ?? [])];
  }

  /** Sorted by name, one entry per name, as fetch's Headers iterate. */
  *entries(): IterableIterator<[string, string]> {
    for (const name of [...this.#fields.keys()].sort()) yield [name, this.get(name)!];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  forEach(cb: (value: string, name: string, headers: HttpFetchHeaders) => void): void {
    for (const [name, value] of this.entries()) cb(value, name, this);
  }

  /** The same fields as one record (repeated names as arrays), e.g. for grpc-web header parsing. */
  toRecord(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, values] of this.#fields) out[name] = values.length === 1 ? values[0]! : [...values];
    return out;
  }
}

// Set by node:http from the request itself; a caller's value would be wrong or a second copy.
const MANAGED = new Set(["content-length", "host", "connection", "transfer-encoding"]);

/** Request headers as lower-cased pairs, with fetch's defaults for what the caller did not set. */
export function requestHeaderList(init: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]> | undefined): Array<[string, string]> {
  const pairs: Array<readonly [string, string]> = Array.isArray(init) ? [...(init as ReadonlyArray<readonly [string, string]>)] : Object.entries(init ?? {});
  const out: Array<[string, string]> = [];
  for (const [name, value] of pairs) {
    const n = name.toLowerCase();
    if (!MANAGED.has(n)) out.push([n, String(value)]);
  }
  // The two defaults of undici's fetch that a server may look at.
  if (!out.some(([n]) => n === "accept")) out.push(["accept", "*/*"]);
  if (!out.some(([n]) => n === "user-agent")) out.push(["user-agent", "node"]);
  return out;
}
