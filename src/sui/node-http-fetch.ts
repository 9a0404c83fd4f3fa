// A fetch-shaped HTTP client on node:http/node:https, for processes that must stay small (the node
// agent). Node's global fetch, and even touching its Headers/Request/Response globals, loads
// undici and compiles its WebAssembly HTTP parser: about 13 MB of RSS (6.6 MB anonymous, 6.6 MB
// binary pages, bench/README.md "agent-footprint") for a client that sends a few requests a
// minute. node:http's parser is built into the binary and already used by the agent's API server.
//
// Only the subset of fetch the agent's callers use: string/URL input, method, headers as a record
// or pairs, a string/Uint8Array body, AbortSignal, redirects followed like fetch's "follow" but
// within the same origin only (never across origins, never https to http: headers hold API keys); the
// response has status, headers, text()/json()/arrayBuffer() and a streaming web ReadableStream
// body (made only when asked for, so plain request/reply callers never load web streams).
// Limits fetch has and callers rely on are kept: 10 s to connect, 300 s without a byte while
// waiting for headers or body (undici's defaults); keep-alive sockets idle for 4 s at most.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";
import type { Readable } from "node:stream";
import { HttpFetchHeaders, requestHeaderList } from "./node-http-headers.js";

export { HttpFetchHeaders };

export interface HttpFetchInit {
  method?: string;
  headers?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
  body?: string | Uint8Array | null;
  signal?: AbortSignal | null;
}

export type HttpFetch = (input: string | URL, init?: HttpFetchInit) => Promise<HttpFetchResponse>;

export const CONNECT_TIMEOUT_MS = 10_000;
export const IDLE_TIMEOUT_MS = 300_000;
const KEEP_ALIVE_IDLE_MS = 4_000;
const MAX_REDIRECTS = 20;

type Agents = { "http:": HttpAgent; "https:": HttpsAgent };

// `timeout` is what lets the agent honour a server's `Keep-Alive: timeout=N` hint (it closes a
// free socket 1 s before the server would), so a reused socket is rarely one the server is
// closing. `ca`: PEM certificates trusted besides Node's bundled public CAs (a private node's CA).
function makeAgents(ca?: string): Agents {
  return {
    "http:": new HttpAgent({ keepAlive: true, timeout: KEEP_ALIVE_IDLE_MS }),
    "https:": new HttpsAgent({ keepAlive: true, timeout: KEEP_ALIVE_IDLE_MS, ...(ca ? { ca: [...rootCertificates, ca] } : {}) }),
  };
}

/** Connection-level failure (refused, reset, DNS, TLS, timeouts); `cause` is the Node error (with its `code`). */
function networkError(method: string, url: URL, cause: unknown): TypeError {
  const c = cause as { code?: string; message?: string };
  return new TypeError(`${method} ${url.origin} failed: ${c?.code ?? c?.message ?? String(cause)}`, { cause });
}

function timeoutError(what: string, ms: number): Error {
  return Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: "ETIMEDOUT" });
}

export class HttpFetchResponse {
  readonly ok: boolean;
  readonly statusText: string;
  readonly type = "basic";
  #stream: ReadableStream<Uint8Array> | null | undefined;
  #used = false;

  constructor(
    readonly status: number,
    statusText: string | undefined,
    readonly headers: HttpFetchHeaders,
    readonly url: string,
    readonly redirected: boolean,
    /** The (decoded) body, or null when the status or method has none. */
    private readonly source: Readable | null,
    private readonly onAbort: (listener: (reason: unknown) => void) => void,
  ) {
    this.ok = status >= 200 && status < 300;
    this.statusText = statusText ?? "";
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  /** The body as a web stream; chunks are delivered as they arrive (grpc-web server streaming). */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream === undefined) this.#stream = this.source && webStream(this.source, this.onAbort);
    return this.#stream;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  private async bytes(): Promise<Uint8Array> {
    if (this.#used) throw new TypeError("response body already used");
    this.#used = true;
    const chunks: Uint8Array[] = [];
    if (this.#stream) {
      const reader = this.#stream.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    } else if (this.source) {
      // Plain request/reply callers read the Node stream directly: no web streams loaded.
      const src = this.source;
      await new Promise<void>((resolve, reject) => {
        this.onAbort(reject);
        src.on("data", (c: Buffer) => chunks.push(c));
        src.once("end", resolve);
        src.once("error", reject);
      });
    }
    return Buffer.concat(chunks);
  }
}

/** A web ReadableStream over a Node stream, with backpressure (pause when the queue is full). */
function webStream(src: Readable, onAbort: (listener: (reason: unknown) => void) => void): ReadableStream<Uint8Array> {
  let ctl: ReadableStreamDefaultController<Uint8Array>;
  let done = false;
  const fail = (err: unknown) => {
    if (done) return;
    done = true;
    ctl.error(err);
  };
  return new ReadableStream<Uint8Array>({
    start(c) {
      ctl = c;
      src.on("data", (chunk: Buffer) => {
        if (done) return;
        // A plain Uint8Array view, as fetch delivers, not a Buffer.
        c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((c.desiredSize ?? 1) <= 0) src.pause();
      });
      src.once("end", () => {
        if (done) return;
        done = true;
        c.close();
      });
      src.once("error", fail);
      onAbort(fail);
    },
    pull() {
      src.resume();
    },
    cancel() {
      done = true;
      src.destroy();
    },
  });
}

// Errors reach whoever reads the body through its own listeners; a body nobody reads (a caller
// that gives up on a non-2xx reply) must not turn a later reset into an uncaught 'error' event.
const ignore = (): void => undefined;

/** Content-Encoding decoding, for a server that compresses although we never ask it to. */
function decoded(res: IncomingMessage): Readable {
  const enc = (res.headers["content-encoding"] ?? "").trim().toLowerCase();
  if (enc !== "gzip" && enc !== "x-gzip" && enc !== "deflate" && enc !== "br") return res;
  // Loaded only here: most processes never see a compressed reply.
  const zlib = require("node:zlib") as typeof import("node:zlib");
  const z = enc === "br" ? zlib.createBrotliDecompress() : enc === "deflate" ? zlib.createInflate() : zlib.createGunzip();
  res.on("error", (e) => z.destroy(e));
  z.on("error", ignore);
  return res.pipe(z);
}

interface Hop {
  res: IncomingMessage;
  url: URL;
}

/**
 * As a record (repeated names as arrays): given an array, node:http would send exactly that and
 * add no Host header.
 */
function headerRecord(headers: Array<[string, string]>, body: Uint8Array | null): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of headers) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  if (body) out["content-length"] = String(body.byteLength);
  return out;
}

/** One HTTP exchange up to the response headers. */
function send(agents: Agents, url: URL, method: string, headers: Array<[string, string]>, body: Uint8Array | null, signal: AbortSignal | null | undefined): Promise<Hop> {
  const proto = url.protocol === "https:" ? "https:" : "http:";
  const req = (proto === "https:" ? httpsRequest : httpRequest)(url, {
    method,
    agent: agents[proto],
    headers: headerRecord(headers, body),
    timeout: IDLE_TIMEOUT_MS,
  });
  return new Promise<Hop>((resolve, reject) => {
    const onAbort = () => {
      req.destroy();
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    let connectTimer: NodeJS.Timeout | undefined;
    req.on("socket", (socket) => {
      // A reused keep-alive socket is already connected; a new one gets CONNECT_TIMEOUT_MS.
      if (socket.connecting) {
        connectTimer = setTimeout(() => req.destroy(timeoutError("connect", CONNECT_TIMEOUT_MS)), CONNECT_TIMEOUT_MS);
        socket.once(proto === "https:" ? "secureConnect" : "connect", () => clearTimeout(connectTimer));
      }
    });
    // No byte for IDLE_TIMEOUT_MS while waiting for the headers (and, via the socket, the body).
    req.on("timeout", () => req.destroy(timeoutError("response", IDLE_TIMEOUT_MS)));
    req.once("error", (err) => {
      clearTimeout(connectTimer);
      signal?.removeEventListener("abort", onAbort);
      reject(signal?.aborted ? signal.reason : networkError(method, url, err));
    });
    req.once("response", (res) => {
      clearTimeout(connectTimer);
      signal?.removeEventListener("abort", onAbort);
      resolve({ res, url });
    });
    req.end(body ?? undefined);
  });
}

/**
 * A fetch(input, init) over node:http(s) with its own connection pool; see the file comment for
 * what it supports. `ca`: PEM CA certificates trusted besides the public ones.
 */
export function createHttpFetch(opts: { ca?: string } = {}): HttpFetch {
  const agents = makeAgents(opts.ca);
  return (input, init) => fetchWith(agents, input, init);
}

async function fetchWith(agents: Agents, input: string | URL, init: HttpFetchInit = {}): Promise<HttpFetchResponse> {
  let url = new URL(input);
  let method = (init.method ?? "GET").toUpperCase();
  const signal = init.signal;
  if (signal?.aborted) throw signal.reason;
  let headers = requestHeaderList(init.headers);
  let body: Uint8Array | null = null;
  if (typeof init.body === "string") {
    body = Buffer.from(init.body, "utf8");
    if (!headers.some(([k]) => k === "content-type")) headers.push(["content-type", "text/plain;charset=UTF-8"]);
  } else if (init.body) {
    body = init.body;
  }
  for (let redirects = 0; ; redirects++) {
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`${url.protocol} URLs are not supported (http: and https: only)`);
    const { res } = await send(agents, url, method, headers, body, signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      res.resume(); // drain, so the socket goes back to the pool
      if (redirects >= MAX_REDIRECTS) throw networkError(method, url, new Error("too many redirects"));
      const next = new URL(location, url);
      // Unlike fetch: the request's headers (an RPC provider's API key among them) go to the
      // origin they were given for only, and never in clear after TLS. A redirect elsewhere is
      // refused (nothing is sent there), as is any redirect from https to http.
      if (url.protocol === "https:" && next.protocol === "http:") {
        throw networkError(method, url, new Error(`refused a redirect from https to http (${next.origin}): the request would leave TLS`));
      }
      if (next.origin !== url.origin) {
        throw networkError(method, url, new Error(`refused a redirect to another origin (${next.origin}): the request's headers are sent to its own origin only`));
      }
      // As fetch: 303 (and 301/302 after a POST) becomes a GET without a body; a redirect to
      // another origin drops the credentials header fetch drops (authorization).
      if (status === 303 ? method !== "HEAD" : (status === 301 || status === 302) && method === "POST") {
        method = "GET";
        body = null;
        headers = headers.filter(([k]) => k !== "content-type" && k !== "content-length");
      }
      url = next;
      continue;
    }
    res.on("error", ignore);
    const empty = method === "HEAD" || status === 204 || status === 205 || status === 304;
    if (empty) res.resume();
    const onAbort = (listener: (reason: unknown) => void) => {
      if (!signal) return;
      const abortBody = () => {
        res.destroy();
        listener(signal.reason);
      };
      if (signal.aborted) return abortBody();
      signal.addEventListener("abort", abortBody, { once: true });
      // Stop listening once the body is finished, so a long-lived signal holds nothing.
      res.once("close", () => signal.removeEventListener("abort", abortBody));
    };
    return new HttpFetchResponse(status, res.statusMessage, new HttpFetchHeaders(res.rawHeaders), url.href, redirects > 0, empty ? null : decoded(res), onAbort);
  }
}

/** The process-wide client (one pool: the agent talks to two origins, chain RPC and control plane). */
export const httpFetch: HttpFetch = createHttpFetch();
