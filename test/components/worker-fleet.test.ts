// WorkerFleet under Pulumi mocks: one StakedWorker per host with the host's connection, the
// parallelism limit as real dependencies between workers, and the fleet's totals.
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { innerScript } from "../support/step-script";
import { runtimeSshKey } from "../support/keys";
import * as h from "./mock-harness";
import type * as pulumiNs from "@pulumi/pulumi";

type Fleet = typeof import("../../src/components/worker-fleet");
type FleetArgs = import("../../src/components/worker-fleet").WorkerFleetArgs;

let pulumi: typeof pulumiNs;
let F: Fleet;

const WALLET_KEY = "suiprivkey1qzfleetWALLETsecretfleetWALLETsecret000000000000000000";
const K3S_TOKEN = "K10fleetJOINtoken::server:fleetsecret";
const SSH = runtimeSshKey();
const SSH_KEY = SSH.pem;
const SECRETS = [WALLET_KEY, K3S_TOKEN, SSH.body];
const NET = { rpcUrl: "http://127.0.0.1:9000", packageId: "0x1", poolId: "0x2", registryId: "0x3" };
const STAKE = 1_000_000_000n;

function fleetArgs(names: string[], over: Partial<FleetArgs> = {}): FleetArgs {
  return {
    hosts: names.map((name, i) => ({ name, address: `10.98.0.${i + 2}`, port: 22 + i })),
    sshPrivateKey: pulumi.secret(SSH_KEY),
    network: NET,
    walletKey: pulumi.secret(WALLET_KEY),
    stakePerNodeSui: "1",
    k3s: { serverUrl: "https://10.98.0.1:6443", binUrl: "https://10.98.0.1:8443/k3s" },
    k3sToken: pulumi.secret(K3S_TOKEN),
    ...over,
  };
}

async function build(name: string, a: FleetArgs) {
  const fleet = new F.WorkerFleet(name, a);
  const urn = await h.valueOf(fleet.urn);
  await h.valueOf(fleet.countByStatus);
  await h.settle();
  return { fleet, urn };
}

/** URNs of the custom resources under a component (transitively). */
function customUnder(urn: string): string[] {
  const out: string[] = [];
  for (const r of h.childrenOf(urn)) {
    if (r.custom) out.push(r.urn!);
    else out.push(...customUnder(r.urn!));
  }
  return out;
}

const HOSTS = ["f-a", "f-b", "f-c", "f-d", "f-e"];
let five: Awaited<ReturnType<typeof build>>;

before(async () => {
  pulumi = require("@pulumi/pulumi") as typeof pulumiNs;
  F = require("../../src/components/worker-fleet") as Fleet;
  // f-c's stake was slashed to half, f-e's withdrawn: the totals count active stakes only.
  h.stakeOverrides.set("f-c", { status: "slashed", stakedMist: "500000000" });
  h.stakeOverrides.set("f-e", { status: "withdrawn", stakedMist: "0" });
  five = await build("fleet5", fleetArgs(HOSTS, { parallelism: 2, containerRuntime: "docker", agentPort: 9600 }));
});

describe("WorkerFleet", () => {
  test("one StakedWorker per host, parented to the fleet, named by the host", () => {
    const kids = h.childrenOf(five.urn);
    assert.deepEqual(kids.map((k) => `${k.type} ${k.name}`), HOSTS.map((n) => `${h.TYPES.worker} ${n}`));
    assert.deepEqual(Object.keys(five.fleet.workers).sort(), [...HOSTS].sort());
    // Each worker has its full set of children (18) under it.
    for (const k of kids) assert.equal(h.childrenOf(k.urn!).length, 18, `${k.name} children`);
  });

  test("each worker gets its host's connection and node id, and the shared settings", () => {
    HOSTS.forEach((name, i) => {
      const probe = h.find(h.TYPES.command, `${name}-probe`);
      const c = h.reveal<Record<string, unknown>>(probe.inputs.connection);
      assert.equal(c.host, `10.98.0.${i + 2}`);
      assert.equal(c.port, 22 + i);
      assert.equal(c.user, "root");
      const stake = h.find(h.TYPES.stake, `${name}-stake`).inputs;
      assert.equal(stake.nodeId, name);
      assert.equal(stake.amountMist, STAKE.toString());
      assert.ok(h.isSecretValue(stake.walletKey));
      assert.match(innerScript(String(h.find(h.TYPES.command, `${name}-k3s-agent`).inputs.create)), new RegExp(`--node-name ${name} --docker --pause-image docker\\.io/rancher/mirrored-pause:3\\.6'`));
      assert.equal(h.find(h.TYPES.host, `${name}-host`).inputs.agentPort, 9600);
    });
  });

  test("no secret appears in any input of the fleet outside a secret", () => {
    const mine = h.registrations.filter((r) => HOSTS.some((n) => r.name === n || r.name.startsWith(`${n}-`)) || r.name === "fleet5");
    assert.ok(mine.length > 70);
    for (const r of mine) assert.deepEqual(h.plainSecretPaths(r.inputs, SECRETS), [], `${r.name}`);
  });

  test("parallelism 2: worker i waits for worker i-2 (and only for it)", () => {
    const workers = HOSTS.map((n) => h.find(h.TYPES.worker, n));
    const inner = workers.map((w) => new Set(customUnder(w.urn!)));
    workers.forEach((w, i) => {
      const deps = new Set(w.dependencies);
      inner.forEach((set, j) => {
        const dependsOnJ = [...set].every((u) => deps.has(u));
        const anyOfJ = [...set].some((u) => deps.has(u));
        if (i >= 2 && j === i - 2) assert.ok(dependsOnJ, `${HOSTS[i]} depends on every resource of ${HOSTS[j]}`);
        else assert.ok(!anyOfJ, `${HOSTS[i]} does not depend on ${HOSTS[j]}`);
      });
      if (i < 2) assert.deepEqual(w.dependencies, [], `${HOSTS[i]} starts at once`);
    });
    // And the mock saw it happen that way: worker i's first step only after worker i-2's last.
    for (let i = 2; i < HOSTS.length; i++) {
      const lastOfPrev = Math.max(...h.registrations.filter((r) => inner[i - 2]!.has(r.urn!)).map((r) => r.doneSeq!));
      const firstOfThis = Math.min(...h.registrations.filter((r) => inner[i]!.has(r.urn!)).map((r) => r.startSeq));
      assert.ok(lastOfPrev < firstOfThis, `${HOSTS[i]} starts after ${HOSTS[i - 2]} is done`);
    }
  });

  test("default parallelism 4: the fifth worker waits for the first", async () => {
    const names = ["g-a", "g-b", "g-c", "g-d", "g-e"];
    await build("fleet-default", fleetArgs(names));
    const ws = names.map((n) => h.find(h.TYPES.worker, n));
    for (const w of ws.slice(0, 4)) assert.deepEqual(w.dependencies, []);
    const firstInner = customUnder(ws[0]!.urn!);
    assert.ok(firstInner.length > 0 && firstInner.every((u) => ws[4]!.dependencies.includes(u)));
  });

  test("outputs: totalStakedMist sums active stakes, countByStatus counts each status", async () => {
    assert.equal(await h.valueOf(five.fleet.totalStakedMist), (3n * STAKE).toString());
    assert.deepEqual(await h.valueOf(five.fleet.countByStatus), { active: 3, slashed: 1, withdrawn: 1 });
    const sums = await h.valueOf(five.fleet.summaries);
    assert.deepEqual(sums.map((s) => s.name), HOSTS);
    assert.deepEqual(sums[2], {
      name: "f-c",
      endpoint: "http://10.98.0.4:9600",
      stakeId: h.stakeIdFor("f-c"),
      stakeStatus: "slashed",
      stakedMist: "500000000",
      sealTokenId: h.sealIdFor("f-c"),
      sealStatus: "active",
    });
    assert.deepEqual(h.plainSecretPaths(sums, SECRETS), []);
  });

  test("bad fleet arguments throw before any worker, naming each bad one", () => {
    const before = h.registrations.length;
    assert.throws(() => new F.WorkerFleet("bad1", fleetArgs(["x-a", "x-a"])), /WorkerFleet bad1: hosts\[1\]\.name is used twice \(also hosts\[0\]\)$/);
    for (const p of [0, -1, 1.5]) assert.throws(() => new F.WorkerFleet(`bad-p${p}`, fleetArgs(["x-b"], { parallelism: p })), /: parallelism must be (at least 1|a whole number)$/);
    assert.throws(() => new F.WorkerFleet("bad3", fleetArgs(["Bad_Host"])), /WorkerFleet bad3: hosts\[0\]\.name must be a DNS-1123 name/);
    assert.throws(() => new F.WorkerFleet("bad4", fleetArgs([])), /WorkerFleet bad4: hosts must list at least one host/);
    assert.throws(() => new F.WorkerFleet("bad5", { ...fleetArgs(["x-c"]), stakeMist: 1n } as never), /WorkerFleet bad5: unknown argument stakeMist/);
    assert.throws(() => new F.WorkerFleet("bad6", fleetArgs(["x-d"], { agentPort: 10250, k3s: { serverUrl: "http://x:6443" } })), /WorkerFleet bad6: k3s\.serverUrl must be https:\/\/host:port; agentPort must not be a k3s\/kubelet port/);
    // Nothing but the fleet components themselves (super() runs first) was sent.
    assert.deepEqual(h.registrations.slice(before).filter((r) => r.type !== h.TYPES.fleet), []);
  });
});
