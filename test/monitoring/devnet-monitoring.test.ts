// The local world's Prometheus and Alertmanager (devnet/monitoring: the real binaries from the
// cache, as `npm run dev` and test/e2e/fleet.test.ts run them), stood up on loopback against one
// real agent (devnet chain and control plane, as test/agent/*): the shipped rule file loaded as it
// is, the agent scraped by the job the rules assume with its node_id, Prometheus sending to the
// Alertmanager and the Alertmanager notifying the caller's webhook, the targets following the
// file, both processes gone after close(), and an error naming the binary when one is missing or
// exits. The alerts firing for a live fleet are shown end to end by test/e2e/fleet.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RULES_FILE, SCRAPE_JOB, startMonitoring, startWebhookReceiver, type Monitoring, type WebhookReceiver } from "../../devnet/monitoring";
import { processAlive, startStakedAgent, stopStakedAgent, waitFor, type StakedAgent } from "../agent/helpers";

const NODE = "worker-monitoring";
let s: StakedAgent | undefined;
let hook: WebhookReceiver | undefined;
let mon: Monitoring | undefined;
let dir = "";
let target = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "devnet-monitoring-"));
  s = await startStakedAgent(NODE);
  target = s.agent.base.replace(/^http:\/\//, "");
  hook = await startWebhookReceiver({ host: "127.0.0.1" });
  mon = await startMonitoring({ dir: join(dir, "mon"), host: "127.0.0.1", webhookUrl: hook.url, targets: [{ targets: [target], labels: { node_id: NODE } }] });
});

after(async () => {
  await mon?.close();
  await hook?.close();
  if (s) await stopStakedAgent(s);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("Prometheus loaded the shipped rule file, every alert in it", async () => {
  const res = (await (await fetch(`${mon!.prometheusUrl}/api/v1/rules`)).json()) as { data: { groups: Array<{ file: string; rules: Array<{ name: string; type: string }> }> } };
  const shipped = [...readFileSync(RULES_FILE, "utf8").matchAll(/^\s+- alert: (\S+)$/gm)].map((m) => m[1]!);
  assert.ok(shipped.length >= 17);
  assert.deepEqual(res.data.groups.map((g) => g.file), [RULES_FILE]);
  assert.deepEqual(res.data.groups.flatMap((g) => g.rules.map((r) => r.name)), shipped);
});

test("the agent is scraped by the job the rules assume, up, with its node_id (the agent's own, not exported_node_id)", async () => {
  const t = await waitFor("the target up", async () => (await mon!.targets()).find((x) => x.health === "up"), 20_000, 200);
  assert.equal(t.labels.job, SCRAPE_JOB);
  assert.equal(t.labels.node_id, NODE);
  assert.equal(t.labels.instance, target);
  const phase = await waitFor("the agent's phase scraped", async () => (await mon!.query(`k3s_daas_agent_phase{job="${SCRAPE_JOB}"} == 1`))[0], 20_000, 200);
  assert.equal(phase.metric.node_id, NODE);
  assert.equal(phase.metric.exported_node_id, undefined);
  assert.deepEqual((await mon!.query(`up{job="${SCRAPE_JOB}", node_id="${NODE}"}`)).map((x) => x.value[1]), ["1"]);
});

test("Prometheus sends to the Alertmanager, and the Alertmanager notifies the webhook", async () => {
  const am = (await (await fetch(`${mon!.prometheusUrl}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: Array<{ url: string }> } };
  assert.deepEqual(am.data.activeAlertmanagers.map((a) => a.url), [`${mon!.alertmanagerUrl}/api/v2/alerts`]);
  // An alert as Prometheus posts one; the route sends it on within its 1 s group_wait.
  const labels = { alertname: "K3sDaasStakeSlashed", severity: "critical", node_id: NODE };
  const res = await fetch(`${mon!.alertmanagerUrl}/api/v2/alerts`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify([{ labels, annotations: { summary: "test" }, startsAt: new Date().toISOString() }]),
  });
  assert.equal(res.status, 200, await res.text());
  const n = await waitFor("the webhook notified", () => hook!.notifications.find((x) => x.commonLabels.node_id === NODE), 20_000, 100);
  assert.equal(n.status, "firing");
  assert.deepEqual(n.groupLabels, { alertname: "K3sDaasStakeSlashed", node_id: NODE });
  assert.deepEqual(n.alerts.map((a) => [a.status, a.labels.alertname, a.labels.node_id]), [["firing", "K3sDaasStakeSlashed", NODE]]);
});

test("the targets follow the file: written empty, the target is gone", async () => {
  mon!.setTargets([]);
  await waitFor("the target gone", async () => (await mon!.targets()).length === 0, 30_000, 250);
  mon!.setTargets([{ targets: [target], labels: { node_id: NODE } }]);
  await waitFor("the target back", async () => (await mon!.targets()).some((t) => t.labels.node_id === NODE), 30_000, 250);
});

test("close() stops both processes by their PIDs", async () => {
  const pids = JSON.parse(readFileSync(join(dir, "mon", "pids.json"), "utf8")) as Array<{ name: string; pid: number }>;
  assert.deepEqual(pids.map((p) => p.name).sort(), ["alertmanager", "prometheus"]);
  for (const p of pids) assert.ok(processAlive(p.pid), p.name);
  await mon!.close();
  for (const p of pids) assert.equal(processAlive(p.pid), false, `${p.name} (pid ${p.pid}) still runs`);
  await assert.rejects(mon!.query("up"), /query up: Prometheus and Alertmanager were stopped \(close\(\)\)/);
});

test("a missing binary, or one that exits, is an error naming it", async () => {
  await assert.rejects(startMonitoring({ dir: join(dir, "missing"), host: "127.0.0.1", prometheusBinary: join(dir, "no-such-prometheus") }),
    (err: Error) => err.message.includes(`prometheus: no binary at ${join(dir, "no-such-prometheus")}`));
  // A Prometheus that exits at once: the error names it and its exit; the Alertmanager started before it is stopped.
  await assert.rejects(startMonitoring({ dir: join(dir, "exits"), host: "127.0.0.1", prometheusBinary: "/bin/false" }),
    (err: Error) => /^prometheus \(\/bin\/false, pid \d+\) exited with code 1 while starting/.test(err.message));
  assert.deepEqual(running(join(dir, "exits")), [], "the Alertmanager of the failed start still runs");
});

/** PIDs of processes whose command line names this path. */
function running(path: string): number[] {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return readFileSync(`/proc/${d}/cmdline`, "utf8").includes(path);
    } catch {
      return false;
    }
  }).map(Number);
}
