// src/sui/node-http-fetch.ts, the agent's fetch on node:http, against a real HTTP server on
// loopback: what the agent's callers rely on of fetch (status, headers, bodies, streaming, aborts,
// timeouts, connection errors, redirects, keep-alive). The gRPC and control-plane paths over it
// are covered by test/chain/grpc-client.test.ts, test/chain/watch.test.ts and the agent tests.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { httpFetch } from "../../src/sui/node-http-fetch";

let server: Server;
let base: string;
/** Each /stream response waits here for its second chunk, so the test decides when it ends. */
const releases: Array<() => void> = [];

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>> = {
  async "/echo"(req, res) {
    const body = await readAll(req);
    res.writeHead(201, "Made", [["x-one", "1"], ["X-Twice", "a"], ["x-twice", "b"], ["set-cookie", "c=1"], ["set-cookie", "d=2"], ["content-type", "application/json"]].flat());
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString("base64"), port: req.socket.remotePort }));
  },
  "/stream"(_req, res) {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.write(Buffer.from([1, 2, 3]));
    releases.push(() => res.end(Buffer.from([4, 5])));
  },
  "/silent"() {
    // never answers: the client's signal must end it
  },
  "/no-content"(_req, res) {
    res.writeHead(204).end();
  },
  "/gzip"(_req, res) {
    res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync("compressed hello"));
  },
  "/redirect-307"(_req, res) {
    res.writeHead(307, { location: "/echo?from=307" }).end();
  },
  "/redirect-303"(_req, res) {
    res.writeHead(303, { location: "/echo?from=303" }).end();
  },
  "/cut"(req, res) {
    res.writeHead(200, { "content-length": "100" });
    res.write("only part");
    setTimeout(() => req.socket.destroy(), 20);
  },
};

before(async () => {
  server = createServer((req, res) => void routes[(req.url ?? "").split("?")[0]!]?.(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const r of releases) r();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test("status, status text, headers as fetch reads them, a string body and a JSON reply", async () => {
  const res = await httpFetch(`${base}/echo`, { method: "POST", headers: { "Content-Type": "application/json", "X-Node": "w1" }, body: '{"a":1}' });
  assert.equal(res.status, 201);
  assert.equal(res.statusText, "Made");
  assert.equal(res.ok, true);
  assert.equal(res.headers.get("X-ONE"), "1");
  assert.equal(res.headers.get("x-twice"), "a, b", "repeated fields joined, as fetch does");
  assert.deepEqual(res.headers.getSetCookie(), ["c=1", "d=2"]);
  assert.equal(res.headers.get("missing"), null);
  const seen: string[] = [];
  res.headers.forEach((_v, k) => seen.push(k));
  assert.deepEqual(seen, [...seen].sort(), "iterated in name order, as fetch's Headers");
  const j = (await res.json()) as { method: string; headers: Record<string, string>; body: string };
  assert.equal(j.method, "POST");
  assert.equal(j.headers["x-node"], "w1");
  assert.equal(j.headers["content-type"], "application/json");
  assert.equal(j.headers["content-length"], "7");
  assert.equal(j.headers.host, new URL(base).host);
  assert.equal(Buffer.from(j.body, "base64").toString(), '{"a":1}');
  assert.equal(res.bodyUsed, true);
  await assert.rejects(res.text(), /already used/);
});

test("a Uint8Array request body goes out byte for byte; a string body defaults to text/plain", async () => {
  const bytes = new Uint8Array([0, 255, 128, 10, 13]);
  const j = (await (await httpFetch(new URL(`${base}/echo`), { method: "POST", body: bytes })).json()) as { body: string; headers: Record<string, string> };
  assert.deepEqual([...Buffer.from(j.body, "base64")], [...bytes]);
  const t = (await (await httpFetch(`${base}/echo`, { method: "POST", body: "x" })).json()) as { headers: Record<string, string> };
  assert.equal(t.headers["content-type"], "text/plain;charset=UTF-8");
});

test("the streamed body delivers chunks before the response ends", async () => {
  const res = await httpFetch(`${base}/stream`);
  assert.ok(res.body instanceof ReadableStream);
  const reader = res.body.getReader();
  const first = await reader.read();
  assert.equal(first.done, false);
  assert.ok(first.value instanceof Uint8Array);
  assert.deepEqual([...first.value], [1, 2, 3], "the first chunk arrived while the server still holds the response open");
  releases.shift()!();
  const rest: number[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest.push(...r.value);
  assert.deepEqual(rest, [4, 5]);
});

test("a signal that fires while waiting for headers rejects with its reason (TimeoutError, AbortError)", async () => {
  const t0 = Date.now();
  await assert.rejects(httpFetch(`${base}/silent`, { signal: AbortSignal.timeout(150) }), (e: Error) => e.name === "TimeoutError");
  assert.ok(Date.now() - t0 < 2_000);
  const ac = new AbortController();
  const p = httpFetch(`${base}/silent`, { signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(p, (e: Error) => e.name === "AbortError");
  await assert.rejects(httpFetch(`${base}/echo`, { signal: AbortSignal.abort() }), (e: Error) => e.name === "AbortError", "already aborted: nothing sent");
});

test("an abort during a streamed body errors the stream; during text() rejects it", async () => {
  const ac = new AbortController();
  const res = await httpFetch(`${base}/stream`, { signal: ac.signal });
  const reader = res.body!.getReader();
  await reader.read();
  ac.abort();
  await assert.rejects(reader.read(), (e: Error) => e.name === "AbortError");
  releases.shift()!();

  const res2 = await httpFetch(`${base}/stream`, { signal: AbortSignal.timeout(200) });
  await assert.rejects(res2.text(), (e: Error) => e.name === "TimeoutError");
  releases.shift()!();
});

test("connection errors reject with a TypeError naming the origin and the cause's code", async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  await assert.rejects(httpFetch(`http://127.0.0.1:${port}/x`, { method: "POST", body: "{}" }), (e: TypeError & { cause?: { code?: string } }) => {
    assert.ok(e instanceof TypeError);
    assert.equal(e.cause?.code, "ECONNREFUSED");
    assert.match(e.message, new RegExp(`POST http://127\\.0\\.0\\.1:${port} failed: ECONNREFUSED`));
    return true;
  });
  await assert.rejects(httpFetch("ftp://127.0.0.1/x"), /ftp: URLs are not supported/);
  // A body cut short by the server fails the read, not silently short; an unread one that is
  // cut must not crash the process (an uncaught 'error' event would end this test run).
  const cut = await httpFetch(`${base}/cut`);
  await assert.rejects(cut.text());
  await httpFetch(`${base}/cut`);
  await new Promise((r) => setTimeout(r, 100));
});

test("redirects are followed as fetch does: 307 keeps method and body, 303 becomes a GET", async () => {
  const r307 = await httpFetch(`${base}/redirect-307`, { method: "POST", body: "kept" });
  const j307 = (await r307.json()) as { method: string; url: string; body: string };
  assert.equal(r307.redirected, true);
  assert.equal(r307.url, `${base}/echo?from=307`);
  assert.deepEqual([j307.method, j307.url, Buffer.from(j307.body, "base64").toString()], ["POST", "/echo?from=307", "kept"]);
  const j303 = (await (await httpFetch(`${base}/redirect-303`, { method: "POST", body: "dropped" })).json()) as { method: string; body: string };
  assert.deepEqual([j303.method, j303.body], ["GET", ""]);
});

test("204 has a null body; a gzip reply is decoded", async () => {
  const r = await httpFetch(`${base}/no-content`);
  assert.equal(r.status, 204);
  assert.equal(r.body, null);
  assert.equal(await r.text(), "");
  assert.equal(await (await httpFetch(`${base}/gzip`)).text(), "compressed hello");
});

test("sequential requests to one origin reuse a keep-alive connection", async () => {
  const port = async () => ((await (await httpFetch(`${base}/echo`)).json()) as { port: number }).port;
  const a = await port();
  assert.equal(await port(), a);
  assert.equal(await port(), a);
});
