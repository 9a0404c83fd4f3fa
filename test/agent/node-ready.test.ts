// Healthy means Ready: the agent reads its Kubernetes Node's Ready condition with the kubelet's
// own kubeconfig (k3s's template, file paths to the CA and the kubelet's client certificate and
// key) from a real HTTPS server on loopback standing in for the API server, and the kubelet's
// healthz; /health, /readyz and /metrics report Ready and NotReady with the kubelet's reason, an
// API server that cannot be reached or refuses the certificate as an error (never as Ready), and
// a host with the check off as null. HostState's reading of /health (nodeFromHealth,
// nodeNotReady) is checked against these real answers, so the two sides agree on the shape.
// The bundled agent does the same check (with k3s.nodeName) without loading undici.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import { agentConfigSchema, readConfig } from "../../agent/src/config";
import { nodeFromHealth, nodeNotReady } from "../../src/components/runtime/host-state";
import { CNI_NOT_READY, READY, startApiServerStandin, startKubeletHealthz, type ApiServerStandin, type HealthzStandin } from "./apiserver-standin";
import { getJson, runAgent, stakeNode, startChain, startCp, waitFor, type Chain, type Node, type Started } from "./helpers";
import type { ProcessK3s } from "../../agent/src/k3s-service";

const ROOT = resolve(__dirname, "../..");
const NAME = "worker-ready";
let chain: Chain, cp: ControlPlane, api: ApiServerStandin & { kubeconfig: string }, healthz: HealthzStandin;
let node: Node, agent: Started, offNode: Node, off: Started;

before(async () => {
  execFileSync("npm", ["run", "--silent", "build:agent"], { cwd: ROOT, stdio: "inherit" });
  chain = await startChain();
  cp = await startCp(chain);
  node = await stakeNode(chain, NAME);
  api = await startApiServerStandin(node.dir, NAME);
  healthz = await startKubeletHealthz();
  node.cfgInput = { ...node.cfgInput, k3s: { ...node.cfgInput.k3s, nodeReadyCheck: true, kubeconfig: api.kubeconfig, kubeletHealthzUrl: healthz.url, nodeCheckTimeoutMs: 1_000 } };
  node.cfg = agentConfigSchema.parse(node.cfgInput);
  agent = await runAgent(node);
  offNode = await stakeNode(chain, "worker-no-kubelet"); // helpers: nodeReadyCheck false
  off = await runAgent(offNode);
});

after(async () => {
  await agent?.stop();
  await off?.stop();
  await api?.close();
  await healthz?.close();
  await cp?.close();
  await chain?.close();
  node?.cleanup();
  offNode?.cleanup();
});

const health = (a = agent) => getJson(a.base + "/health");
const readyz = (a = agent) => getJson(a.base + "/readyz");
const metrics = async (a = agent) => (await fetch(a.base + "/metrics")).text();
const gauge = (text: string, name: string) => new RegExp(`^${name}\\{node_id="([^"]+)"\\} (\\S+)$`, "m").exec(text);
/** The gauge's [node_id, value] once it reads `value` (/metrics re-renders at most once a second). */
const gaugeWhen = (name: string, value: string, a = agent) =>
  waitFor(`${name} ${value}`, async () => { const g = gauge(await metrics(a), name); return g?.[2] === value ? g.slice(1) : undefined; });
/** The /health body once its `node` satisfies `ok` (a sample after the change). */
const healthWhen = (what: string, ok: (n: any) => boolean) =>
  waitFor(what, async () => { const h = await health(); return ok(h.body.node) ? h : undefined; });

test("config: the check is on by default, with k3s's kubeconfig and the kubelet's healthz; off and a node name are accepted", () => {
  const base = { ...node.cfgInput, k3s: undefined };
  const d = readConfig({}, JSON.stringify(base)).k3s;
  assert.equal(d.nodeReadyCheck, true);
  assert.equal(d.kubeconfig, "/var/lib/rancher/k3s/agent/kubelet.kubeconfig");
  assert.equal(d.kubeletHealthzUrl, "http://127.0.0.1:10248/healthz");
  assert.equal(d.nodeName, undefined, "the node id is the node name");
  const set = readConfig({}, JSON.stringify({ ...base, k3s: { nodeReadyCheck: false, nodeName: "w1.example" } })).k3s;
  assert.deepEqual([set.nodeReadyCheck, set.nodeName], [false, "w1.example"]);
  assert.throws(() => readConfig({}, JSON.stringify({ ...base, k3s: { kubeconfig: "kubelet.kubeconfig" } })), /config key "k3s.kubeconfig": must be an absolute path/);
  assert.throws(() => readConfig({}, JSON.stringify({ ...base, k3s: { nodeName: "Not_A_Name" } })), /config key "k3s.nodeName": must be a DNS-1123 name/);
  assert.throws(() => readConfig({}, JSON.stringify({ ...base, k3s: { kubeletHealthzUrl: "https://127.0.0.1:10248/healthz" } })), /k3s.kubeletHealthzUrl/);
});

test("Ready: /health, /readyz and /metrics say so; the kubelet's client certificate is what the API server saw", async () => {
  api.nodes.set(NAME, READY);
  const h = await healthWhen("node ready", (n) => n.ready === true);
  assert.equal(h.status, 200);
  const { checked_at, ...rest } = h.body.node;
  assert.ok(Date.parse(checked_at) > 0);
  assert.deepEqual(rest, {
    name: NAME, check_enabled: true, ready: true, status: "True", reason: "KubeletReady", message: "kubelet is posting ready status",
    kubelet_version: "v1.31.4+k3s1", unschedulable: false, kubelet_healthy: true, kubelet_healthz_error: null, error: null,
  });
  const r = await waitFor("readyz 200", async () => { const x = await readyz(); return x.status === 200 ? x : undefined; });
  assert.deepEqual(r.body.checks, { running: true, registered: true, stake_active: true, k3s_active: true, node_ready: true, kubelet_healthy: true });
  assert.equal(r.body.node.ready, true);
  assert.deepEqual(await gaugeWhen("k3s_daas_node_ready", "1"), [NAME, "1"]);
  const m = await metrics();
  assert.deepEqual(gauge(m, "k3s_daas_kubelet_healthy")?.slice(1), [NAME, "1"]);
  assert.deepEqual(gauge(m, "k3s_daas_node_unschedulable")?.slice(1), [NAME, "0"]);
  // Every request carried the kubelet's certificate (system:node:<name> in system:nodes) and
  // asked for this node only.
  assert.ok(api.requests.length > 0);
  for (const q of api.requests) assert.deepEqual(q, { path: `/api/v1/nodes/${NAME}`, subject: `O=system:nodes,CN=system:node:${NAME}`, authorized: true });
  assert.equal(nodeNotReady(nodeFromHealth(h.body)!), "", "HostState reads this /health as Ready");
});

test("NotReady: the kubelet's reason and message on /health; /readyz 503 on node_ready alone; the gauge 0; HostState names them", async () => {
  api.nodes.set(NAME, CNI_NOT_READY);
  const h = await healthWhen("node not ready", (n) => n.ready === false);
  assert.equal(h.status, 200, "/health's status is the agent's; the Node is reported in `node`");
  assert.deepEqual([h.body.node.status, h.body.node.reason, h.body.node.message, h.body.node.error], ["False", CNI_NOT_READY.reason, CNI_NOT_READY.message, null]);
  const r = await readyz();
  assert.equal(r.status, 503);
  assert.deepEqual(r.body.checks, { running: true, registered: true, stake_active: true, k3s_active: true, node_ready: false, kubelet_healthy: true });
  assert.equal(r.body.node.reason, "KubeletNotReady");
  assert.deepEqual(await gaugeWhen("k3s_daas_node_ready", "0"), [NAME, "0"]);
  assert.ok(agent.lines.some((l) => l.includes('"msg":"kubernetes node not ready"') && l.includes('"reason":"KubeletNotReady"')), "the journal says so, once");
  assert.equal(agent.lines.filter((l) => l.includes('"reason":"KubeletNotReady"')).length, 1, "not at every sample");
  assert.equal(
    nodeNotReady(nodeFromHealth(h.body)!),
    "KubeletNotReady: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized",
  );
});

test("a cordoned Ready node: unschedulable on /health and in its gauge", async () => {
  api.nodes.set(NAME, { ...READY, unschedulable: true });
  const h = await healthWhen("node cordoned", (n) => n.ready === true && n.unschedulable === true);
  assert.equal(h.body.node.reason, "KubeletReady");
  assert.deepEqual(await gaugeWhen("k3s_daas_node_unschedulable", "1"), [NAME, "1"]);
});

test("not registered yet (404): not Ready, and the error says why", async () => {
  api.nodes.delete(NAME);
  const h = await healthWhen("node unknown", (n) => n.ready === null && n.error !== null);
  assert.match(h.body.node.error, /^node worker-ready is not registered with the API server \(yet\): 404$/);
  assert.equal(h.body.node.kubelet_version, null);
  assert.equal((await readyz()).status, 503);
  assert.match(nodeNotReady(nodeFromHealth(h.body)!), /not registered/);
});

test("a client certificate the API server does not trust: 401 as an error, not Ready; a renewed certificate is picked up", async () => {
  api.nodes.set(NAME, READY);
  await healthWhen("ready again", (n) => n.ready === true);
  const crt = join(node.dir, "agent", "client-kubelet.crt");
  const key = join(node.dir, "agent", "client-kubelet.key");
  const good = { crt: readFileSync(crt, "utf8"), key: readFileSync(key, "utf8") };
  writeFileSync(crt, api.untrusted.cert);
  writeFileSync(key, api.untrusted.key);
  try {
    const h = await healthWhen("refused", (n) => n.ready === null && /401/.test(n.error ?? ""));
    assert.equal(h.body.node.error, "the API server answered 401: Unauthorized");
    assert.ok(api.requests.some((q) => !q.authorized), "the untrusted certificate was presented and refused");
    assert.equal((await readyz()).body.checks.node_ready, false);
  } finally {
    writeFileSync(crt, good.crt);
    writeFileSync(key, good.key);
  }
  await healthWhen("ready with the kubelet's certificate again", (n) => n.ready === true);
});

test("the kubelet's healthz fails: kubelet_healthy false, /readyz 503, its gauge 0, HostState says so", async () => {
  healthz.healthy = false;
  try {
    const h = await healthWhen("kubelet unhealthy", (n) => n.kubelet_healthy === false);
    assert.match(h.body.node.kubelet_healthz_error, /answered 500: .*\[-\]syncloop failed/s);
    const r = await readyz();
    assert.equal(r.status, 503);
    assert.equal(r.body.checks.kubelet_healthy, false);
    assert.deepEqual(await gaugeWhen("k3s_daas_kubelet_healthy", "0"), [NAME, "0"]);
    assert.match(nodeNotReady(nodeFromHealth(h.body)!), /^the kubelet's healthz fails: /);
  } finally {
    healthz.healthy = true;
  }
  await healthWhen("kubelet healthy again", (n) => n.kubelet_healthy === true);
});

test("the API server unreachable: an error naming it, never Ready; Ready again when it is back", async () => {
  api.nodes.set(NAME, READY);
  await healthWhen("ready", (n) => n.ready === true);
  await api.close();
  try {
    const h = await healthWhen("unreachable", (n) => n.error !== null);
    assert.equal(h.body.node.ready, null);
    assert.equal(h.body.node.error, `the API server https://127.0.0.1:${api.port} is unreachable: ECONNREFUSED`);
    assert.equal((await readyz()).status, 503);
    assert.deepEqual(await gaugeWhen("k3s_daas_node_ready", "0"), [NAME, "0"]);
  } finally {
    await api.reopen();
  }
  await healthWhen("ready after the API server is back", (n) => n.ready === true);
});

test("check off (a host with no kubelet): node null on /health, no node checks on /readyz, no Node gauges, no request", async () => {
  const h = await waitFor("registered", async () => { const x = await health(off); return x.body.registered ? x : undefined; });
  assert.deepEqual(h.body.node, {
    name: "worker-no-kubelet", check_enabled: false, ready: null, status: null, reason: null, message: null, kubelet_version: null,
    unschedulable: null, kubelet_healthy: null, kubelet_healthz_error: null, checked_at: null, error: null,
  });
  assert.equal(nodeFromHealth(h.body), null, "HostState does not wait for it");
  const r = await waitFor("readyz 200", async () => { const x = await readyz(off); return x.status === 200 ? x : undefined; });
  assert.deepEqual(r.body.checks, { running: true, registered: true, stake_active: true, k3s_active: true });
  const m = await metrics(off);
  assert.ok(gauge(m, "k3s_daas_agent_running"), "the other gauges are there");
  assert.equal(gauge(m, "k3s_daas_node_ready"), null);
  assert.equal(gauge(m, "k3s_daas_kubelet_healthy"), null);
  assert.ok(!api.requests.some((q) => q.path.includes("worker-no-kubelet")));
});

test("the bundled agent checks the Node named by k3s.nodeName without loading undici", async () => {
  const renamed = "worker-ready-renamed";
  api.nodes.set(renamed, CNI_NOT_READY);
  // The node name must be the certificate's: a kubelet can read only its own Node; the stand-in
  // serves any name to a trusted certificate, so the path is what shows the override.
  const before = api.requests.length;
  const bundleNode = await stakeNode(chain, "worker-ready-bundle");
  try {
    copyFileSync(join(ROOT, "dist/agent/agent.js"), join(bundleNode.dir, "agent.js"));
    writeFileSync(join(bundleNode.dir, "probe.cjs"), `process.on("exit", () => require("node:fs").writeFileSync(process.env.MODULE_LIST_OUT, JSON.stringify(process.moduleLoadList)));\n`);
    writeFileSync(join(bundleNode.dir, "agent.json"), JSON.stringify({
      ...bundleNode.cfgInput,
      k3s: { ...bundleNode.cfgInput.k3s, nodeReadyCheck: true, nodeName: renamed, kubeconfig: api.kubeconfig, kubeletHealthzUrl: healthz.url, nodeCheckTimeoutMs: 1_000 },
    }));
    const out = join(bundleNode.dir, "modules.json");
    const c = spawn(process.execPath, ["--require", join(bundleNode.dir, "probe.cjs"), join(bundleNode.dir, "agent.js")], {
      env: { PATH: "/usr/bin:/bin", STAKER_CONFIG_PATH: join(bundleNode.dir, "agent.json"), MODULE_LIST_OUT: out },
      cwd: bundleNode.dir, stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    createInterface({ input: c.stdout! }).on("line", (l) => lines.push(l));
    createInterface({ input: c.stderr! }).on("line", (l) => lines.push(l));
    const exited = new Promise<number | null>((r) => c.once("exit", (code) => r(code)));
    try {
      const port = await waitFor("API listening", () => lines.map((l) => JSON.parse(l) as { msg: string; port?: number }).find((l) => l.msg === "agent API listening")?.port);
      const h = await waitFor("the renamed node's condition", async () => {
        const x = await getJson(`http://127.0.0.1:${port}/health`);
        return x.body?.node?.ready === false ? x : undefined;
      });
      assert.deepEqual([h.body.node.name, h.body.node.reason, h.body.node.message], [renamed, CNI_NOT_READY.reason, CNI_NOT_READY.message]);
      assert.ok(api.requests.slice(before).some((q) => q.path === `/api/v1/nodes/${renamed}`));
      c.kill("SIGTERM");
      assert.equal(await exited, 0, lines.join("\n"));
    } finally {
      if (c.exitCode === null) c.kill("SIGKILL");
    }
    const loaded = JSON.parse(readFileSync(out, "utf8")) as string[];
    assert.ok(loaded.includes("NativeModule https"), "the probe's list is the agent's");
    assert.deepEqual(loaded.filter((m) => /undici/i.test(m)), [], "no undici module was loaded");
    assert.ok(!lines.some((l) => l.includes("BEGIN") || l.includes("PRIVATE KEY")), "no key material in the log");
  } finally {
    bundleNode.cleanup();
  }
});

test("a Node deleted under a running kubelet: k3s is restarted once after k3s.nodeMissingRestartMs, so the kubelet registers it again", async () => {
  // What happens when an agent of an earlier release deregisters as it restarts (the control plane
  // deletes the Node) or an admin deletes it: the kubelet registers its Node only when it starts.
  const HEALER = "worker-node-deleted";
  const n = await stakeNode(chain, HEALER);
  const hApi = await startApiServerStandin(n.dir, HEALER);
  hApi.nodes.set(HEALER, READY);
  n.cfgInput = { ...n.cfgInput, k3s: { ...n.cfgInput.k3s, nodeReadyCheck: true, kubeconfig: hApi.kubeconfig, kubeletHealthzUrl: healthz.url, nodeCheckTimeoutMs: 1_000, nodeMissingRestartMs: 1_500 } };
  n.cfg = agentConfigSchema.parse(n.cfgInput);
  const a = await runAgent(n);
  try {
    await waitFor("Ready", async () => (await getJson(a.base + "/health")).body.node?.ready === true);
    const pid = (a.k3s as ProcessK3s).pid;
    hApi.nodes.delete(HEALER);
    await waitFor("k3s restarted for the missing Node", () => a.agent.status.nodeMissingRestarts === 1, 15_000);
    assert.notEqual((a.k3s as ProcessK3s).pid, pid, "a new k3s process");
    assert.match(a.agent.status.lastK3sRestart?.reason ?? "", /^Node worker-node-deleted missing from the API server for \d+ s while its kubelet runs$/);
    assert.ok(a.lines.some((l) => /restarting the k3s agent so the kubelet registers its Node again/.test(l)));
    // Still missing (the restart did not bring it back): no churn, one restart per spell.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(a.agent.status.nodeMissingRestarts, 1);
    // The kubelet registered it again: Ready, and the next spell may restart once more.
    hApi.nodes.set(HEALER, READY);
    await waitFor("Ready again", async () => (await getJson(a.base + "/health")).body.node?.ready === true);
    assert.match(await (await fetch(a.base + "/metrics")).text(), /^k3s_daas_k3s_restarts_total\{[^}]*reason="node_missing"[^}]*\} 1$/m);
    assert.equal(a.agent.status.phase, "running");
  } finally {
    await a.stop();
    await hApi.close();
    n.cleanup();
  }
});
