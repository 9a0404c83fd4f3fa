// The Grafana dashboard shipped in monitoring/grafana (README.md, "Monitoring"). Grafana cannot
// run here, so what can be checked without it is: the JSON is a dashboard Grafana 10/11 imports
// (schemaVersion, a Prometheus datasource variable every panel and target uses, a node_id
// variable from label_values), the fleet overview and the per-worker drill-down rows are there,
// every panel has at least one query, every metric any query names is one a real node agent
// serves (scraped from an agent started against the devnet chain and control plane, as
// test/agent/metrics.test.ts does; `up` is Prometheus's own), and every query is valid PromQL
// (promtool check rules on a rule file with each query as a recording rule, Grafana's variables
// replaced as Grafana would). No npm package ships Grafana's dashboard JSON schema: @grafana/schema
// has TypeScript types only (its Dashboard type accepts this JSON, checked by hand with tsc; the
// project does not take it on as a dependency), so the JSON is not validated against a schema here.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { ControlPlane } from "../../devnet/control-plane";
import { agentConfigSchema } from "../../agent/src/config";
import { runAgent, stakeNode, startChain, startCp, waitFor, type Chain, type Node, type Started } from "../agent/helpers";
import { allExprs, dash, metricNames, queryPanels, substitute, type Panel } from "./dashboard-queries";

const ROOT = resolve(__dirname, "../..");
const REGISTRY_SRC = join(ROOT, "agent", "src", "api", "metrics-registry.ts");
const DS_UID = "${DS_PROMETHEUS}";
/** Series Prometheus makes itself for every target, which no agent serves. */
const PROMETHEUS_OWN = new Set(["up"]);

/** The panels under each row (the dashboard's flat layout: a row owns the panels after it). */
function rows(): Map<Panel, Panel[]> {
  const out = new Map<Panel, Panel[]>();
  let current: Panel | undefined;
  for (const p of [...dash.panels].sort((a, b) => a.gridPos.y - b.gridPos.y)) {
    if (p.type === "row") out.set((current = p), []);
    else out.get(current!)?.push(p);
  }
  return out;
}

let promtool = "";
let chain: Chain, cp: ControlPlane, node: Node, agent: Started;
/** Metric names (sample names: a histogram's _bucket, _sum and _count) a real agent serves. */
let served = new Set<string>();

before(async () => {
  promtool = join(execFileSync("bash", [join(ROOT, "scripts", "setup-prometheus.sh")], { encoding: "utf8" }).trim(), "promtool");
  // A real agent against the devnet, with the Node Ready check on (the production default) so
  // that its Node gauges are served; no kubelet runs here, so they read 0.
  chain = await startChain();
  cp = await startCp(chain);
  node = await stakeNode(chain, "worker-dashboard");
  node.cfgInput = {
    ...node.cfgInput,
    k3s: { ...node.cfgInput.k3s, nodeReadyCheck: true, kubeconfig: join(node.dir, "no-kubelet.kubeconfig"), kubeletHealthzUrl: "http://127.0.0.1:9/healthz", nodeCheckTimeoutMs: 500 },
  };
  node.cfg = agentConfigSchema.parse(node.cfgInput);
  agent = await runAgent(node);
  // Every figure is served once the agent runs, a heartbeat was timed and the stream delivered.
  const text = await waitFor("the agent running, with a heartbeat and a checkpoint", async () => {
    const t = await (await fetch(`${agent.base}/metrics`)).text();
    return /^k3s_daas_agent_phase\{phase="running".*\} 1$/m.test(t) && /^k3s_daas_control_plane_request_duration_seconds_count\{/m.test(t)
      && /^k3s_daas_chain_checkpoint_age_seconds\{/m.test(t) && /^k3s_daas_node_ready\{/m.test(t) && /^k3s_daas_disk_available_bytes\{/m.test(t) ? t : undefined;
  }, 60_000, 250);
  served = new Set([...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )/gm)].map((m) => m[1]!));
});

after(async () => {
  await agent?.stop();
  await cp?.close();
  await chain?.close();
  node?.cleanup();
});

test("a dashboard Grafana 10/11 imports: schemaVersion, uid, a Prometheus datasource variable and a node_id variable from label_values", () => {
  assert.ok(dash.schemaVersion >= 36 && dash.schemaVersion <= 41, `schemaVersion ${dash.schemaVersion} (Grafana 10.0: 38, 11.x: 39-41)`);
  assert.equal(dash.uid, "k3s-daas-fleet");
  const vars = new Map(dash.templating.list.map((v) => [v.name, v]));
  const ds = vars.get("DS_PROMETHEUS");
  assert.ok(ds, "the datasource variable");
  assert.equal(ds.type, "datasource");
  assert.equal(ds.query, "prometheus");
  const nodeId = vars.get("node_id");
  assert.ok(nodeId, "the node_id variable");
  assert.equal(nodeId.type, "query");
  assert.equal(nodeId.datasource?.uid, DS_UID);
  assert.match((nodeId.query as { query?: string }).query ?? "", /^label_values\(k3s_daas_[a-z_]+\{job="\$job"\}, node_id\)$/);
  assert.ok(nodeId.multi && nodeId.includeAll);
  assert.equal(vars.get("job")?.query, "k3s-daas-agent", "the scrape job the alert rules assume");
  assert.equal(new Set(dash.panels.map((p) => p.id)).size, dash.panels.length, "panel ids are unique");
});

test("every panel has the datasource and at least one query, each with the datasource and a refId of its own", () => {
  assert.ok(queryPanels.length >= 20, `${queryPanels.length} panels`);
  for (const p of queryPanels) {
    assert.deepEqual(p.datasource, { type: "prometheus", uid: DS_UID }, `${p.title}: datasource`);
    assert.ok((p.targets ?? []).length >= 1, `${p.title}: no query`);
    assert.equal(new Set(p.targets!.map((t) => t.refId)).size, p.targets!.length, `${p.title}: refIds`);
    for (const t of p.targets!) {
      assert.deepEqual(t.datasource, { type: "prometheus", uid: DS_UID }, `${p.title} ${t.refId}: datasource`);
      assert.ok(t.expr?.trim(), `${p.title} ${t.refId}: expression`);
      assert.match(t.expr, /job="\$job"/, `${p.title} ${t.refId}: selects the scrape job`);
    }
  }
});

test("a fleet overview row (phase, stake, token, heartbeat, k3s, Node, CPU, memory, disk, containers) and a drill-down row repeated per worker", () => {
  const r = [...rows()];
  assert.equal(r.length, 2, r.map(([row]) => row.title).join(", "));
  const [[overview, fleet], [drill, worker]] = r as [[Panel, Panel[]], [Panel, Panel[]]];
  assert.equal(overview.title, "Fleet overview");
  const fleetMetrics = new Set(fleet.flatMap((p) => p.targets!.flatMap((t) => metricNames(t.expr))));
  for (const m of ["k3s_daas_agent_phase", "k3s_daas_stake_status", "k3s_daas_stake_amount_mist", "k3s_daas_seal_token_remaining_epochs",
    "k3s_daas_heartbeat_last_success_timestamp_seconds", "k3s_daas_k3s_active", "k3s_daas_node_ready", "k3s_daas_cpu_usage_ratio",
    "k3s_daas_memory_used_bytes", "k3s_daas_disk_available_bytes", "k3s_daas_running_containers", "up"]) {
    assert.ok(fleetMetrics.has(m), `the fleet overview shows ${m}`);
  }
  // The overview spans the selected workers; the drill-down shows one worker per repeated row.
  for (const p of fleet) for (const t of p.targets!) assert.match(t.expr, /node_id=~"\$node_id"/, `${p.title}: the selected workers`);
  assert.equal(drill.repeat, "node_id");
  assert.match(drill.title, /\$node_id/);
  assert.ok(worker.length >= 10, `${worker.length} drill-down panels`);
  for (const p of worker) for (const t of p.targets!) assert.match(t.expr, /node_id="\$node_id"/, `${p.title}: one worker`);
  // Its panels together name every k3s_daas_* metric the agent documents but build_info.
  const workerMetrics = new Set(worker.flatMap((p) => p.targets!.flatMap((t) => metricNames(t.expr))));
  const documented = [...readFileSync(REGISTRY_SRC, "utf8").matchAll(/"(k3s_daas_[a-z_]+)"/g)].map((m) => m[1]!).filter((n) => n !== "k3s_daas_agent_build_info");
  const missing = documented.filter((n) => !workerMetrics.has(n) && !workerMetrics.has(`${n}_bucket`) && !workerMetrics.has(`${n}_count`) && !fleetMetrics.has(n)
    && n !== "k3s_daas_stake_active" && n !== "k3s_daas_agent_running" && n !== "k3s_daas_runtime_sample_timestamp_seconds" && n !== "k3s_daas_node_unschedulable" && n !== "k3s_daas_chain_reads_total");
  assert.deepEqual(missing, [], "metrics on no panel");
});

test("the metric-name parser: matchers, grouping, ranges, functions, keywords and numbers are not names", () => {
  assert.deepEqual(metricNames('histogram_quantile(0.95, sum by (le, path) (rate(a_bucket{job="$job", x=~"y|z"}[$__rate_interval])))'), ["a_bucket"]);
  assert.deepEqual(metricNames("time() - b{n=\"1\"} and on(job, instance) c > 0 or vector(0)"), ["b", "c"]);
  assert.deepEqual(metricNames("sum(d) / 1e9 unless e offset 5m"), ["d", "e"]);
  assert.deepEqual(metricNames("max by (node_id) (f == bool 1)").sort(), ["f"]);
});

test("every metric a query names is one a real agent serves (or Prometheus's own up)", () => {
  assert.ok(served.has("k3s_daas_node_ready") && served.has("k3s_daas_control_plane_request_duration_seconds_bucket"), "the scrape has the conditional metrics");
  // The names scraped are the registry's (and prom-client's defaults): the list is the agent's.
  const src = readFileSync(REGISTRY_SRC, "utf8");
  for (const n of served) if (n.startsWith("k3s_daas_")) assert.ok(src.includes(`"${n.replace(/_(bucket|sum|count)$/, "")}"`), `${n} is in metrics-registry.ts`);
  const unknown: string[] = [];
  for (const { panel, refId, expr } of allExprs) {
    const names = metricNames(expr);
    assert.ok(names.length >= 1, `${panel.title} ${refId}: names no metric: ${expr}`);
    for (const n of names) if (!served.has(n) && !PROMETHEUS_OWN.has(n)) unknown.push(`${panel.title} ${refId}: ${n}`);
  }
  assert.deepEqual(unknown, []);
});

test("every query is valid PromQL: promtool check rules on them as recording rules", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dashboard-promql-"));
  try {
    const file = join(dir, "dashboard.rules.yml");
    const rules = allExprs.map(({ panel, refId, expr }) =>
      `      - record: dashboard:panel_${panel.id}_${refId.toLowerCase()}\n        expr: ${JSON.stringify(substitute(expr))}\n`);
    writeFileSync(file, `groups:\n  - name: k3s-daas-dashboard\n    rules:\n${rules.join("")}`);
    // Not a Grafana variable left, and the variable-free forms are what Grafana would send.
    assert.doesNotMatch(readFileSync(file, "utf8"), /\$/);
    let out: string;
    try {
      const r = await promisify(execFile)(promtool, ["check", "rules", file]);
      out = r.stdout + r.stderr;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      assert.fail(`promtool check rules:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    }
    assert.match(out, new RegExp(`SUCCESS: ${allExprs.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
