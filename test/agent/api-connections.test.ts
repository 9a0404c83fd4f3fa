// Issue 23 (low): the agent's API caps its open connections. Beyond the cap a new connection is
// closed at once, while the API keeps answering on the connections it holds, and serves new ones
// again as soon as slots free up.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { API_HEADERS_TIMEOUT_MS, MAX_API_CONNECTIONS, createApiServer } from "../../agent/src/api/server";
import type { ApiContext } from "../../agent/src/api/http";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

/** GET /livez on a held socket (keep-alive); resolves with the status line, or "closed". */
function livez(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    const done = (v: string) => {
      s.off("data", onData);
      s.off("close", onClose);
      resolve(v);
    };
    const onData = (c: Buffer) => {
      data += c.toString();
      if (data.includes("\r\n\r\n") && data.includes("alive")) done(data.split("\r\n")[0]!);
    };
    const onClose = () => done(data ? data.split("\r\n")[0]! : "closed");
    s.on("data", onData);
    s.on("close", onClose);
    s.write("GET /livez HTTP/1.1\r\nhost: agent\r\n\r\n");
  });
}

test("the API has a sane connection cap and timeouts by default", () => {
  const server = createApiServer({ log: quiet } as unknown as ApiContext);
  assert.equal(server.maxConnections, MAX_API_CONNECTIONS);
  assert.ok(MAX_API_CONNECTIONS > 0 && MAX_API_CONNECTIONS <= 1024);
  assert.equal(server.headersTimeout, API_HEADERS_TIMEOUT_MS);
  assert.ok(server.requestTimeout > 0 && server.timeout > 0, "requests and idle connections are bounded in time");
});

test("connections beyond the cap are refused while the held ones are still answered", async () => {
  const cap = 4;
  const server = createApiServer({ log: quiet } as unknown as ApiContext, { maxConnections: cap });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const held: Socket[] = [];
  try {
    for (let i = 0; i < cap; i++) held.push(await open(port));
    assert.match(await livez(held[0]!), /^HTTP\/1\.1 200/, "a held connection is answered");

    // The fifth connection: accepted by the kernel, closed by the server without an answer.
    const extra = await open(port);
    assert.equal(await livez(extra), "closed", "a connection beyond the cap is refused");
    extra.destroy();

    // The API still answers on every connection it holds.
    for (const s of held) assert.match(await livez(s), /^HTTP\/1\.1 200/);

    // A slot freed: a new connection is served again.
    held.pop()!.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const again = await open(port);
    held.push(again);
    assert.match(await livez(again), /^HTTP\/1\.1 200/, "served again once a slot is free");
  } finally {
    for (const s of held) s.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
