// A request whose connection is dropped before any answer (a keep-alive connection the node or
// its load balancer closed) is sent once more; an answered request never is. A raw TCP server
// plays the node, so the drop is exactly that: the request read, the socket destroyed.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { isDroppedConnection, namingFailureCauses, retryingDroppedConnections } from "../../src/sui/retry-fetch";

/** Requests seen; the first `drop` of them are dropped unanswered, the rest answered `status`. */
const plan = { drop: 0, status: 200, seen: 0 };
const sockets = new Set<Socket>();
const server = createServer((socket) => {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
  let buf = "";
  socket.on("data", (d) => {
    buf += d.toString("latin1");
    // One request at a time per connection; the bodies here are small and carry a length.
    for (;;) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      buf = buf.slice(end + 4 + length);
      plan.seen += 1;
      if (plan.seen <= plan.drop) {
        socket.destroy();
        return;
      }
      socket.write(`HTTP/1.1 ${plan.status} X\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok`);
    }
  });
});
const url = new Promise<string>((r) => server.listen(0, "127.0.0.1", () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sui.rpc.v2.LedgerService/GetObject`)));
after(() => {
  for (const s of sockets) s.destroy();
  server.close();
});

const post = { method: "POST", body: new Uint8Array([0, 0, 0, 0, 0]), headers: { "content-type": "application/grpc-web+proto" } };

test("a dropped connection fails a plain fetch: the case is real", async () => {
  Object.assign(plan, { drop: 1, status: 200, seen: 0 });
  await assert.rejects(fetch(await url, post), (err: unknown) => isDroppedConnection(err));
  assert.equal(plan.seen, 1);
});

test("the same request is sent once more and answered", async () => {
  Object.assign(plan, { drop: 1, status: 200, seen: 0 });
  const res = await retryingDroppedConnections(fetch)(await url, post);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "ok");
  assert.equal(plan.seen, 2);
});

test("only once: a connection dropped twice fails the request", async () => {
  Object.assign(plan, { drop: 2, status: 200, seen: 0 });
  await assert.rejects(retryingDroppedConnections(fetch)(await url, post), (err: unknown) => isDroppedConnection(err));
  assert.equal(plan.seen, 2);
});

test("an answered request is never sent again, whatever its status", async () => {
  Object.assign(plan, { drop: 0, status: 503, seen: 0 });
  const res = await retryingDroppedConnections(fetch)(await url, post);
  assert.equal(res.status, 503);
  assert.equal(plan.seen, 1);
});

test("a refused connection is not a dropped one", async () => {
  const closed = createServer();
  const port = await new Promise<number>((r) => closed.listen(0, "127.0.0.1", () => r((closed.address() as AddressInfo).port)));
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(retryingDroppedConnections(fetch)(`http://127.0.0.1:${port}/`, post), (err: unknown) => !isDroppedConnection(err));
});

test("a failure is named by its origin and its cause's code, not a bare \"fetch failed\"", async () => {
  const closed = createServer();
  const port = await new Promise<number>((r) => closed.listen(0, "127.0.0.1", () => r((closed.address() as AddressInfo).port)));
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`, post), /^TypeError: fetch failed$/);
  await assert.rejects(namingFailureCauses(fetch)(`http://127.0.0.1:${port}/x`, post), new RegExp(`^TypeError: fetch http://127\\.0\\.0\\.1:${port} failed: ECONNREFUSED`));
  // A dropped connection named so is still one, and still sent once more.
  Object.assign(plan, { drop: 1, status: 200, seen: 0 });
  assert.equal((await retryingDroppedConnections(namingFailureCauses(fetch))(await url, post)).status, 200);
  assert.equal(plan.seen, 2);
});
