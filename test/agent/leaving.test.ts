// A SIGTERM is a leave (deregister) only when the agent's unit is no longer enabled: a restart
// must not make the control plane delete a Node whose k3s keeps running.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ownUnit, stopIsLeaving } from "../../agent/src/leaving";

test("the agent's own unit is read from /proc/self/cgroup (cgroup v1 and v2)", () => {
  const cases: [string, string | null][] = [
    ["12:pids:/system.slice/k3s-daas-agent.service\n1:name=systemd:/system.slice/k3s-daas-agent.service\n0::/system.slice/k3s-daas-agent.service", "k3s-daas-agent.service"],
    ["0::/system.slice/k3s-daas-agent.service\n", "k3s-daas-agent.service"],
    ["1:name=systemd:/user.slice/user-0.slice/session-3.scope\n0::/user.slice/user-0.slice/session-3.scope", null],
    ["", null],
  ];
  for (const [text, unit] of cases) assert.equal(ownUnit(text), unit, text);
});

test("outside systemd every stop is a leave; under systemd it follows `systemctl is-enabled` of the agent's own unit", async () => {
  assert.equal(await stopIsLeaving({}), true, "no INVOCATION_ID: started by hand");
  const cgroup = () => "0::/system.slice/k3s-daas-agent.service\n";
  assert.equal(await stopIsLeaving({ INVOCATION_ID: "x" }, () => "0::/user.slice/session-1.scope\n"), true, "no unit of ours found");
  // A systemctl that answers as the real one does (exit 0 only for enabled), first on PATH.
  const dir = mkdtempSync(join(tmpdir(), "leaving-"));
  const old = process.env.PATH;
  try {
    const fake = join(dir, "systemctl");
    process.env.PATH = `${dir}:${old}`;
    for (const [answer, code, leaving] of [["enabled", 0, false], ["disabled", 1, true], ["masked", 1, true], ["enabled-runtime", 0, true]] as const) {
      writeFileSync(fake, `#!/bin/sh\n[ "$1 $2" = "is-enabled k3s-daas-agent.service" ] || exit 3\necho ${answer}\nexit ${code}\n`);
      chmodSync(fake, 0o755);
      assert.equal(await stopIsLeaving({ INVOCATION_ID: "x" }, cgroup), leaving, answer);
    }
  } finally {
    process.env.PATH = old;
    rmSync(dir, { recursive: true, force: true });
  }
});
