// End to end, the reason a worker exists: after `pulumi up` (the real engine, this project's
// program) every staked host is a Ready Kubernetes Node (the real kubelet, Debian's containerd and
// CNI plugins, a real API server, controller manager and scheduler behind the control-plane
// stand-in), Pods run on it from an image built here and imported as an air-gapped operator's
// would be, and its logs come back through the API server. The stake gates the join: a host with
// the cluster's token but no stake never becomes a Node, a slash fences the node and moves its
// pods, destroy removes the Nodes. Stand-ins: the devnet chain, the control plane's signed API and
// supervisor, the k3s binary's join code and flannel (see the README).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { ChainSession, createSuiClient, keypairFromSecret } from "../../src/sui";
import { createTestStack, type TestStack } from "../support/engine";
import { startFleetEnv, type FleetEnv } from "../../devnet/local-stack/fleet-env";
import { kubectl, pinnedPod, readyCondition, type Kubectl } from "../support/kubectl";
import { sshRun } from "../support/ssh";
import { waitFor } from "../support/wait";

const root = resolve(__dirname, "../..");
const ONE_SUI = 1_000_000_000n;
let env: FleetEnv;
let ts: TestStack;
let k: Kubectl;
const workers = ["k8s-1", "k8s-2"];
const stakeIds: Record<string, string> = {};

type WorkerOut = { endpoint: string; stakeId: string };

before(async () => {
  env = await startFleetEnv({ count: 3, namePrefix: "k8s", subnet: "10.96.0.0/24" });
  ts = await createTestStack(root, env.stackConfig({ hostNames: workers, images: ["pause", "hello"] }), "k8s", resolve(root, "stacks/Pulumi.k8s.yaml"));
  k = kubectl(env.hosts.setup.k3sBinary, env.kubernetes.adminKubeconfig);
});

after(async () => {
  try {
    await ts?.dispose();
  } finally {
    await env?.stop();
  }
});

test("up makes every worker a Ready Node whose kubelet is the configured release", async () => {
  const up = await ts.stack.up();
  assert.equal(up.summary.result, "succeeded");
  for (const [name, w] of Object.entries(up.outputs.workers!.value as Record<string, WorkerOut>)) stakeIds[name] = w.stakeId;
  const nodes = (await k.json<{ items: any[] }>(["get", "nodes"])).items;
  assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), workers);
  for (const n of nodes) {
    const ready = readyCondition(n);
    assert.equal(ready?.status, "True", `${n.metadata.name}: ${JSON.stringify(ready)}`);
    assert.equal(n.status.nodeInfo.kubeletVersion, "v1.31.4+k3s1");
    assert.equal(n.status.nodeInfo.containerRuntimeVersion.startsWith("containerd://"), true);
    assert.match(n.spec.podCIDR, /^10\.42\.\d+\.0\/24$/);
  }
  // The agent says so too, on /health (what HostState waited for).
  for (const h of env.hosts.hosts.filter((x) => workers.includes(x.name))) {
    const health = (await (await fetch(`http://${h.ip}:9443/health`)).json()) as { node?: { ready: boolean | null; kubelet_version?: string } };
    assert.equal(health.node?.ready, true, `${h.name}: ${JSON.stringify(health.node)}`);
  }
});

test("a Pod from an image built here runs on each worker, and its log comes back through the API server", async () => {
  for (const node of workers) await k(["apply", "-f", "-"], pinnedPod(`hello-${node}`, node, env.images.hello.ref));
  for (const node of workers) {
    const pod = await waitFor(`hello-${node} running`, async () => {
      const p = await k.json(["get", "pod", `hello-${node}`]);
      return p.status.phase === "Running" ? p : null;
    }, 120_000, 500);
    assert.equal(pod.spec.nodeName, node);
    assert.match(pod.status.podIP, /^10\.42\./, "an address from the node's pod CIDR, given by the CNI plugins");
    // kubectl logs: API server -> the kubelet on the host (its serving certificate from the server CA).
    const logs = await waitFor(`logs of hello-${node}`, async () => {
      const out = await k(["logs", `hello-${node}`]);
      return out.includes("hello from pod") ? out : null;
    }, 30_000, 500);
    assert.match(logs, new RegExp(`^hello from pod hello-${node} on node ${node}$`, "m"));
  }
});

test("an agent restart is not a leave: the Node, its pods and its registration stay", async () => {
  const h = env.hosts.hosts.find((x) => x.name === workers[0])!;
  const uid = (await k.json(["get", "node", h.name])).metadata.uid;
  await sshRun(h, "systemctl restart k3s-daas-agent");
  await waitFor(`${h.name}'s agent back and ready`, async () => (await fetch(`http://${h.ip}:9443/readyz`)).status === 200, 60_000, 250);
  const node = await k.json(["get", "node", h.name]);
  assert.equal(node.metadata.uid, uid, "the same Node object");
  assert.equal(readyCondition(node)?.status, "True");
  assert.equal((await k.json(["get", "pod", `hello-${h.name}`])).status.phase, "Running");
  assert.ok(env.controlPlane.workers().some((w) => w.node_id === h.name));
});

test("a host with the cluster's token but no stake is refused by the supervisor and never becomes a Node", async () => {
  const intruder = env.hosts.hosts[2]!;
  // The token reaches the host in a 0600 file, as the product's installer would put it.
  await sshRun(intruder, `install -m 0600 /dev/null /root/token && cat > /root/token <<'EOF'\n${env.kubernetes.k3sToken}\nEOF`);
  await sshRun(intruder, `curl -fsSL -o /usr/local/bin/k3s ${env.hosts.k3sBinaryUrl} && chmod 755 /usr/local/bin/k3s`);
  const tries = [
    { name: "intruder", expect: /no verified stake registration/ },
    // A staked worker's name without that worker's node password: k3s's own refusal.
    { name: workers[0]!, expect: /password/i },
  ];
  for (const t of tries) {
    await sshRun(intruder, "rm -rf /etc/rancher/node /var/lib/rancher");
    const r = await sshRun(intruder, `timeout 20 k3s agent --server ${env.kubernetes.supervisorUrl} --token-file /root/token --node-name ${t.name} 2>&1; true`);
    assert.match(r.stdout, t.expect, `${t.name}: ${r.stdout.slice(-1500)}`);
    assert.equal(r.stdout.includes(env.kubernetes.k3sToken), false, "the token is never logged");
    assert.equal((await sshRun(intruder, "ls /var/lib/rancher/k3s/agent/client-kubelet.crt 2>&1; true")).stdout.includes("No such file"), true, "no kubelet certificate was issued");
  }
  const names = (await k.json<{ items: any[] }>(["get", "nodes"])).items.map((n) => n.metadata.name).sort();
  assert.deepEqual(names, workers);
});

test("a slash fences the node at once (unschedulable, its pods moved), measured from finality", async () => {
  // Two replicas, spread over the two workers while both can take pods.
  await k(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "hello" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "hello-deploy" } },
      template: {
        metadata: { labels: { app: "hello-deploy" } },
        spec: {
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: "hello-deploy" } } }],
          containers: [{ name: "hello", image: env.images.hello.ref, imagePullPolicy: "Never" }],
          terminationGracePeriodSeconds: 2,
        },
      },
    },
  }));
  const running = async () => (await k.json<{ items: any[] }>(["get", "pods", "-l", "app=hello-deploy"])).items.filter((p) => p.status.phase === "Running" && !p.metadata.deletionTimestamp);
  await waitFor("both replicas running", async () => (await running()).length === 2, 120_000, 500);
  const [victim, survivor] = workers as [string, string];
  const admin = new ChainSession(createSuiClient(env.devnet.url), keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);
  await admin.slashStake({ stakeId: stakeIds[victim]!, amountMist: ONE_SUI, reason: "e2e: fenced" });
  const final = Date.now();
  // Fenced: cordoned by the control plane, or already deleted (the slashed agent deregisters).
  await waitFor(`${victim} fenced`, async () => {
    const node = await k.json(["get", "node", victim]).catch((e: Error) => (/NotFound/.test(e.message) ? null : Promise.reject(e)));
    return node === null || node.spec.unschedulable === true;
  }, 30_000, 50);
  const fencedMs = Date.now() - final;
  await waitFor("the replicas all on the survivor", async () => {
    const pods = await running();
    return pods.length === 2 && pods.every((p) => p.spec.nodeName === survivor);
  }, 120_000, 250);
  const movedMs = Date.now() - final;
  process.stdout.write(`# slash finality -> node fenced (unschedulable or deleted): ${fencedMs} ms; -> replicas running elsewhere: ${movedMs} ms\n`);
  assert.ok(movedMs < 60_000, `pods moved after ${movedMs} ms, not at once (the default eviction waits 5 min)`);
});

test("destroy removes the Nodes", async () => {
  env.devnet.advanceEpoch(1); // past the pool's lock
  const destroy = await ts.stack.destroy();
  assert.equal(destroy.summary.result, "succeeded");
  const names = (await k.json<{ items: any[] }>(["get", "nodes"])).items.map((n) => n.metadata.name);
  assert.deepEqual(names, []);
});

test("the bug the world would see: with Debian's stock containerd config the node stays NotReady on the CNI, and up fails naming the kubelet's reason", async () => {
  const h = env.hosts.hosts.find((x) => x.name === "k8s-2")!;
  // destroy put Debian's own config.toml back; the product is told to leave it alone.
  const stock = await sshRun(h, "grep -c 'Managed by k3s-daas' /etc/containerd/config.toml; grep -E '^\\s*(bin_dir|conf_dir)' /etc/containerd/config.toml");
  assert.match(stock.stdout, /^0\n/, "Debian's file, not ours");
  assert.match(stock.stdout, /bin_dir = "\/usr\/lib\/cni"/);
  const cfg = env.stackConfig({ hostNames: [h.name] });
  const k3s = { ...JSON.parse(cfg.k3s!.value), manageContainerdConfig: false };
  await ts.stack.setAllConfig({ ...cfg, k3s: { value: JSON.stringify(k3s) }, healthTimeoutSeconds: { value: "45" } });
  await assert.rejects(ts.stack.up(), (err: Error) => {
    assert.match(err.message, /worker k8s-2: the Kubernetes node is not Ready: KubeletNotReady: .*NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized/);
    return true;
  });
  const ready = readyCondition(await k.json(["get", "node", h.name]));
  assert.equal(ready?.status, "False");
  assert.match(ready?.message ?? "", /cni plugin not initialized/);
  // The same host with the product managing containerd: Ready.
  await ts.stack.setAllConfig({ ...cfg, healthTimeoutSeconds: { value: "120" } });
  const up = await ts.stack.up();
  assert.equal(up.summary.result, "succeeded");
  assert.equal(readyCondition(await k.json(["get", "node", h.name]))?.status, "True");
  env.devnet.advanceEpoch(1);
  assert.equal((await ts.stack.destroy()).summary.result, "succeeded");
});
