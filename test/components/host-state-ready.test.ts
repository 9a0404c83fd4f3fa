// HostState waits for the Kubernetes Node to be Ready, not only for the agent to be registered:
// its wait (waitHealthy, what create and update run over SSH) polls a host and fails a worker
// whose Node does not become Ready within healthTimeoutSeconds naming the kubelet's reason and
// message; a worker whose agent has the check off is not waited for; and a rollout gives the
// slot to the next worker only once the Node is Ready.
//
// The host is this machine's shell running HostState's own observe script, with the host's
// paths moved under a temporary directory (/opt/k3s-daas with a real Node, /usr/local/bin/k3s,
// /var/lib/k3s-daas, /etc/containerd) and systemctl/journalctl answered from files there; the agent's /health is
// a real HTTP server giving the documented body (test/agent/node-ready.test.ts checks that a
// real agent's /health reads the same through nodeFromHealth). No SSH: that part is
// test/components/host-key.test.ts's.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { finishingRollout, waitHealthy, type HostStateInputs } from "../../src/components/runtime/host-state";
import { acquireSlot, holdsSlot, resetRollouts, ROLLOUT_MARKER } from "../../src/components/runtime/rollout";
import type { Run } from "../../src/components/runtime/ssh";
import { runtimeSshKey } from "../support/keys";
import { waitFor } from "../support/wait";

const CNI = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized";
const SHA = "c".repeat(64);

let dir: string, server: Server, port: number, bundleSha: string;
/** The Node object of the agent's /health now (undefined: an agent that predates the check). */
let node: Record<string, unknown> | undefined;
let polls = 0;

const nodeReport = (over: Record<string, unknown>) => ({
  name: "w1", check_enabled: true, ready: null, status: null, reason: null, message: null, kubelet_version: null, unschedulable: null,
  kubelet_healthy: true, kubelet_healthz_error: null, checked_at: new Date().toISOString(), error: null, ...over,
});
const READY = nodeReport({ ready: true, status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", kubelet_version: "v1.31.4+k3s1", unschedulable: false });
const NOT_READY = nodeReport({ ready: false, status: "False", reason: "KubeletNotReady", message: CNI, kubelet_version: "v1.31.4+k3s1", unschedulable: false });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "host-state-ready-"));
  for (const d of ["opt/k3s-daas/node/bin", "usr/local/bin", "var/lib/k3s-daas", "bin", "units", "journal"]) mkdirSync(join(dir, d), { recursive: true });
  symlinkSync(process.execPath, join(dir, "opt/k3s-daas/node/bin/node"));
  writeFileSync(join(dir, "opt/k3s-daas/agent.js"), "// the agent bundle\n");
  bundleSha = createHash("sha256").update(readFileSync(join(dir, "opt/k3s-daas/agent.js"))).digest("hex");
  writeFileSync(join(dir, "usr/local/bin/k3s"), "#!/bin/sh\necho 'k3s version v1.31.4+k3s1 (a1b2c3d4)'\necho 'go version go1.22.9'\n", { mode: 0o755 });
  // systemctl is-active [--quiet] UNIT: the state in units/UNIT; journalctl -u UNIT: journal/UNIT.
  writeFileSync(join(dir, "bin/systemctl"), `#!/bin/sh\n[ "$1" = is-active ] || exit 1\nfor u; do :; done\ns=$(cat '${dir}'/units/"$u" 2>/dev/null || echo inactive)\necho "$s"\n[ "$s" = active ]\n`, { mode: 0o755 });
  writeFileSync(join(dir, "bin/journalctl"), `#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = -u ] && u=$2; shift; done\ncat '${dir}'/journal/"$u" 2>/dev/null\n`, { mode: 0o755 });
  writeFileSync(join(dir, "units/k3s-daas-agent.service"), "active\n");
  writeFileSync(join(dir, "units/k3s-agent.service"), "active\n");
  writeFileSync(join(dir, "journal/k3s-agent.service"), `E1207 kubelet.go:3002] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"\n`);
  writeFileSync(join(dir, "journal/k3s-daas-agent.service"), `{"level":"info","msg":"registered with the control plane"}\n`);
  server = createServer((req, res) => {
    polls++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
      status: "healthy", registered: true, node_id: "w1", stake_status: "active",
      config_sha256: SHA, bundle_sha256: bundleSha, node_version: process.version,
      ...(node ? { node } : {}),
    }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  resetRollouts();
  polls = 0;
  rmSync(join(dir, "var/lib/k3s-daas/rollout-digest"), { force: true });
});

/** A root shell on the host in `dir`: HostState's commands, with the host's paths moved there. */
const run: Run = (cmd) => {
  const moved = cmd.replaceAll("/opt/k3s-daas", `${dir}/opt/k3s-daas`).replaceAll("/usr/local/bin/k3s", `${dir}/usr/local/bin/k3s`).replaceAll("/var/lib/k3s-daas", `${dir}/var/lib/k3s-daas`).replaceAll("/etc/containerd", `${dir}/etc/containerd`);
  return new Promise((resolve) => {
    execFile("/bin/sh", ["-c", moved], { env: { PATH: `${dir}/bin:/usr/bin:/bin` } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
};

/** Never used to connect (commands run through `run`), but a real key made at run time all the same. */
const SSH_KEY = runtimeSshKey().pem;

const inputs = (over: Partial<HostStateInputs> = {}): HostStateInputs => ({
  host: "127.0.0.1", port: 22, user: "root", privateKey: SSH_KEY, hostKey: "ssh-ed25519 AAAA", allowUnreachableHost: false, connectRetries: 1,
  nodeId: "w1", agentPort: port, bundleSha256: bundleSha, bundlePath: "/x/agent.js", configSha256: SHA, removeContainerd: false,
  containerPackage: "containerd", containerdConfig: "", healthTimeoutSeconds: 60, k3sVersion: "v1.31.4+k3s1", nodeVersion: "",
  rolloutFleet: "f", maxUnavailable: 1, rolloutDigest: "d".repeat(64),
  ...over,
});

const marker = () => { try { return readFileSync(join(dir, ROLLOUT_MARKER.replace("/var/lib/k3s-daas", "var/lib/k3s-daas")), "utf8"); } catch { return ""; } };

test("a Ready node: the wait ends, the rollout marker is written, the outputs carry no node object", async () => {
  node = READY;
  const outs = await waitHealthy(inputs(), run, 20);
  assert.deepEqual([outs.agentActive, outs.registered, outs.k3sActive, outs.hostK3sVersion, outs.hostBundleSha256], [true, true, true, "v1.31.4+k3s1", bundleSha]);
  assert.equal("node" in outs, false, "the outputs keep their shape");
  assert.equal(marker(), "d".repeat(64));
});

test("NotReady, then Ready: the wait lasts until the node is Ready", async () => {
  node = NOT_READY;
  let done = false;
  const wait = waitHealthy(inputs(), run, 20).then((o) => { done = true; return o; });
  await waitFor("a few NotReady polls", () => polls >= 3);
  assert.equal(done, false, "registered and k3s active, but the node is NotReady");
  assert.equal(marker(), "", "no rollout marker while NotReady");
  node = READY;
  await wait;
  assert.equal(marker(), "d".repeat(64));
});

test("NotReady until healthTimeoutSeconds: `up` fails naming the worker and the kubelet's reason and message, with the kubelet's log", async () => {
  node = NOT_READY;
  await assert.rejects(waitHealthy(inputs({ healthTimeoutSeconds: 1 }), run, 20), (err: Error) => {
    const [first, ...rest] = err.message.split("\n");
    assert.equal(first, `worker w1: the Kubernetes node is not Ready: KubeletNotReady: ${CNI} (waited 1s; kubelet v1.31.4+k3s1)`);
    assert.equal(rest[0], "last k3s agent log lines:");
    assert.match(rest.join("\n"), /Container runtime network not ready/);
    return true;
  });
  assert.equal(marker(), "");
});

test("a node the agent cannot read (not registered yet) fails with the agent's error; another node name is named", async () => {
  node = nodeReport({ name: "w1-node", error: "node w1-node is not registered with the API server (yet): 404" });
  await assert.rejects(waitHealthy(inputs({ healthTimeoutSeconds: 1 }), run, 20),
    /^Error: worker w1: the Kubernetes node w1-node is not Ready: node w1-node is not registered with the API server \(yet\): 404 \(waited 1s\)\n/);
  node = nodeReport({ ready: true, status: "True", reason: "KubeletReady", kubelet_healthy: false, kubelet_healthz_error: "http://127.0.0.1:10248/healthz: ECONNREFUSED" });
  await assert.rejects(waitHealthy(inputs({ healthTimeoutSeconds: 1 }), run, 20),
    /^Error: worker w1: the Kubernetes node is not Ready: the kubelet's healthz fails: http:\/\/127\.0\.0\.1:10248\/healthz: ECONNREFUSED/);
});

test("the agent's check off (no kubelet on the host), or an agent that predates it: not waited for", async () => {
  node = nodeReport({ check_enabled: false, ready: null, kubelet_healthy: null, checked_at: null });
  await waitHealthy(inputs(), run, 20);
  node = undefined;
  await waitHealthy(inputs(), run, 20);
});

test("an agent that is not healthy is reported as before, even when the node is NotReady", async () => {
  node = NOT_READY;
  writeFileSync(join(dir, "units/k3s-agent.service"), "inactive\n");
  try {
    await assert.rejects(waitHealthy(inputs({ healthTimeoutSeconds: 1 }), run, 20),
      /^Error: worker w1 did not come back healthy within 1s: k3s-agent.service is not active \(\/health: /);
  } finally {
    writeFileSync(join(dir, "units/k3s-agent.service"), "active\n");
  }
});

test("rollout (maxUnavailable 1): the next worker gets the slot only once the node is Ready", async () => {
  node = NOT_READY;
  await acquireSlot("f", "w1", 1, 5_000); // w1's RolloutGate took the slot for an upgrade
  let w2 = false;
  const next = acquireSlot("f", "w2", 1, 30_000).then(() => { w2 = true; });
  const w1 = finishingRollout(inputs(), () => waitHealthy(inputs(), run, 20));
  await waitFor("w1 polled NotReady", () => polls >= 3);
  assert.deepEqual([w2, holdsSlot("f", "w1")], [false, true], "w2 waits while w1's node is NotReady");
  node = READY;
  await w1;
  await next;
  assert.deepEqual([w2, holdsSlot("f", "w1"), holdsSlot("f", "w2")], [true, false, true]);
});

test("rollout: a node that stays NotReady stops the rollout; the waiting worker is left untouched, told why", async () => {
  node = NOT_READY;
  await acquireSlot("f", "w1", 1, 5_000);
  const next = acquireSlot("f", "w2", 1, 30_000);
  await assert.rejects(finishingRollout(inputs({ healthTimeoutSeconds: 1 }), () => waitHealthy(inputs({ healthTimeoutSeconds: 1 }), run, 20)), /the Kubernetes node is not Ready/);
  await assert.rejects(next, new RegExp(`^Error: rollout of fleet f stopped at worker w1, so w2 was left untouched: worker w1: the Kubernetes node is not Ready: KubeletNotReady: ${CNI.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(waited 1s; kubelet v1\\.31\\.4\\+k3s1\\)`));
});
