// The docker container runtime (containerRuntime.type "docker": k3s with --docker, kubelet through
// cri-dockerd). There is no docker daemon here, so a stand-in `docker` CLI (fixtures/fake-docker)
// serves a container table shaped like cri-dockerd's and records every call; a tiny HTTP server
// on a unix socket plays the daemon it pings. First the runtime on its own, then whole agents.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import type { ControlPlane } from "../../devnet/control-plane";
import type { AgentConfig } from "../../agent/src/config";
import { CommandError } from "../../agent/src/exec";
import type { ProcessK3s } from "../../agent/src/k3s-service";
import { countRunningPods, createRuntime } from "../../agent/src/runtime";
import { getJson, processAlive, runAgent, signedPost, stakeNode, startChain, startCp, waitFor, type Chain, type Node, type Started } from "./helpers";

const FAKE_DOCKER = join(__dirname, "fixtures", "fake-docker");
const dir = mkdtempSync(join(tmpdir(), "agent-docker-"));
const SOCK = join(dir, "docker.sock");

// The stand-in finds its table through the environment, which the agent's children inherit.
process.env.FAKE_DOCKER_STATE = dir;
delete process.env.DOCKER_HOST;
process.env.PATH = dirname(process.execPath) + delimiter + process.env.PATH; // its `#!/usr/bin/env node`

interface Row { id: string; names: string; image: string; state: string; status: string; labels: Record<string, string> }

/** A pod as cri-dockerd creates it: a k8s_POD_ sandbox (pause) and k8s_<container>_ app containers. */
function pod(name: string, namespace: string, containers: string[], state: "running" | "exited"): Row[] {
  const uid = randomUUID();
  const base = { "io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": namespace, "io.kubernetes.pod.uid": uid };
  const status = state === "running" ? "Up 3 hours" : "Exited (0) 2 hours ago";
  const sandboxId = randomBytes(32).toString("hex");
  return [
    { id: sandboxId, names: `k8s_POD_${name}_${namespace}_${uid}_0`, image: "rancher/mirrored-pause:3.6", state, status,
      labels: { ...base, "io.kubernetes.docker.type": "podsandbox", "io.kubernetes.container.name": "POD" } },
    ...containers.map((c) => ({
      id: randomBytes(32).toString("hex"), names: `k8s_${c}_${name}_${namespace}_${uid}_0`, image: `docker.io/library/${c}:latest`, state, status,
      labels: { ...base, "io.kubernetes.docker.type": "container", "io.kubernetes.container.name": c, "io.kubernetes.sandbox.id": sandboxId },
    })),
  ];
}

/** Two running pods, a finished job, and two host containers the kubelet did not make. */
function cluster(): Row[] {
  return [
    ...pod("web-7c5b9d8f4-x2x9k", "default", ["nginx"], "running"),
    ...pod("coredns-6799fbcd5-h6w2p", "kube-system", ["coredns"], "running"),
    ...pod("backup-28911520-5kq7z", "default", ["backup"], "exited"),
    { id: randomBytes(32).toString("hex"), names: "registry", image: "registry:2", state: "running", status: "Up 5 days", labels: {} },
    // Named like a kubelet container, but without cri-dockerd's labels: not Kubernetes'.
    { id: randomBytes(32).toString("hex"), names: "k8s_nightly_tools", image: "alpine:3.20", state: "running", status: "Up 1 hour", labels: {} },
  ];
}

const table = (): Row[] => JSON.parse(readFileSync(join(dir, "containers.json"), "utf8"));
const calls = (): { argv: string[]; host: string }[] =>
  readFileSync(join(dir, "calls.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const k8sRows = (rows: Row[]) => rows.filter((r) => "io.kubernetes.pod.uid" in r.labels);

function reset(rows: Row[] = cluster()): Row[] {
  writeFileSync(join(dir, "containers.json"), JSON.stringify(rows));
  writeFileSync(join(dir, "calls.jsonl"), "");
  return rows;
}

/** The daemon end of the socket: answers docker's `GET /_ping` (or never answers). */
async function startDaemon(path: string, answer = true): Promise<Server> {
  rmSync(path, { force: true });
  const s = createServer((req, res) => {
    if (!answer) return;
    if (req.url === "/_ping") res.writeHead(200, { "content-type": "text/plain", "api-version": "1.45" }).end("OK");
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => s.listen(path, () => r()));
  return s;
}
const stopDaemon = async (s: Server) => {
  s.closeAllConnections();
  await new Promise<void>((r) => s.close(() => r()));
};

const dockerCfg = (over: Partial<AgentConfig["containerRuntime"]> = {}): AgentConfig["containerRuntime"] =>
  ({ type: "docker", binary: FAKE_DOCKER, socket: SOCK, commandTimeoutMs: 5_000, ...over });

let daemon: Server;
before(async () => void (daemon = await startDaemon(SOCK)));
after(async () => {
  await stopDaemon(daemon);
  rmSync(dir, { recursive: true, force: true });
});

describe("docker runtime", () => {
  beforeEach(() => void reset());

  test("lists the kubelet's containers from `docker ps` and counts running pod sandboxes", async () => {
    const rows = table();
    const rt = createRuntime(dockerCfg());
    assert.equal(rt.kind, "docker");
    const list = await rt.list();
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    assert.deepEqual(
      list.sort(byId),
      k8sRows(rows)
        .map((r) => ({ id: r.id, running: r.state === "running", sandbox: r.names.startsWith("k8s_POD_") }))
        .sort(byId),
      "full ids of the 6 kubelet containers; the registry and the k8s_-named host container are left out",
    );
    assert.equal(await countRunningPods(rt), 2, "web and coredns run; the finished job's sandbox does not count");

    const [first] = calls();
    assert.equal(first!.host, `unix://${SOCK}`);
    assert.deepEqual(first!.argv.slice(0, 3), ["-H", `unix://${SOCK}`, "ps"]);
    assert.ok(first!.argv.includes("--no-trunc") && first!.argv.includes("-a"));
    assert.ok(first!.argv.join(" ").includes("--filter label=io.kubernetes.pod.uid"));
  });

  test("stopAll kills every running kubelet container with one `docker kill`, and nothing else", async () => {
    const rows = table();
    const rt = createRuntime(dockerCfg());
    const running = k8sRows(rows).filter((r) => r.state === "running").map((r) => r.id);
    assert.equal(running.length, 4);
    assert.equal(await rt.stopAll(), 4);

    const kills = calls().filter((c) => c.argv.includes("kill"));
    assert.equal(kills.length, 1);
    assert.deepEqual(kills[0]!.argv.slice(0, 3), ["-H", `unix://${SOCK}`, "kill"]);
    assert.deepEqual(kills[0]!.argv.slice(3).sort(), running.sort());
    const now = table();
    for (const id of running) assert.match(now.find((r) => r.id === id)!.status, /^Exited \(137\)/, "SIGKILLed");
    assert.equal(now.find((r) => r.names === "registry")!.state, "running", "host containers are left alone");
    assert.equal(now.find((r) => r.names === "k8s_nightly_tools")!.state, "running");

    // Nothing left to kill: no `docker kill` with an empty list (docker would refuse it).
    assert.equal(await rt.stopAll(), 0);
    assert.equal(calls().filter((c) => c.argv.includes("kill")).length, 1);
    assert.equal(await countRunningPods(rt), 0);
  });

  test("the configured socket reaches docker; without one docker's own default applies", async () => {
    // A socket nobody listens on: the runtime asks there, and says what docker said.
    const elsewhere = join(dir, "other.sock");
    await assert.rejects(createRuntime(dockerCfg({ socket: elsewhere })).list(), (err: Error) => {
      assert.ok(err instanceof CommandError);
      assert.equal(err.message, `${FAKE_DOCKER} ps: Cannot connect to the Docker daemon at unix://${elsewhere}. Is the docker daemon running?`);
      return true;
    });
    assert.equal(calls().at(-1)!.host, `unix://${elsewhere}`);

    // No socket configured: no -H, so docker goes by DOCKER_HOST (here: our daemon).
    process.env.DOCKER_HOST = `unix://${SOCK}`;
    try {
      assert.equal(await countRunningPods(createRuntime(dockerCfg({ socket: undefined }))), 2);
    } finally {
      delete process.env.DOCKER_HOST;
    }
    const last = calls().at(-1)!;
    assert.equal(last.argv[0], "ps");
    assert.ok(!last.argv.includes("-H"));
  });

  test("a missing, failing or hung docker is a clear CommandError, bounded in time", async () => {
    const missing = join(dir, "no-such", "docker");
    const rt = createRuntime(dockerCfg({ binary: missing }));
    await assert.rejects(rt.list(), { name: "CommandError", message: `${missing} ps: not found` });
    await assert.rejects(rt.stopAll(), { name: "CommandError", message: `${missing} ps: not found` });

    // The daemon refuses a filter (as an old daemon would): docker's last stderr line is the reason.
    const failing = join(dir, "failing-docker");
    writeFileSync(failing, "#!/bin/sh\necho \"Error response from daemon: client version 1.45 is too new. Maximum supported API version is 1.41\" >&2\nexit 1\n", { mode: 0o755 });
    await assert.rejects(createRuntime(dockerCfg({ binary: failing })).list(), {
      name: "CommandError",
      message: `${failing} ps: Error response from daemon: client version 1.45 is too new. Maximum supported API version is 1.41`,
    });

    // A daemon that accepts but never answers: the CLI is killed after commandTimeoutMs.
    const hungSock = join(dir, "hung.sock");
    const hung = await startDaemon(hungSock, false);
    try {
      const t0 = Date.now();
      await assert.rejects(createRuntime(dockerCfg({ socket: hungSock, commandTimeoutMs: 500 })).list(), (err: Error) => {
        assert.ok(err instanceof CommandError);
        assert.ok(err.message.startsWith(`${FAKE_DOCKER} ps: `), err.message);
        return true;
      });
      assert.ok(Date.now() - t0 < 3_000, "bounded by commandTimeoutMs");
    } finally {
      await stopDaemon(hung);
    }
  });
});

describe("an agent on docker", () => {
  let chain: Chain, cp: ControlPlane;
  let good: Node, goodAgent: Started, broken: Node, brokenAgent: Started;

  before(async () => {
    reset();
    chain = await startChain();
    cp = await startCp(chain);
    good = await stakeNode(chain, "worker-docker", { containerRuntime: { type: "docker", binary: FAKE_DOCKER, socket: SOCK } });
    goodAgent = await runAgent(good);
    // docker not installed on this host (or its path misconfigured).
    broken = await stakeNode(chain, "worker-nodocker", { containerRuntime: { type: "docker", binary: join(dir, "no-such", "docker"), socket: SOCK } });
    brokenAgent = await runAgent(broken);
  });

  after(async () => {
    await goodAgent?.stop();
    await brokenAgent?.stop();
    await cp?.close();
    await chain?.close();
    good?.cleanup();
    broken?.cleanup();
  });

  test("heartbeats the pod count docker reports and kills the containers through docker on unstake", async () => {
    const w = await waitFor("a heartbeat", () => cp.workers().find((x) => x.node_id === good.nodeId && x.heartbeats >= 1));
    assert.equal(w.last_heartbeat!.running_pods, 2);
    assert.equal((await getJson(goodAgent.base + "/api/v1/metrics")).body.running_pods, 2);
    assert.match(await fetch(goodAgent.base + "/metrics").then((r) => r.text()), /^k3s_daas_running_pods\{node_id="worker-docker"\} 2$/m);

    const res = await signedPost(goodAgent.base, good, "/api/v1/unstake");
    assert.equal(res.status, 202);
    const kill = calls().find((c) => c.argv.includes("kill"))!;
    assert.deepEqual(kill.argv.slice(0, 3), ["-H", `unix://${SOCK}`, "kill"]);
    assert.equal(kill.argv.length - 3, 4);
    assert.ok(goodAgent.lines.map((l) => JSON.parse(l)).some((l) => l.msg === "containers stopped" && l.count === 4));
    assert.equal(k8sRows(table()).filter((r) => r.state === "running").length, 0);
  });

  test("with docker missing it still registers, heartbeats, serves, and says why it cannot stop containers", async () => {
    const w = await waitFor("two heartbeats", () => cp.workers().find((x) => x.node_id === broken.nodeId && x.heartbeats >= 2));
    assert.equal(w.last_heartbeat!.running_pods, 0);
    const metrics = await getJson(brokenAgent.base + "/api/v1/metrics");
    assert.equal(metrics.status, 200);
    assert.equal(metrics.body.running_pods, null, "unknown, not a made-up 0");
    const health = await getJson(brokenAgent.base + "/health");
    assert.equal(health.status, 200);
    assert.equal(health.body.status, "healthy");

    const pid = (brokenAgent.k3s as ProcessK3s).pid!;
    const res = await signedPost(brokenAgent.base, broken, "/api/v1/unstake");
    assert.equal(res.status, 202);
    assert.equal(res.body.deregistered, true);
    assert.ok(!processAlive(pid), "k3s is stopped even though docker is not there");
    const line = brokenAgent.lines.map((l) => JSON.parse(l)).find((l) => l.msg === "could not stop containers");
    assert.ok(line, "the log says the containers could not be stopped");
    assert.equal(line.err.message, `${join(dir, "no-such", "docker")} ps: not found`);
    assert.equal((await getJson(brokenAgent.base + "/health")).status, 503, "still serving, says it stopped");
  });
});
