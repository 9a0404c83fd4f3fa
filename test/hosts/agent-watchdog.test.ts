// The shipped agent unit on a real systemd (a test host): Type=notify readiness reaches systemd
// through systemd-notify (Node has no unix datagram sockets), watchdog pings keep a healthy agent
// running, and an agent that stops answering (SIGSTOP) is killed and restarted by systemd.
// The agent runs with a chain it cannot reach (start-up blocked, retrying): the API serves and
// the event loop runs, which is all readiness and the watchdog are about.
// Run under the hosts lock: flock /tmp/k3s-daas-hosts.lock npm test -- test/hosts/agent-watchdog.test.ts
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import type { NodeSSH } from "node-ssh";
import { startHosts, type Hosts } from "../../devnet/hosts";
import { ensureNodeTarball, pinnedNodeVersion } from "../../src/components/node-runtime";
import { AGENT_BUNDLE, AGENT_CONFIG, AGENT_UNIT, NODE_DIR } from "../../src/components/remote-scripts";
import { connect, ok } from "./helpers";

const ROOT = resolve(__dirname, "../..");
const PREFIX = "wd";

async function show(ssh: NodeSSH, props: string[]): Promise<Record<string, string>> {
  const out = await ok(ssh, `systemctl show k3s-daas-agent.service -p ${props.join(",")}`);
  return Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("agent unit under systemd", { timeout: 300_000 }, () => {
  let hs: Hosts;
  let ssh: NodeSSH;

  before(async () => {
    hs = await startHosts({ count: 1, namePrefix: PREFIX, subnet: "10.99.12.0/24", log: (m) => console.log(`# ${m}`) });
    ssh = await connect(hs.hosts[0]!);
    const tarball = await ensureNodeTarball("x86_64", pinnedNodeVersion(ROOT));
    await ok(ssh, "mkdir -p /opt/k3s-daas /etc/k3s-daas && install -d -m 0700 /var/lib/k3s-daas");
    await ssh.putFile(tarball, "/opt/k3s-daas/node.tgz");
    // As the NodeRuntime resource unpacks it on a real host.
    await ok(ssh, `mkdir -p ${NODE_DIR} && tar -xzf /opt/k3s-daas/node.tgz -C ${NODE_DIR} --strip-components=1 --no-same-owner && rm /opt/k3s-daas/node.tgz`);
    await ssh.putFile(join(ROOT, "dist/agent/agent.js"), AGENT_BUNDLE);
    await ssh.putFile(join(ROOT, "agent/systemd/k3s-daas-agent.service"), AGENT_UNIT);
    const id = "0x" + "1".padStart(64, "0");
    const cfg = {
      nodeId: "wd-node",
      // Nothing listens there: start-up stays blocked and retries, the API serves.
      sui: { rpcUrl: `http://${hs.bridgeIp}:9`, packageId: id, poolId: id, registryId: id },
      stakeId: id,
      sealTokenId: id,
      k3s: { manager: "systemd", unit: "k3s-agent.service" },
      api: { host: "0.0.0.0", port: 9443 },
    };
    await ok(ssh, `cat > ${AGENT_CONFIG}`, JSON.stringify(cfg));
    await ok(ssh, "systemctl daemon-reload && systemctl start k3s-daas-agent.service");
  });

  after(async () => {
    ssh?.dispose();
    await hs?.stop();
  });

  test("Type=notify: the start returns once the agent said READY=1, with its status text", async () => {
    const p = await show(ssh, ["Type", "ActiveState", "SubState", "StatusText", "NotifyAccess", "WatchdogUSec", "MainPID"]);
    assert.equal(p.Type, "notify");
    assert.equal(p.ActiveState, "active");
    assert.equal(p.SubState, "running");
    // Only a notify message attributed to the unit sets this: the message reached systemd.
    assert.equal(p.StatusText, "serving the node API");
    assert.equal(p.WatchdogUSec, "20s");
    const live = await fetch(`http://${hs.hosts[0]!.ip}:9443/livez`);
    assert.equal(live.status, 200);
  });

  test("a healthy agent's watchdog pings keep it running past WatchdogSec", async () => {
    const before = await show(ssh, ["MainPID", "NRestarts"]);
    await new Promise((r) => setTimeout(r, 26_000)); // > WatchdogSec=20s
    const after = await show(ssh, ["MainPID", "NRestarts", "ActiveState"]);
    assert.equal(after.ActiveState, "active");
    assert.equal(after.MainPID, before.MainPID, "not restarted: the pings arrived");
    assert.equal(after.NRestarts, before.NRestarts);
  });

  test("a SIGSTOPped agent is killed by the watchdog and restarted", async () => {
    const before = await show(ssh, ["MainPID", "NRestarts"]);
    const stoppedAt = Date.now();
    await ok(ssh, `kill -STOP ${before.MainPID}`);
    // WatchdogSec 20 s + TimeoutAbortSec 5 s + RestartSec 5 s, plus start-up.
    const restarted = await until("a new agent process, active again", async () => {
      const p = await show(ssh, ["MainPID", "NRestarts", "ActiveState"]);
      return p.MainPID !== before.MainPID && p.MainPID !== "0" && p.ActiveState === "active" ? p : undefined;
    }, 90_000);
    console.log(`# restarted ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after SIGSTOP`);
    assert.equal(Number(restarted.NRestarts), Number(before.NRestarts) + 1);
    const journal = await ok(ssh, "journalctl -u k3s-daas-agent.service --no-pager -o cat");
    assert.match(journal, /[Ww]atchdog timeout/);
    const live = await fetch(`http://${hs.hosts[0]!.ip}:9443/livez`);
    assert.equal(live.status, 200, "the new agent serves");
    assert.notEqual((await ok(ssh, `ps -o stat= -p ${before.MainPID} || echo gone`)).trim()[0], "T", "the stopped process is gone");
  });
});
