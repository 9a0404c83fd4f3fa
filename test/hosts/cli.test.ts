// `npm run hosts -- up|down`: the state file is enough to tear down after a crash, and `up`
// cleans leftovers of a crashed run with the same prefix before starting.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { connect, leftovers, ok } from "./helpers";

const pexec = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "devnet/hosts/cli.ts");
const PREFIX = "tc";
const RUN_DIR = `/var/tmp/k3s-daas-hosts/${PREFIX}`;

function hostsCli(args: string[]) {
  return pexec(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, maxBuffer: 1 << 24, timeout: 300_000 });
}

describe("hosts CLI", { timeout: 600_000 }, () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "hosts-cli-"));
  const statePath = path.join(tmp, "hosts.json");
  const pids: number[] = [];
  after(async () => {
    await hostsCli(["down", "--state", statePath, "--prefix", PREFIX]).catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  });

  test("up writes the state file and the hosts answer over SSH", async () => {
    const { stdout } = await hostsCli(["up", "--count", "1", "--prefix", PREFIX, "--subnet", "10.99.11.0/24", "--state", statePath]);
    const printed = JSON.parse(stdout);
    assert.equal(printed.hosts[0].ip, "10.99.11.2");
    const st = JSON.parse(readFileSync(statePath, "utf8"));
    assert.equal(st.hosts[0].name, `${PREFIX}-1`);
    assert.ok(st.keeperPid > 0 && st.run.hosts[0].pid > 0 && st.run.serverPid > 0);
    pids.push(st.keeperPid, st.run.hosts[0].pid, st.run.serverPid);
    const h = st.hosts[0];
    const ssh = await connect({ ...h, privateKey: readFileSync(h.privateKeyPath, "utf8") });
    assert.equal((await ok(ssh, "ps -p 1 -o comm=")).trim(), "systemd");
    ssh.dispose();
  });

  test("after the keeper crashes, up cleans the leftovers first and down removes everything", async () => {
    const st = JSON.parse(readFileSync(statePath, "utf8"));
    process.kill(st.keeperPid, "SIGKILL"); // crash: hosts, server, mounts, netns stay behind
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(existsSync(RUN_DIR));
    // a second `up` with a different state file but the same prefix must clean up first
    const state2 = path.join(tmp, "hosts2.json");
    await hostsCli(["up", "--count", "1", "--prefix", PREFIX, "--subnet", "10.99.11.0/24", "--state", state2]);
    const st2 = JSON.parse(readFileSync(state2, "utf8"));
    pids.push(st2.keeperPid, st2.run.hosts[0].pid, st2.run.serverPid);
    for (const pid of [st.run.hosts[0].pid, st.run.serverPid]) {
      const state = (() => {
        try {
          const s = readFileSync(`/proc/${pid}/stat`, "utf8");
          return s.slice(s.lastIndexOf(")") + 2, s.lastIndexOf(")") + 3);
        } catch {
          return "gone";
        }
      })();
      assert.ok(state === "gone" || state === "Z", `old process ${pid} is ${state}`);
    }
    await hostsCli(["down", "--state", state2]);
    assert.ok(!existsSync(state2));
    // the first state file is stale now; down on it must be harmless
    await hostsCli(["down", "--state", statePath]);
    assert.deepEqual(leftovers(PREFIX, RUN_DIR, pids), []);
  });
});
