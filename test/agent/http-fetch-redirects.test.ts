// Issue 23 (low): node-http-fetch follows redirects within one origin only. A redirect to another
// origin is refused before anything is sent there (so an RPC provider's API key header never
// reaches it), and a redirect from https to http is refused. Two real loopback servers.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createHttpFetch, httpFetch } from "../../src/sui/node-http-fetch";
import { makeCertificates } from "../support/tls";

const KEY = "sk-redirect-test-0123456789";
let origin: Server, other: Server, tls: Server, dir: string, ca: string;
let originUrl: string, otherUrl: string, tlsUrl: string;
const seenByOther: IncomingMessage["headers"][] = [];

const listen = (s: Server) => new Promise<string>((r) => s.listen(0, "127.0.0.1", () => r(String((s.address() as AddressInfo).port))));

before(async () => {
  other = createServer((req, res) => {
    seenByOther.push(req.headers);
    res.end("other");
  });
  otherUrl = `http://127.0.0.1:${await listen(other)}`;
  origin = createServer((req, res) => {
    if (req.url === "/same") return void res.writeHead(307, { location: "/final" }).end();
    if (req.url === "/away") return void res.writeHead(307, { location: `${otherUrl}/stolen` }).end();
    res.end(`final ${req.headers["x-api-key"] ?? ""}`);
  });
  originUrl = `http://127.0.0.1:${await listen(origin)}`;
  dir = mkdtempSync(join(tmpdir(), "redirect-tls-"));
  const certs = makeCertificates(dir);
  ca = readFileSync(certs.ca, "utf8");
  tls = createHttpsServer({ key: certs.key, cert: certs.cert }, (_req, res) => void res.writeHead(308, { location: `${otherUrl}/plain` }).end());
  tlsUrl = `https://127.0.0.1:${await listen(tls)}`;
});

after(async () => {
  for (const s of [origin, other, tls]) {
    s?.closeAllConnections();
    await new Promise((r) => s?.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

test("a redirect within the origin is followed with the headers", async () => {
  const r = await httpFetch(`${originUrl}/same`, { headers: { "x-api-key": KEY } });
  assert.equal(r.status, 200);
  assert.equal(r.redirected, true);
  assert.equal(await r.text(), `final ${KEY}`);
});

test("a redirect to another origin is refused and nothing reaches it", async () => {
  await assert.rejects(
    httpFetch(`${originUrl}/away`, { method: "POST", headers: { "x-api-key": KEY, authorization: `Bearer ${KEY}` }, body: "{}" }),
    (e: Error) => e instanceof TypeError && /redirect to another origin/.test(String((e.cause as Error)?.message)) && !e.message.includes(KEY),
  );
  assert.deepEqual(seenByOther, [], "the other origin got no request (so no API key)");
});

test("a redirect from https to http is refused", async () => {
  const f = createHttpFetch({ ca });
  await assert.rejects(f(`${tlsUrl}/x`, { headers: { "x-api-key": KEY } }), (e: Error) => /from https to http/.test(String((e.cause as Error)?.message)));
  assert.deepEqual(seenByOther, [], "nothing was sent in clear");
});
