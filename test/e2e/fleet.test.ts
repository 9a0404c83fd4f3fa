// End to end, for real: `pulumi up` (the real engine, this project's program) provisions three
// nspawn hosts over SSH with stakes on the devnet chain; the agents register and heartbeat with
// the control plane; a slash stops a worker; destroy gives the stake back and leaves the hosts
// clean. The real Prometheus and Alertmanager (devnet/monitoring) watch the fleet from the
// bridge with the shipped alert rules: every agent scraped, every Grafana dashboard query answered,
// the slash alert fired and notified, the scrape targets following a scale-in. The only stand-ins
// are the devnet chain, the control plane and the k3s binary. The
// devnet wants an API key in a header on every RPC, as a paid provider's gateway does, and the
// stack reaches it over https with a certificate from a private CA: the whole run goes through
// rpcHeaders and rpcCaCertificates, over TLS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
import { ChainSession, createSuiClient, keypairFromSecret, readSealToken, readStakeRecord } from "../../src/sui";
import { createTestStack, type TestStack } from "../support/engine";
import { startFleetEnv, type FleetEnv } from "../../devnet/local-stack/fleet-env";
import { sshRun } from "../support/ssh";
import { waitFor } from "../support/wait";
import { SCRAPE_JOB, startMonitoring, startWebhookReceiver, type FileSdGroup, type Monitoring, type WebhookReceiver } from "../../devnet/monitoring";
import { allExprs, substitute } from "../monitoring/dashboard-queries";

const root = resolve(__dirname, "../..");
const API_KEY = `e2e-api-key-${randomBytes(12).toString("hex")}`;
const ONE_SUI = 1_000_000_000n;
/**
 * Resources of the three-worker fleet: the stack and the fleet, then 20 per worker (its component,
 * chain and host resources, and its remote steps: 17 before the containerd configurer upload, the
 * upload of its one image tarball and the runtime config step came).
 */
const FLEET_RESOURCES = 62;
let env: FleetEnv;
let ts: TestStack;
let startBalance: bigint;
let slashedMist = 0n;
const stakeIds: Record<string, string> = {};
const sealIds: Record<string, string> = {};
/** The first up's scrape targets (the stack output prometheusTargets). */
let firstTargets: FileSdGroup[] = [];
let monitoring: Monitoring | undefined;
let webhook: WebhookReceiver | undefined;
let monitoringDir = "";

/**
 * Dashboard queries that may have no series on a healthy fleet, by "<panel title> <refId>", with
 * the reason; they are asserted to have series after the slash instead. None: the agent serves
 * every state set, counter and gauge the dashboard reads from its start (counters at 0, k3s
 * restarts by every reason), and a query counting something that never happened ("Heartbeats
 * failing") ends in `or vector(0)`.
 */
const EMPTY_WHEN_HEALTHY: Record<string, string> = {};

/** Polls `probe` until `ok` holds of its value; past the bound, fails showing the last value. */
async function eventually<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs / 1000} s; last seen: ${JSON.stringify(v).slice(0, 4000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The dashboard's queries, with a worker selected, that return no series; each worker in turn. */
async function emptyDashboardQueries(workers: string[], skip: (key: string) => boolean): Promise<string[]> {
  const empty: string[] = [];
  for (const w of workers) {
    for (const { panel, refId, expr } of allExprs) {
      const key = `${panel.title} ${refId}`;
      if (skip(key)) continue;
      const q = substitute(expr, w);
      if ((await monitoring!.query(q)).length === 0) empty.push(`${w}: ${key}: ${q}`);
    }
  }
  return empty;
}

/** Every file of the state backend (the stack's state and its backups), as text. */
function stateOnDisk(): string {
  return readdirSync(ts.backendDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
    .join("\n");
}

/** A client of the devnet with the key it wants. */
const chain = () => createSuiClient(env.devnet.url, { headers: env.rpcHeaders });

type WorkerOut = { endpoint: string; stakeId: string; stakeStatus: string; sealTokenId: string; sealStatus: string };

async function balance(): Promise<bigint> {
  const { balance } = await chain().core.getBalance({ owner: env.wallet.toSuiAddress() });
  return BigInt(balance.balance);
}

/** Every MIST the wallet paid in gas, summed from the effects of all its transactions. */
async function gasPaid(): Promise<bigint> {
  const client = chain();
  let total = 0n;
  let after: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof client.core.listTransactions<{ effects: true }>>> = await client.core.listTransactions({
      filter: { $kind: "sender", sender: env.wallet.toSuiAddress() } as never, include: { effects: true }, limit: 50, ...(after ? { after } : {}),
    });
    for (const tx of page.transactions) {
      const g = (tx.Transaction ?? tx.FailedTransaction)!.effects.gasUsed;
      total += BigInt(g.computationCost) + BigInt(g.storageCost) - BigInt(g.storageRebate);
    }
    after = page.hasNextPage ? page.endCursor : null;
  } while (after);
  return total;
}

before(async () => {
  env = await startFleetEnv({ count: 3, namePrefix: "e2e", subnet: "10.97.0.0/24", rpcApiKey: API_KEY, tls: true });
  startBalance = await balance();
  ts = await createTestStack(root, env.stackConfig(), "e2e", resolve(root, "stacks/Pulumi.e2e.yaml"));
});

after(async () => {
  try {
    try {
      await monitoring?.close();
      await webhook?.close();
    } finally {
      await ts?.dispose();
    }
  } finally {
    await env?.stop();
    if (monitoringDir) rmSync(monitoringDir, { recursive: true, force: true });
  }
});

test("preview plans the fleet and stakes nothing", async () => {
  const preview = await ts.stack.preview();
  assert.ok((preview.changeSummary.create ?? 0) > 40, JSON.stringify(preview.changeSummary));
  assert.equal(await balance(), startBalance);
});

test("pulumi up provisions three workers with active stakes and seal tokens", async () => {
  const started = Date.now();
  const up = await ts.stack.up({ onOutput: (s) => process.env.E2E_VERBOSE && process.stdout.write(s) });
  console.log(`# up for 3 hosts took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(up.summary.result, "succeeded");
  const workers = up.outputs.workers!.value as Record<string, WorkerOut>;
  assert.deepEqual(Object.keys(workers).sort(), ["e2e-1", "e2e-2", "e2e-3"]);
  for (const [name, w] of Object.entries(workers)) {
    const host = env.hosts.hosts.find((h) => h.name === name)!;
    assert.equal(w.endpoint, `http://${host.ip}:9443`);
    assert.equal(w.stakeStatus, "active");
    assert.equal(w.sealStatus, "active");
    stakeIds[name] = w.stakeId;
    sealIds[name] = w.sealTokenId;
    assert.equal((await readStakeRecord(chain(), w.stakeId, env.devnet.ids.packageId))?.status, "active");
    assert.equal((await readSealToken(chain(), w.sealTokenId, env.devnet.ids.packageId))?.nodeId, name);
  }
  assert.equal(up.outputs.totalStakedMist!.value, (6n * ONE_SUI).toString());
  assert.deepEqual(up.outputs.workersByStatus!.value, { active: 3 });
  // The agents as Prometheus file_sd targets, labelled as the shipped alert rules expect.
  assert.deepEqual(up.outputs.prometheusTargets!.value, env.hosts.hosts.map((h) => ({ targets: [`${h.ip}:9443`], labels: { node_id: h.name } })));
  firstTargets = up.outputs.prometheusTargets!.value as FileSdGroup[];
});

test("the real Prometheus, with the shipped rules and the prometheusTargets output, scrapes every agent, up, by node_id", async () => {
  assert.equal(firstTargets.length, 3, "the first up's targets");
  // On the host side of the bridge, as an operator's Prometheus beside the fleet; the webhook
  // stands for the pager and chat the example Alertmanager configuration routes to.
  monitoringDir = mkdtempSync(join(tmpdir(), "e2e-monitoring-"));
  webhook = await startWebhookReceiver({ host: env.hosts.bridgeIp });
  monitoring = await startMonitoring({ dir: monitoringDir, host: env.hosts.bridgeIp, webhookUrl: webhook.url, targets: firstTargets });
  const targets = await eventually("every target up", () => monitoring!.targets(), (t) => t.length === 3 && t.every((x) => x.health === "up"), 30_000);
  assert.deepEqual(
    targets.map((t) => [t.labels.node_id, t.labels.instance, t.labels.job, t.scrapeUrl, t.health]).sort(),
    env.hosts.hosts.map((h) => [h.name, `${h.ip}:9443`, SCRAPE_JOB, `http://${h.ip}:9443/metrics`, "up"]),
  );
  // The agents' own series carry the same node_id (honor_labels: no exported_node_id).
  const phases = await eventually("every agent's phase scraped", () => monitoring!.query(`k3s_daas_agent_phase{job="${SCRAPE_JOB}", phase="running"} == 1`), (r) => r.length === 3, 30_000);
  assert.deepEqual(phases.map((r) => [r.metric.node_id, r.metric.exported_node_id]).sort(), env.hosts.hosts.map((h) => [h.name, undefined]));
});

test("every query of the Grafana dashboard returns series for each worker of the live fleet", async () => {
  const workers = env.hosts.hosts.map((h) => h.name);
  for (const key of Object.keys(EMPTY_WHEN_HEALTHY)) assert.ok(allExprs.some((e) => `${e.panel.title} ${e.refId}` === key), `${key} is on the dashboard`);
  // Rates need two scrapes and the heartbeat histogram a round trip: a bounded wait for the rest.
  const empty = await eventually("every dashboard query with series for every worker", () => emptyDashboardQueries(workers, (k) => k in EMPTY_WHEN_HEALTHY), (e) => e.length === 0, 60_000);
  assert.deepEqual(empty, []);
  assert.ok(allExprs.length >= 50, `${allExprs.length} queries`);
});

test("no secret is in the state on disk or in the stack outputs in plaintext", async () => {
  const state = stateOnDisk();
  assert.ok(state.includes("ciphertext"));
  const keyBody = env.hosts.hosts[0]!.privateKey.split("\n")[1]!;
  for (const secret of [env.wallet.getSecretKey(), env.kubernetes.k3sToken, keyBody, "PRIVATE KEY", API_KEY]) {
    assert.equal(state.includes(secret), false, "a secret is in the state in plaintext");
  }
  const outputs = JSON.stringify(await ts.stack.outputs());
  for (const secret of [env.wallet.getSecretKey(), env.kubernetes.k3sToken, keyBody, API_KEY]) assert.equal(outputs.includes(secret), false);
  // The k3s node passwords the state keeps (NodePassword) are secrets too.
  for (const h of env.hosts.hosts) {
    const pw = (await sshRun(h, "cat /etc/rancher/node/password")).stdout.trim();
    assert.match(pw, /^[0-9a-f]{32}$/, `${h.name} has a node password`);
    assert.equal(state.includes(pw), false, `${h.name}'s node password is in the state in plaintext`);
    assert.equal(outputs.includes(pw), false);
  }
});

test("each agent's /health answers from this machine: registered", async () => {
  for (const h of env.hosts.hosts) {
    const res = await fetch(`http://${h.ip}:9443/health`);
    const body = (await res.json()) as { registered: boolean; stake_status: string };
    assert.equal(res.status, 200, `${h.name}: ${JSON.stringify(body)}`);
    assert.equal(body.registered, true);
    assert.equal(body.stake_status, "active");
  }
});

test("the control plane lists three workers heartbeating", async () => {
  const seen = () => env.controlPlane.workers().filter((w) => w.heartbeats > 0 && w.last_heartbeat_at !== null);
  const deadline = Date.now() + 15_000;
  while (seen().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(seen().map((w) => w.node_id).sort(), ["e2e-1", "e2e-2", "e2e-3"]);
});

test("containerd and the (stand-in) k3s agent are active on every host; no token in a process argument", async () => {
  for (const h of env.hosts.hosts) {
    const r = await sshRun(h, "systemctl is-active containerd k3s-agent k3s-daas-agent; ps -eo args; journalctl -u k3s-daas-agent --no-pager -o cat");
    const [containerd, k3s, agent] = r.stdout.split("\n");
    assert.deepEqual([containerd, k3s, agent], ["active", "active", "active"], `${h.name}: ${r.stdout}`);
    assert.equal(r.stdout.includes(env.kubernetes.k3sToken), false);
    assert.equal(r.stdout.includes(API_KEY), false, `${h.name}: the RPC key is in a process argument or the agent's journal`);
    // The agent's RPC key: in its own root-only file, which the config names.
    const keyFile = await sshRun(h, "stat -c '%a %U' /etc/k3s-daas/rpc-headers.json; cat /etc/k3s-daas/rpc-headers.json; grep -c x-api-key /etc/k3s-daas/agent.json || true");
    const [keyMode, keyJson, inConfig] = keyFile.stdout.trim().split("\n");
    assert.equal(keyMode, "600 root");
    assert.deepEqual(JSON.parse(keyJson!), { "x-api-key": API_KEY });
    assert.equal(inConfig, "0", "agent.json holds no key");
    // Over TLS, trusting the private CA the stack config gives.
    const sui = (JSON.parse((await sshRun(h, "cat /etc/k3s-daas/agent.json")).stdout) as { sui: { rpcUrl: string; caCertificates?: string } }).sui;
    assert.equal(sui.rpcUrl, env.devnet.tlsUrl);
    assert.match(sui.rpcUrl, /^https:\/\//);
    assert.match(sui.caCertificates ?? "", /^-----BEGIN CERTIFICATE-----/);
    // k3s found the worker's node password in place when it first started (it makes its own
    // only when the file is missing), so the password it proves its name with is the state's.
    const st = JSON.parse((await sshRun(h, "cat /var/lib/rancher/k3s/standin-status.json")).stdout) as { nodePassword: { source: string; sha256: string } };
    const file = await sshRun(h, "stat -c '%a %U' /etc/rancher/node/password; tr -d '\\n' < /etc/rancher/node/password | sha256sum | cut -d' ' -f1");
    const [mode, sha] = file.stdout.trim().split("\n");
    assert.equal(st.nodePassword.source, "file", `${h.name}: ${JSON.stringify(st.nodePassword)}`);
    assert.equal(st.nodePassword.sha256, sha, `${h.name}: k3s presents the file's password`);
    assert.equal(mode, "600 root");
  }
});

test("a second up changes nothing", async () => {
  const up = await ts.stack.up();
  const changes = up.summary.resourceChanges ?? {};
  assert.deepEqual(Object.keys(changes), ["same"], JSON.stringify(changes));
});

test("changing the agent config updates just that step on each host", async () => {
  await ts.stack.setConfig("heartbeatIntervalMs", { value: "4000" });
  const up = await ts.stack.up();
  // Per host: its rollout slot, the config upload, the agent restart and the wait for health.
  assert.deepEqual(up.summary.resourceChanges, { same: FLEET_RESOURCES - 12, update: 12 }, JSON.stringify(up.summary.resourceChanges));
  for (const h of env.hosts.hosts) {
    const cfg = JSON.parse((await sshRun(h, "cat /etc/k3s-daas/agent.json")).stdout) as { heartbeat: { intervalMs: number } };
    assert.equal(cfg.heartbeat.intervalMs, 4000);
  }
});

test("the provider rotates the API key: k3s keeps running through the refusals, refresh says what to do, and up with the new key rolls the agents onto it", async () => {
  const rotated = `e2e-api-key-rotated-${randomBytes(12).toString("hex")}`;
  env.rotateRpcApiKey(rotated);
  await assert.rejects(ts.stack.refresh(), (err: Error) => {
    assert.match(err.message, /the Sui RPC node \S+ refused the request \(UNAUTHENTICATED: missing or invalid API key\); it does not accept the headers in rpcHeaders \(x-api-key\)\. After a provider rotates a key, set the new one and run `pulumi up` first/);
    assert.equal(err.message.includes(API_KEY), false);
    return true;
  });
  // The rotation cut the agents' checkpoint streams: each falls back to polling and is refused.
  // A refused read is never a slash: every worker's k3s is still up.
  for (const h of env.hosts.hosts) {
    await waitFor(`${h.name}'s agent refused by the node`, () => Object.keys(env.devnet.requestCounts()[`k3s-daas-agent/${h.name}`] ?? {}).some((m) => m.startsWith("refused:")), 30_000);
  }
  await new Promise((r) => setTimeout(r, 3_000));
  for (const h of env.hosts.hosts) assert.equal((await sshRun(h, "systemctl is-active k3s-agent")).stdout.trim(), "active", h.name);

  await ts.stack.setConfig("rpcHeaders", { value: JSON.stringify({ "x-api-key": rotated }), secret: true });
  const up = await ts.stack.up();
  // Per host: stake and token take the key in place, the rollout slot, the key file with the
  // config, the agent restart and the wait for health; nothing is replaced.
  assert.deepEqual(up.summary.resourceChanges, { same: FLEET_RESOURCES - 18, update: 18 }, JSON.stringify(up.summary.resourceChanges));
  for (const h of env.hosts.hosts) {
    assert.deepEqual(JSON.parse((await sshRun(h, "cat /etc/k3s-daas/rpc-headers.json")).stdout), { "x-api-key": rotated });
    const res = await fetch(`http://${h.ip}:9443/health`);
    assert.equal(res.status, 200, `${h.name}: ${await res.text()}`);
  }
  const refresh = await ts.stack.refresh();
  assert.equal(refresh.summary.result, "succeeded");
  assert.equal(stateOnDisk().includes(rotated), false, "the new key is a secret in the state too");
});

test("an agent stopped, a bundle changed or the k3s node password removed by hand shows as drift on refresh, and the next up repairs it", async () => {
  const stopped = env.hosts.hosts[2]!;
  const tampered = env.hosts.hosts[0]!;
  const sha = (h: typeof stopped) => sshRun(h, "sha256sum /opt/k3s-daas/agent.js | cut -d' ' -f1").then((r) => r.stdout.trim());
  const goodSha = await sha(tampered);
  await sshRun(stopped, "systemctl stop k3s-daas-agent");
  await sshRun(tampered, "echo '// changed by hand' >> /opt/k3s-daas/agent.js");
  const password = (await sshRun(stopped, "cat /etc/rancher/node/password")).stdout;
  // Gone, k3s would make itself a new one at its next start, which the server would refuse.
  await sshRun(stopped, "rm /etc/rancher/node/password");
  await ts.stack.refresh();
  const state = await ts.stack.exportStack();
  const hostState = (name: string) => state.deployment.resources.find((r: { type: string; outputs?: { nodeId?: string } }) => r.type === "pulumi-nodejs:dynamic/k3s-daas:HostState" && r.outputs?.nodeId === name);
  assert.equal(hostState(stopped.name).outputs.agentActive, false);
  assert.notEqual(hostState(tampered.name).outputs.hostBundleSha256, goodSha);
  const nodePassword = state.deployment.resources.find((r: { type: string; outputs?: { nodeId?: string } }) => r.type === "pulumi-nodejs:dynamic/k3s-daas:NodePassword" && r.outputs?.nodeId === stopped.name);
  assert.equal(nodePassword.outputs.onHost, false, "refresh sees the node password gone");
  const up = await ts.stack.up();
  assert.deepEqual(up.summary.resourceChanges, { same: FLEET_RESOURCES - 3, update: 3 }, JSON.stringify(up.summary.resourceChanges));
  assert.equal((await sshRun(stopped, "cat /etc/rancher/node/password")).stdout, password, "the same password is back");
  assert.equal((await sshRun(stopped, "systemctl is-active k3s-daas-agent")).stdout.trim(), "active");
  assert.equal(await sha(tampered), goodSha);
  for (const h of [stopped, tampered]) {
    const res = await fetch(`http://${h.ip}:9443/health`);
    assert.equal(((await res.json()) as { registered: boolean }).registered, true, h.name);
  }
});

test("slashing one node's stake stops its k3s agent within 3 s, and refresh shows the drift", async () => {
  const victim = env.hosts.hosts[1]!;
  const admin = new ChainSession(chain(), keypairFromSecret(env.devnet.adminSecretKey), env.devnet.ids);
  await admin.slashStake({ stakeId: stakeIds[victim.name]!, amountMist: ONE_SUI, reason: "e2e: misbehaviour" });
  slashedMist += ONE_SUI;
  const slashedAt = Date.now();
  let state = "";
  while (Date.now() - slashedAt < 3_000) {
    state = (await sshRun(victim, "systemctl is-active k3s-agent")).stdout.trim();
    if (state !== "active") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.notEqual(state, "active", "k3s-agent still active 3 s after the slash");
  for (const other of [env.hosts.hosts[0]!, env.hosts.hosts[2]!]) {
    assert.equal((await sshRun(other, "systemctl is-active k3s-agent")).stdout.trim(), "active");
  }

  const refresh = await ts.stack.refresh();
  assert.ok((refresh.summary.resourceChanges?.update ?? 0) >= 1, JSON.stringify(refresh.summary.resourceChanges));
  const deployment = await ts.stack.exportStack();
  const stake = deployment.deployment.resources.find((r: { type: string; outputs?: { nodeId?: string } }) => r.type === "pulumi-nodejs:dynamic/k3s-daas:Stake" && r.outputs?.nodeId === victim.name);
  assert.equal(stake.outputs.status, "slashed");
  assert.equal(stake.outputs.stakedMist, ONE_SUI.toString());
});

test("after the slash: K3sDaasStakeSlashed fires for that worker (after its 1 minute for:), and the Alertmanager notifies the webhook", async () => {
  const victim = env.hosts.hosts[1]!.name;
  const slashAlerts = (as: Awaited<ReturnType<Monitoring["alerts"]>>) => as.filter((a) => a.labels.alertname === "K3sDaasStakeSlashed");
  // The dashboard shows it at once: that worker's stake status is slashed.
  const status = allExprs.find((e) => e.panel.title === "Stake status" && e.refId === "A")!;
  const shown = await eventually(`the dashboard's stake status of ${victim}`, () => monitoring!.query(substitute(status.expr, victim)), (r) => r.length === 1 && r[0]!.metric.status === "slashed", 30_000);
  assert.equal(shown[0]!.metric.node_id, victim);
  // Pending, then firing once the slash has held for the rule's `for: 1m` (evaluated every second).
  const alerts = await eventually(`K3sDaasStakeSlashed firing for ${victim}`, () => monitoring!.alerts(), (as) => slashAlerts(as).some((a) => a.labels.node_id === victim && a.state === "firing"), 150_000);
  const fired = slashAlerts(alerts);
  assert.deepEqual(fired.map((a) => [a.labels.node_id, a.state]), [[victim, "firing"]], "for that worker only");
  assert.equal(fired[0]!.labels.severity, "critical");
  assert.equal(Number(fired[0]!.value), 1, "1 SUI remains of the 2 staked");
  assert.match(fired[0]!.annotations.summary ?? "", new RegExp(`Worker ${victim}: its stake was slashed`));
  // Prometheus sends it on; the Alertmanager groups it (alertname, node_id) and posts it to the webhook.
  const isSlash = (a: { labels: Record<string, string> }) => a.labels.alertname === "K3sDaasStakeSlashed" && a.labels.node_id === victim;
  const notes = await eventually("the webhook notified of the slash", async () => webhook!.notifications, (ns) => ns.some((n) => n.alerts.some((a) => isSlash(a) && a.status === "firing")), 30_000);
  const note = notes.find((n) => n.alerts.some((a) => isSlash(a) && a.status === "firing"))!;
  assert.equal(note.status, "firing");
  assert.deepEqual(note.groupLabels, { alertname: "K3sDaasStakeSlashed", node_id: victim });
  assert.equal(note.commonLabels.severity, "critical");
  // Queries that had nothing to show on the healthy fleet have it now.
  const empty = await emptyDashboardQueries(env.hosts.hosts.map((h) => h.name), (k) => !(k in EMPTY_WHEN_HEALTHY));
  assert.deepEqual(empty, []);
});

test("destroy withdraws every stake to the wallet (to the MIST, gas and slash accounted), revokes every token, and leaves the hosts clean", async () => {
  env.devnet.advanceEpoch(1); // past the pool's lock
  const destroy = await ts.stack.destroy();
  assert.equal(destroy.summary.result, "succeeded");
  // Each agent deregistered on its way down (the slashed one when it was slashed).
  assert.deepEqual(env.controlPlane.workers().map((w) => w.node_id), []);
  const client = chain();
  for (const name of Object.keys(stakeIds)) {
    assert.equal((await readStakeRecord(client, stakeIds[name]!, env.devnet.ids.packageId))?.status, "withdrawn", name);
    assert.equal(await readSealToken(client, sealIds[name]!, env.devnet.ids.packageId), null, name);
  }
  assert.equal(await balance(), startBalance - (await gasPaid()) - slashedMist);
  for (const h of env.hosts.hosts) {
    const r = await sshRun(h, "ls -d /usr/local/bin/k3s /usr/local/bin/k3s-agent-uninstall.sh /etc/systemd/system/k3s-agent.service* /etc/systemd/system/k3s-daas-agent.service /opt/k3s-daas /etc/k3s-daas /var/lib/k3s-daas /etc/rancher/node 2>/dev/null; systemctl is-active k3s-agent k3s-daas-agent");
    assert.equal(r.stdout.split("\n").filter((l) => l.startsWith("/")).join(","), "", `${h.name} still has files`);
  }
});

test("destroy with a dead host and allowUnreachableHost still withdraws that host's stake", async () => {
  await ts.stack.setAllConfig(env.stackConfig({ hostNames: ["e2e-1", "e2e-3"], allowUnreachableHost: true }));
  const up = await ts.stack.up();
  const workers = up.outputs.workers!.value as Record<string, WorkerOut>;
  // Scaled in to two workers: the scrape targets follow.
  assert.deepEqual((up.outputs.prometheusTargets!.value as { labels: { node_id: string } }[]).map((g) => g.labels.node_id), ["e2e-1", "e2e-3"]);
  // The Prometheus watching the fleet: its targets file re-written from the new output, e2e-2's
  // target goes and the two workers' (re-provisioned after the destroy) answer.
  assert.ok((await monitoring!.targets()).some((t) => t.labels.node_id === "e2e-2"), "e2e-2 is a target before the re-write");
  monitoring!.setTargets(up.outputs.prometheusTargets!.value as FileSdGroup[]);
  const scaled = await eventually("e2e-2's target gone, e2e-1 and e2e-3 up", () => monitoring!.targets(),
    (t) => t.map((x) => x.labels.node_id).sort().join(",") === "e2e-1,e2e-3" && t.every((x) => x.health === "up"), 60_000);
  assert.deepEqual(scaled.map((t) => t.labels.instance).sort(), ["e2e-1", "e2e-3"].map((n) => `${env.hosts.hosts.find((h) => h.name === n)!.ip}:9443`));
  const deadStake = workers["e2e-3"]!.stakeId;
  await env.hosts.kill("e2e-3");
  env.devnet.advanceEpoch(1);
  const destroy = await ts.stack.destroy();
  assert.equal(destroy.summary.result, "succeeded");
  assert.match(destroy.stdout + destroy.stderr, /skipped the host teardown of e2e-3/, "destroy reports what it skipped");
  const client = chain();
  assert.equal((await readStakeRecord(client, deadStake, env.devnet.ids.packageId))?.status, "withdrawn");
  assert.equal((await readStakeRecord(client, workers["e2e-1"]!.stakeId, env.devnet.ids.packageId))?.status, "withdrawn");
  assert.equal(await readSealToken(client, workers["e2e-3"]!.sealTokenId, env.devnet.ids.packageId), null);
});
