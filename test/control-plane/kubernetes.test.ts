// The control-plane stand-in with real Kubernetes (etcd, kube-apiserver, controller manager,
// scheduler from the multi-call k3s binary) and the k3s supervisor, on loopback only: the join
// endpoints, the stake gate against the devnet chain, the node password, the authenticating
// proxy (certificates, bearer tokens, header spoofing, streams, upgrades), the node lifecycle on
// a slash and a deregistration, and that close() leaves no process behind.
//
// The binary: $K3S_DAAS_KUBE_BINARY when set (e.g. a build at /tmp/k8swrap/k3s), else the
// stand-in ensureSetup() builds for v1.31.4+k3s1.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request, type RequestOptions } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { TLSSocket } from "node:tls";
import { startControlPlane, type ControlPlane } from "../../devnet/control-plane";
import { ensurePki } from "../../devnet/control-plane/kubernetes/pki";
import { ensureSetup } from "../../devnet/hosts/setup";
import { ControlPlaneClient } from "../../agent/src/cp-client";
import { loadOrCreateIdentity } from "../../agent/src/identity";
import { PATH_DEREGISTER, PATH_REGISTER } from "../../agent/src/protocol";
import { slash, stakeNode, startChain, waitFor, type Chain, type Node } from "../agent/helpers";

const PASSWORD_A = randomBytes(16).toString("hex");
let chain: Chain, cp: ControlPlane, dataDir: string;
const nodes: Node[] = [];
const logs: string[] = [];
let ca: Buffer;
let admin: { cert: string; key: string };

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

function k8s() {
  assert.ok(cp.kubernetes, "started with kubernetes");
  return cp.kubernetes;
}

function get(path: string, o: { headers?: Record<string, string>; cert?: { cert: string; key: string }; method?: string; body?: unknown } = {}): Promise<Reply> {
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  const opts: RequestOptions = {
    method: o.method ?? "GET",
    ca,
    headers: { ...o.headers, ...(payload ? { "content-type": "application/json" } : {}) },
    ...(o.cert ?? {}),
    agent: false,
  };
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, k8s().supervisorUrl), opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

function tokenPassword(): string {
  return k8s().k3sToken.split("::node:")[1]!;
}

function basic(password = tokenPassword()): Record<string, string> {
  return { authorization: "Basic " + Buffer.from(`node:${password}`).toString("base64") };
}

function nodeHeaders(name: string, password: string, ip = "10.99.0.2"): Record<string, string> {
  return { ...basic(), "k3s-Node-Name": name, "k3s-Node-Password": password, "k3s-Node-IP": ip };
}

/** PEM blocks of a certificate endpoint's answer: certificates then the key. */
function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----\n?/g) ?? [];
}

function openssl(args: string[], input: string): string {
  return execFileSync("openssl", args, { input, encoding: "utf8" }).trim();
}

async function register(node: Node, path = PATH_REGISTER): Promise<void> {
  const client = new ControlPlaneClient(node.nodeId, loadOrCreateIdentity(node.cfg.paths.workerKey), 10_000);
  const body = path === PATH_REGISTER
    ? { node_id: node.nodeId, seal_token_id: node.sealTokenId, stake_object_id: node.stakeId, worker_pubkey: node.workerPubkey, timestamp: Math.floor(Date.now() / 1000), agent_version: "test" }
    : { node_id: node.nodeId, seal_token_id: node.sealTokenId, timestamp: Math.floor(Date.now() / 1000), reason: "test" };
  await client.post({ endpoint: cp.url, enclavePubkey: cp.publicKey }, path, body);
}

/** The kubelet's client certificate for `node`, as an agent gets it. */
async function kubeletClientCert(node: string, password: string): Promise<{ cert: string; key: string }> {
  const r = await get("/v1-k3s/client-kubelet.crt", { headers: nodeHeaders(node, password) });
  assert.equal(r.status, 200, r.text);
  const blocks = pemBlocks(r.text);
  return { cert: blocks[0]!, key: blocks.at(-1)! };
}

let kubeBinary: string | undefined;
function binary(): string {
  assert.ok(kubeBinary, "a k3s stand-in binary for v1.31.4+k3s1");
  return kubeBinary;
}

before(async () => {
  kubeBinary = process.env.K3S_DAAS_KUBE_BINARY ?? (await ensureSetup()).k3sBinaries["v1.31.4+k3s1"];
  chain = await startChain();
  dataDir = mkdtempSync(join(tmpdir(), "cp-k8s-"));
  cp = await startControlPlane({
    host: "127.0.0.1", port: 0, chainUrl: chain.url, ids: chain.ids, adminSecretKey: chain.adminSecretKey,
    kubernetes: { binary: binary(), supervisorHost: "127.0.0.1", supervisorPort: 0, dataDir: join(dataDir, "server") },
    log: (msg, fields) => void logs.push(JSON.stringify({ msg, ...fields })),
  });
  ca = readFileSync(k8s().serverCaFile);
  const kc = readFileSync(k8s().adminKubeconfig, "utf8");
  const field = (name: string) => Buffer.from(new RegExp(`${name}: (\\S+)`).exec(kc)![1]!, "base64").toString("utf8");
  admin = { cert: field("client-certificate-data"), key: field("client-key-data") };
  nodes.push(await stakeNode(chain, "worker-k8s-a"), await stakeNode(chain, "worker-k8s-b"));
}, { timeout: 600_000 });

after(async () => {
  if (process.env.K3S_DAAS_TEST_DEBUG) process.stderr.write(logs.join("\n") + "\n");
  await cp?.close();
  await chain?.close();
  for (const n of nodes) n.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test("the control plane starts Kubernetes; /cacerts is what the token pins; secrets stay out of logs and arguments", async () => {
  const k = k8s();
  assert.deepEqual(Object.keys(k.pids()).sort(), ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]);
  assert.match(k.k3sToken, /^K10[0-9a-f]{64}::node:[0-9a-f]{32}$/);
  const cacerts = await get("/cacerts");
  assert.equal(cacerts.status, 200);
  assert.equal(`K10${createHash("sha256").update(cacerts.text).digest("hex")}`, k.k3sToken.split("::")[0]);
  assert.equal(cacerts.text, readFileSync(k.serverCaFile, "utf8"));
  assert.equal((await get("/ping")).text, "pong");
  assert.equal((await get("/v1-k3s/readyz", { headers: basic() })).text, "ok");
  assert.equal(statSync(k.adminKubeconfig).mode & 0o777, 0o600);
  assert.equal(statSync(join(dataDir, "server", "tls", "server-ca.key")).mode & 0o777, 0o600);
  for (const pid of Object.values(k.pids())) {
    assert.ok(!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(tokenPassword()), "no secret in a process's arguments");
  }
  assert.ok(!logs.join("\n").includes(tokenPassword()), "no secret in the logs");
});

test("the k3s endpoints want the token: 401 without it or with a wrong one", async () => {
  assert.equal((await get("/v1-k3s/config")).status, 401);
  assert.equal((await get("/v1-k3s/config", { headers: basic("wrong") })).status, 401);
  const cfg = await get("/v1-k3s/config", { headers: basic() });
  assert.equal(cfg.status, 200);
  assert.deepEqual(JSON.parse(cfg.text), {
    ClusterDomain: "cluster.local", ClusterDNS: "10.43.0.10", ClusterIPRange: "10.42.0.0/16", ServiceIPRange: "10.43.0.0/16",
    HTTPSPort: k8s().supervisorPort, SupervisorPort: k8s().supervisorPort, FlannelBackend: "vxlan", EgressSelectorMode: "disabled",
  });
  assert.deepEqual(JSON.parse((await get("/v1-k3s/apiservers", { headers: basic() })).text), [`127.0.0.1:${k8s().supervisorPort}`]);
  assert.equal((await get("/v1-k3s/client-ca.crt", { headers: basic() })).status, 200);
  assert.equal((await get("/v1-k3s/server-ca.crt", { headers: basic() })).text, readFileSync(k8s().serverCaFile, "utf8"));
});

test("a node the control plane has not registered gets no kubelet certificate (stake gate)", async () => {
  for (const path of ["/v1-k3s/serving-kubelet.crt", "/v1-k3s/client-kubelet.crt"]) {
    const r = await get(path, { headers: nodeHeaders("worker-k8s-a", PASSWORD_A) });
    assert.equal(r.status, 403);
    assert.equal(r.text, "node worker-k8s-a has no verified stake registration with the control plane");
  }
  const stranger = await get("/v1-k3s/client-kubelet.crt", { headers: nodeHeaders("not-staked", PASSWORD_A) });
  assert.equal(stranger.status, 403);
});

test("a registered node gets its serving and client certificates, with k3s's names", async () => {
  await register(nodes[0]!);
  const serving = await get("/v1-k3s/serving-kubelet.crt", { headers: nodeHeaders("worker-k8s-a", PASSWORD_A, "10.99.0.2") });
  assert.equal(serving.status, 200, serving.text);
  const sb = pemBlocks(serving.text);
  assert.equal(sb.length, 3, "certificate, CA, key");
  // The key block k3s serves last: EC, as k3s's own (the marker built here, not written out whole).
  assert.ok(sb[2]!.startsWith(`-----BEGIN ${["EC", "PRIVATE", "KEY"].join(" ")}-----`), "an EC key block");
  assert.equal(openssl(["x509", "-noout", "-subject"], sb[0]!), "subject=CN = worker-k8s-a");
  const san = openssl(["x509", "-noout", "-ext", "subjectAltName"], sb[0]!);
  for (const name of ["DNS:worker-k8s-a", "DNS:localhost", "IP Address:127.0.0.1", "IP Address:10.99.0.2"]) assert.ok(san.includes(name), san);
  assert.equal(openssl(["x509", "-noout", "-issuer"], sb[0]!), openssl(["x509", "-noout", "-subject"], readFileSync(k8s().serverCaFile, "utf8")).replace("subject", "issuer"));

  const client = await get("/v1-k3s/client-kubelet.crt", { headers: nodeHeaders("worker-k8s-a", PASSWORD_A) });
  assert.equal(client.status, 200, client.text);
  const cb = pemBlocks(client.text);
  assert.equal(openssl(["x509", "-noout", "-subject"], cb[0]!), "subject=O = system:nodes, CN = system:node:worker-k8s-a");
  assert.equal(openssl(["x509", "-noout", "-issuer"], cb[0]!), openssl(["x509", "-noout", "-subject"], cb[1]!).replace("subject", "issuer"));

  const proxyCert = await get("/v1-k3s/client-kube-proxy.crt", { headers: basic() });
  assert.equal(openssl(["x509", "-noout", "-subject"], pemBlocks(proxyCert.text)[0]!), "subject=CN = system:kube-proxy");
});

test("the same node name with another password is refused, as k3s refuses it", async () => {
  const r = await get("/v1-k3s/client-kubelet.crt", { headers: nodeHeaders("worker-k8s-a", "another-password") });
  assert.equal(r.status, 403);
  assert.equal(r.text, "Forbidden: unable to verify password for node worker-k8s-a");
  assert.equal((await get("/v1-k3s/client-kubelet.crt", { headers: nodeHeaders("worker-k8s-a", PASSWORD_A) })).status, 200);
});

test("the proxy: the admin certificate lists namespaces; no credentials and foreign certificates are refused", async () => {
  const ns = await get("/api/v1/namespaces", { cert: admin });
  assert.equal(ns.status, 200, ns.text);
  const names = (JSON.parse(ns.text) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
  assert.ok(names.includes("default") && names.includes("kube-system"), names.join(","));

  assert.equal((await get("/api/v1/namespaces")).status, 401);

  const foreignDir = mkdtempSync(join(tmpdir(), "foreign-pki-"));
  try {
    // A well-formed system:admin / system:masters client certificate from another CA.
    const foreign = await ensurePki(foreignDir, { sans: ["127.0.0.1"] });
    const r = await get("/api/v1/namespaces", { cert: { cert: readFileSync(foreign.clientAdmin.cert, "utf8"), key: readFileSync(foreign.clientAdmin.key, "utf8") } });
    assert.equal(r.status, 401);
    assert.match(r.text, /not signed by the cluster's client CA/);
  } finally {
    rmSync(foreignDir, { recursive: true, force: true });
  }
});

test("the proxy passes a node's identity on, never a caller's X-Remote headers; bearer tokens go through", async () => {
  const kubelet = await kubeletClientCert("worker-k8s-a", PASSWORD_A);
  // What a kubelet does first: create its own Node (Node authorizer + NodeRestriction).
  const created = await get("/api/v1/nodes", { cert: kubelet, method: "POST", body: { apiVersion: "v1", kind: "Node", metadata: { name: "worker-k8s-a" } } });
  assert.equal(created.status, 201, created.text);
  const spoofed = await get("/api/v1/namespaces", { cert: kubelet, headers: { "X-Remote-User": "system:admin", "X-Remote-Group": "system:masters" } });
  assert.equal(spoofed.status, 403, spoofed.text);
  assert.match(spoofed.text, /system:node:worker-k8s-a/);
  const anonymousSpoof = await get("/api/v1/namespaces", { headers: { "X-Remote-User": "system:admin", "X-Remote-Group": "system:masters" } });
  assert.equal(anonymousSpoof.status, 401);

  const sa = await waitFor("the default service account", async () => {
    const r = await get("/api/v1/namespaces/default/serviceaccounts/default/token", { cert: admin, method: "POST", body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} } });
    return r.status === 201 ? (JSON.parse(r.text) as { status: { token: string } }).status.token : null;
  }, 60_000, 500);
  const asSa = await get("/api/v1/namespaces", { headers: { authorization: `Bearer ${sa}` } });
  assert.equal(asSa.status, 403);
  assert.match(asSa.text, /system:serviceaccount:default:default/);
});

test("a Node's InternalIP is the one its agent last reported (k3s's cloud controller's job): a node moved to another host is reached there", async () => {
  const internalIp = async () => {
    const r = await get("/api/v1/nodes/worker-k8s-a", { cert: admin });
    return ((JSON.parse(r.text) as { status?: { addresses?: { type: string; address: string }[] } }).status?.addresses ?? []).find((a) => a.type === "InternalIP")?.address;
  };
  await waitFor("the reported address", async () => (await internalIp()) === "10.99.0.2", 10_000, 100);
  // The same node name from another host: its serving certificate request reports the new address.
  const again = await get("/v1-k3s/serving-kubelet.crt", { headers: nodeHeaders("worker-k8s-a", PASSWORD_A, "10.99.0.7") });
  assert.equal(again.status, 200, again.text);
  await waitFor("the new address", async () => (await internalIp()) === "10.99.0.7", 10_000, 100);
});

test("the proxy streams a watch and splices an upgraded (websocket) connection", async () => {
  // A plain watch: events arrive while the response is still open.
  const seen = await new Promise<string>((resolve, reject) => {
    const req = request(new URL("/api/v1/namespaces?watch=true", k8s().supervisorUrl), { ca, ...admin, agent: false }, (res) => {
      let buf = "";
      res.on("data", (c: Buffer) => {
        buf += c.toString("utf8");
        if (buf.includes("watched-ns")) {
          resolve(buf);
          req.destroy();
        }
      });
      void get("/api/v1/namespaces", { cert: admin, method: "POST", body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "watched-ns" } } });
    });
    req.on("error", (err) => { if (!(err as NodeJS.ErrnoException).code?.includes("ECONNRESET")) reject(err); });
    req.end();
    setTimeout(() => reject(new Error("no watch event through the proxy")), 30_000).unref();
  });
  assert.match(seen, /"type":"ADDED"/);

  // The same watch over a websocket: the apiserver answers 101 and sends frames through us.
  const frames = await new Promise<string>((resolve, reject) => {
    const req = request(new URL("/api/v1/namespaces?watch=true", k8s().supervisorUrl), {
      ca, ...admin, agent: false,
      // (x/net/websocket, the apiserver's, refuses a handshake without an Origin.)
      headers: { connection: "Upgrade", upgrade: "websocket", origin: "https://127.0.0.1", "sec-websocket-version": "13", "sec-websocket-key": randomBytes(16).toString("base64") },
    });
    req.on("upgrade", (res, socket: TLSSocket) => {
      assert.equal(res.statusCode, 101);
      let buf = Buffer.alloc(0);
      socket.on("data", (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (buf.includes("watched-ns")) {
          socket.destroy();
          resolve(buf.toString("latin1"));
        }
      });
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString("utf8")));
      res.on("end", () => reject(new Error(`not upgraded: HTTP ${res.statusCode}: ${body}`)));
    });
    req.on("error", reject);
    req.end();
    setTimeout(() => reject(new Error("no websocket frame through the proxy")), 30_000).unref();
  });
  assert.match(frames, /ADDED/);
});

test("a slashed worker's Node is cordoned, tainted out-of-service and emptied at once; its kubelet is shut out", async () => {
  const node = nodes[0]!;
  const kubelet = await kubeletClientCert(node.nodeId, PASSWORD_A);
  const pod = await get("/api/v1/namespaces/default/pods", {
    cert: admin, method: "POST",
    body: { apiVersion: "v1", kind: "Pod", metadata: { name: "on-a" }, spec: { nodeName: node.nodeId, containers: [{ name: "c", image: "registry.k8s.io/pause:3.9" }] } },
  });
  assert.equal(pod.status, 201, pod.text);
  assert.ok(k8s().admitted(node.nodeId));

  await slash(chain, node.stakeId, 2_000_000_000n);
  const fenced = await waitFor("the Node fenced", async () => {
    const n = JSON.parse((await get(`/api/v1/nodes/${node.nodeId}`, { cert: admin })).text) as { spec: { unschedulable?: boolean; taints?: { key: string; value: string; effect: string }[] } };
    return n.spec.unschedulable === true && n.spec.taints?.some((t) => t.key === "node.kubernetes.io/out-of-service") ? n : null;
  }, 20_000, 200);
  // (The controller manager adds node.kubernetes.io/unschedulable:NoSchedule for the cordon.)
  assert.deepEqual(fenced.spec.taints!.filter((t) => t.key === "node.kubernetes.io/out-of-service").map(({ key, value, effect }) => ({ key, value, effect })),
    [{ key: "node.kubernetes.io/out-of-service", value: "nodeshutdown", effect: "NoExecute" }]);
  await waitFor("its pod deleted", async () => (await get("/api/v1/namespaces/default/pods/on-a", { cert: admin })).status === 404, 20_000, 200);

  const refused = await get("/v1-k3s/client-kubelet.crt", { headers: nodeHeaders(node.nodeId, PASSWORD_A) });
  assert.equal(refused.status, 403);
  assert.equal(refused.text, `node ${node.nodeId} has no verified stake registration with the control plane`);
  const asKubelet = await get(`/api/v1/nodes/${node.nodeId}`, { cert: kubelet });
  assert.equal(asKubelet.status, 403);
  assert.ok(!k8s().admitted(node.nodeId));
});

test("a deregistered worker's Node is deleted and it gets no more certificates", async () => {
  const node = nodes[1]!;
  await register(node);
  const kubelet = await kubeletClientCert(node.nodeId, "password-b");
  // As a kubelet with --cloud-provider=external registers: tainted uninitialized until a cloud
  // controller (k3s's own, here the control plane) initializes it.
  const uninitialized = { key: "node.cloudprovider.kubernetes.io/uninitialized", value: "true", effect: "NoSchedule" };
  const created = await get("/api/v1/nodes", { cert: kubelet, method: "POST", body: { apiVersion: "v1", kind: "Node", metadata: { name: node.nodeId }, spec: { taints: [uninitialized] } } });
  assert.equal(created.status, 201, created.text);
  await waitFor("the staked Node initialized", async () => {
    const n = JSON.parse((await get(`/api/v1/nodes/${node.nodeId}`, { cert: admin })).text) as { spec: { taints?: { key: string }[] } };
    return !(n.spec.taints ?? []).some((t) => t.key === uninitialized.key);
  }, 20_000, 200);
  await register(node, PATH_DEREGISTER);
  await waitFor("the Node deleted", async () => (await get(`/api/v1/nodes/${node.nodeId}`, { cert: admin })).status === 404, 20_000, 200);
  const r = await get("/v1-k3s/serving-kubelet.crt", { headers: nodeHeaders(node.nodeId, "password-b") });
  assert.equal(r.status, 403);
  assert.match(r.text, /has no verified stake registration/);
  // Its kubelet cannot bring the Node back.
  const back = await get("/api/v1/nodes", { cert: kubelet, method: "POST", body: { apiVersion: "v1", kind: "Node", metadata: { name: node.nodeId } } });
  assert.equal(back.status, 403);
});

test("close() stops every component by PID and leaves none behind", async () => {
  const pids = Object.values(k8s().pids());
  assert.equal(pids.length, 4);
  await cp.close();
  for (const pid of pids) {
    assert.throws(() => process.kill(pid, 0), /ESRCH/, `pid ${pid} is gone`);
  }
});

test("a restart on the same data dir keeps the CA, the token, the node passwords and the cluster's data", async () => {
  const before = { token: k8s().k3sToken, ca: readFileSync(k8s().serverCaFile, "utf8") };
  cp = await startControlPlane({
    host: "127.0.0.1", port: 0, chainUrl: chain.url, ids: chain.ids, adminSecretKey: chain.adminSecretKey, publishToRegistry: false,
    kubernetes: { binary: binary(), supervisorHost: "127.0.0.1", supervisorPort: 0, dataDir: join(dataDir, "server") },
    log: (msg, fields) => void logs.push(JSON.stringify({ msg, ...fields })),
  });
  assert.equal(k8s().k3sToken, before.token);
  assert.equal((await get("/cacerts")).text, before.ca);
  assert.equal((await get("/api/v1/namespaces/watched-ns", { cert: admin })).status, 200);
  // worker-k8s-a's password is still on record (re-registered: its new stake is needed first).
  const pw = JSON.parse(readFileSync(join(dataDir, "server", "cred", "node-passwd"), "utf8")) as Record<string, string>;
  assert.deepEqual(Object.keys(pw), ["worker-k8s-a"]);
  assert.ok(!JSON.stringify(pw).includes(PASSWORD_A), "hashes only");
});
