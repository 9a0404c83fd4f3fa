// The systemd notifier's own logic, with a stand-in systemd-notify that records its arguments
// (the real one on a real systemd is in test/hosts/agent-watchdog.test.ts): nothing without
// NOTIFY_SOCKET, READY=1 then WATCHDOG=1 at half the watchdog interval, each naming our pid,
// pings end at STOPPING=1, and a WATCHDOG_PID for another process means no pings.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createLogger } from "../../agent/src/log";
import { createNotifier, watchdogIntervalMs } from "../../agent/src/sd-notify";

const dir = mkdtempSync(join(tmpdir(), "agent-notify-"));
const fake = join(dir, "systemd-notify");
writeFileSync(fake, `#!/bin/sh\necho "$*" >>'${dir}/calls'\n`, { mode: 0o755 });
const calls = () => { try { return readFileSync(join(dir, "calls"), "utf8").trim().split("\n").filter(Boolean); } catch { return []; } };
const log = createLogger("error", () => {});
after(() => rmSync(dir, { recursive: true, force: true }));

test("watchdog interval from WATCHDOG_USEC, for this pid only", () => {
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: "20000000" }, 42), 20_000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: "20000000", WATCHDOG_PID: "42" }, 42), 20_000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: "20000000", WATCHDOG_PID: "41" }, 42), null);
  assert.equal(watchdogIntervalMs({}, 42), null);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: "junk" }, 42), null);
});

test("no NOTIFY_SOCKET: nothing is sent", async () => {
  const n = createNotifier({ env: { WATCHDOG_USEC: "400000" }, log, command: fake, pid: 42 });
  await n.ready();
  await n.stopping();
  assert.equal(n.watchdogMs, null);
  assert.deepEqual(calls(), []);
});

test("READY=1, then WATCHDOG=1 every half interval, until STOPPING=1", async () => {
  const n = createNotifier({ env: { NOTIFY_SOCKET: "/run/systemd/notify", WATCHDOG_USEC: "400000" }, log, command: fake, pid: 42 });
  await n.ready();
  await new Promise((r) => setTimeout(r, 1_100));
  await n.stopping();
  const c = calls();
  assert.equal(c[0], "--pid=42 READY=1 STATUS=serving the node API");
  const pings = c.filter((l) => l === "--pid=42 WATCHDOG=1").length;
  assert.ok(pings >= 3 && pings <= 6, `${pings} pings in 1.1 s at a 200 ms period`);
  assert.equal(c.at(-1), "--pid=42 STOPPING=1");
  const n0 = calls().length;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(calls().length, n0, "no ping after STOPPING=1");
});
