// A connection the node (or a load balancer in front of it) closed while the client still held
// it in its keep-alive pool fails the next request before any answer: undici reports "fetch
// failed" caused by a SocketError ("other side closed") or a reset. Idle-connection timeouts make
// this a normal event over an `up` of many minutes; it must not fail the whole `up`. Such a
// request is sent once more on a new connection. Safe for every Sui call: reads are idempotent,
// and a signed transaction sent twice is the same transaction (same digest, executed once).
// Never retried: an answered request (any HTTP status), an aborted one, other errors.

/** Error codes of a connection that was closed or reset under the request. */
const DROPPED_CONNECTION = new Set(["UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNRESET", "EPIPE"]);

/** Whether `err` (or an error in its cause chain) is a dropped connection. */
export function isDroppedConnection(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && DROPPED_CONNECTION.has(code)) return true;
  }
  return false;
}

/** A fetch-shaped function (the global fetch, or node-http-fetch's), sending a request once more when its connection was dropped before any answer. */
export function retryingDroppedConnections<F extends (input: never, init?: { signal?: AbortSignal | null }) => Promise<unknown>>(f: F): F {
  return (async (input: Parameters<F>[0], init?: Parameters<F>[1]) => {
    try {
      return await f(input, init);
    } catch (err) {
      if (!isDroppedConnection(err) || init?.signal?.aborted) throw err;
      return f(input, init);
    }
  }) as F;
}

/**
 * The global fetch, its failures named: undici rejects with a bare "fetch failed" whose cause
 * (refused, reset, DNS, a certificate it cannot verify) the gRPC transport drops, leaving the
 * operator "RpcError: fetch failed". The message gets the origin and the cause's code and words.
 */
export function namingFailureCauses(f: typeof fetch): typeof fetch {
  return async (input, init) => {
    try {
      return await f(input, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
      if (!(err instanceof TypeError) || !cause || init?.signal?.aborted) throw err;
      const code = typeof cause.code === "string" ? cause.code : "";
      const words = typeof cause.message === "string" ? cause.message : "";
      let origin = "";
      try {
        origin = new URL(input instanceof Request ? input.url : String(input)).origin;
      } catch { /* keep the message without it */ }
      throw new TypeError(`fetch ${origin} failed: ${[code, words].filter(Boolean).join(" ")}`.replace(/ +$/, ""), { cause: err });
    }
  };
}
