// End to end on a host that logs in like a cloud image: a user with passwordless sudo, root login
// disabled in sshd. `pulumi up` provisions it (every step through sudo, files owned by root),
// its SSH host key is pinned on first use, a replaced host key stops the next `up` naming the
// host and both fingerprints, and destroy leaves the host clean and withdraws the stake.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { NodeSSH } from "node-ssh";
import { createSuiClient, readStakeRecord } from "../../src/sui";
import { createTestStack, type TestStack } from "../support/engine";
import { startFleetEnv, type FleetEnv } from "../../devnet/local-stack/fleet-env";
import { sshRun } from "../support/ssh";
import { fingerprint, scanHostKey } from "../../src/components/runtime/ssh";

const root = resolve(__dirname, "../..");
const USER = "admin";
let env: FleetEnv;
let ts: TestStack;
let stakeId = "";

before(async () => {
  // The devnet wants an API key header: the headers file goes through sudo too.
  env = await startFleetEnv({ count: 1, namePrefix: "sudo", subnet: "10.96.0.0/24", sudoUsers: { "sudo-1": USER }, rpcApiKey: "sudo-e2e-api-key-31c0" });
  ts = await createTestStack(root, env.stackConfig(), "sudo", resolve(root, "stacks/Pulumi.sudo.yaml"));
});

after(async () => {
  try {
    await ts?.dispose();
  } finally {
    await env?.stop();
  }
});

const host = () => env.hosts.hosts[0]!;

test("the host logs in as a sudo user only: root login is refused", async () => {
  assert.equal(host().user, USER);
  assert.equal((await sshRun(host(), "sudo -n id -u")).stdout.trim(), "0");
  const ssh = new NodeSSH();
  await assert.rejects(ssh.connect({ host: host().ip, username: "root", privateKey: host().privateKey, readyTimeout: 10_000 }), /authentication/i);
  ssh.dispose();
});

test("up provisions the host through sudo; files are root's; the agent registers", async () => {
  const up = await ts.stack.up({ onOutput: (s) => process.env.E2E_VERBOSE && process.stdout.write(s) });
  assert.equal(up.summary.result, "succeeded");
  const w = (up.outputs.workers!.value as Record<string, { stakeId: string; stakeStatus: string }>)["sudo-1"]!;
  assert.equal(w.stakeStatus, "active");
  stakeId = w.stakeId;
  const owners = await sshRun(host(), "sudo -n stat -c '%U:%G %a %n' /opt/k3s-daas/agent.js /opt/k3s-daas/install-k3s-agent.sh /opt/k3s-daas/node/bin/node /etc/k3s-daas/agent.json /etc/k3s-daas/rpc-headers.json /etc/systemd/system/k3s-daas-agent.service /var/lib/k3s-daas/worker.key");
  for (const line of owners.stdout.trim().split("\n")) assert.match(line, /^root:root /, line);
  assert.match(owners.stdout, /^root:root 600 \/var\/lib\/k3s-daas\/worker\.key$/m);
  assert.match(owners.stdout, /^root:root 600 \/etc\/k3s-daas\/rpc-headers\.json$/m);
  const res = await fetch(`http://${host().ip}:9443/health`);
  assert.equal(((await res.json()) as { registered: boolean }).registered, true);
  // The key pinned on first use is the host's.
  const state = await ts.stack.exportStack();
  const hk = state.deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/k3s-daas:HostKey");
  assert.equal(hk.outputs.hostKey, await scanHostKey(host().ip, 22, hk.outputs.hostKey.split(" ")[0]));
  assert.equal(hk.outputs.trust, "first-use");
});

test("a config change updates the stdin-fed config step on an sshd that refuses environment variables", async () => {
  const acceptEnv = await sshRun(host(), "sudo -n sshd -T | grep -i '^acceptenv' || true");
  assert.ok(!/PULUMI_COMMAND/i.test(acceptEnv.stdout), "PULUMI_COMMAND_* are refused by this sshd");
  await ts.stack.setConfig("heartbeatIntervalMs", { value: "5000" });
  const up = await ts.stack.up();
  assert.equal(up.summary.result, "succeeded");
  // The config step, the agent restart, the host's state and the worker's rollout gate (a config
  // change restarts the agent, so it takes a rollout slot).
  assert.equal(up.summary.resourceChanges?.update, 4, JSON.stringify(up.summary.resourceChanges));
  const cfg = JSON.parse((await sshRun(host(), "cat /etc/k3s-daas/agent.json")).stdout) as { heartbeat: { intervalMs: number } };
  assert.equal(cfg.heartbeat.intervalMs, 5000);
});

test("a host whose SSH host key is replaced is refused by the next up, naming it and both fingerprints", async () => {
  const state = await ts.stack.exportStack();
  const pinned = state.deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/k3s-daas:HostKey").outputs.hostKey as string;
  // Keep the host's keys, give it new ones (as a reinstalled machine or an impostor would have).
  const swap = await sshRun(host(), "sudo -n sh -c 'mkdir -p /root/keys-kept && cp -a /etc/ssh/ssh_host_* /root/keys-kept/ && rm -f /etc/ssh/ssh_host_* && ssh-keygen -q -A && systemctl restart ssh'");
  assert.equal(swap.code, 0, swap.stderr);
  const presented = await scanHostKey(host().ip, 22, pinned.split(" ")[0]);
  assert.notEqual(presented, pinned);
  const err = await ts.stack.up().then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, "up must fail");
  assert.match(err.message, new RegExp(`host sudo-1 \\(${host().ip.replace(/\./g, "\\.")}:22\\) presented SSH host key`));
  assert.ok(err.message.includes(fingerprint(presented)) && err.message.includes(fingerprint(pinned)), err.message);
  // Nothing ran on the host: the agent config is unchanged and the agent still registered.
  const res = await fetch(`http://${host().ip}:9443/health`);
  assert.equal(((await res.json()) as { registered: boolean }).registered, true);
  // The real host comes back with its own keys (the tests' own SSH helper checks no host key).
  const back = await sshRun(host(), "sudo -n sh -c 'rm -f /etc/ssh/ssh_host_* && cp -a /root/keys-kept/ssh_host_* /etc/ssh/ && rm -rf /root/keys-kept && systemctl restart ssh'");
  assert.equal(back.code, 0, back.stderr);
  assert.equal(await scanHostKey(host().ip, 22, pinned.split(" ")[0]), pinned);
});

test("destroy tears the sudo host down cleanly and withdraws the stake", async () => {
  env.devnet.advanceEpoch(1);
  const destroy = await ts.stack.destroy();
  assert.equal(destroy.summary.result, "succeeded");
  const r = await sshRun(host(), "ls -d /usr/local/bin/k3s /etc/systemd/system/k3s-agent.service /etc/systemd/system/k3s-daas-agent.service /opt/k3s-daas /etc/k3s-daas /var/lib/k3s-daas 2>/dev/null; true");
  assert.equal(r.stdout.trim(), "", "host still has files");
  assert.equal((await readStakeRecord(createSuiClient(env.devnet.url, { headers: env.rpcHeaders }), stakeId, env.devnet.ids.packageId))?.status, "withdrawn");
});
