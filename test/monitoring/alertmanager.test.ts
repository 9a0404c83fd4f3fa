// The Alertmanager routing example shipped in monitoring/ (README.md, "Monitoring"), checked by
// Alertmanager's own amtool (Debian's `prometheus-alertmanager` package, unpacked into the cache
// by scripts/setup-alertmanager.sh, never installed): `amtool check-config` accepts it, and
// `amtool config routes test` sends a critical alert to the pager and a warning to chat, grouped
// per alert and worker. Its notification templates render with amtool for a slash alert, and the
// inhibit rule holds back a slashed worker's other alerts (checked on the file: amtool cannot
// evaluate inhibitions without a running Alertmanager).
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";

const ROOT = resolve(__dirname, "../..");
const MONITORING = join(ROOT, "monitoring");
const CONFIG = join(MONITORING, "alertmanager.example.yml");
const RULES = join(MONITORING, "alerts", "k3s-daas.rules.yml");
const PAGER = "k3s-daas-pager";
const CHAT = "k3s-daas-chat";
let amtool = "";
let tmp = "";

const run = async (args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(amtool, args, { cwd: MONITORING });
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: e.stdout ?? "", err: e.stderr ?? "" };
  }
};

/** The receivers an alert with these labels reaches, in routing order. */
const routes = async (labels: Record<string, string>) => {
  const r = await run(["config", "routes", "test", `--config.file=${CONFIG}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  assert.equal(r.code, 0, r.out + r.err);
  return r.out.trim().split(",").map((s) => s.trim());
};

/** The alerts the shipped rules define, with their severity. */
const alerts = () => [...readFileSync(RULES, "utf8").matchAll(/- alert: (\S+)[\s\S]*?severity: (\S+)/g)].map((m) => ({ alert: m[1]!, severity: m[2]! }));

before(() => {
  // The same script the set-up runs (scripts/setup-system.sh): a second when it is unpacked already.
  amtool = join(execFileSync("bash", [join(ROOT, "scripts", "setup-alertmanager.sh")], { encoding: "utf8" }).trim(), "amtool");
  tmp = mkdtempSync(join(tmpdir(), "alertmanager-test-"));
});

after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

test("amtool check-config: the example is valid, with its two receivers and inhibit rules", async () => {
  const r = await run(["check-config", CONFIG]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /SUCCESS/);
  assert.match(r.out, / - 2 receivers/);
  assert.match(r.out, / - 2 inhibit rules/);
});

test("amtool config routes test: critical pages, warning goes to chat, for every shipped alert", async () => {
  assert.deepEqual(await routes({ alertname: "K3sDaasStakeSlashed", severity: "critical", node_id: "dev-1" }), [PAGER]);
  assert.deepEqual(await routes({ alertname: "K3sDaasSealTokenExpiring", severity: "warning", node_id: "dev-1" }), [CHAT]);
  // An alert from elsewhere, without a severity, still reaches someone: chat.
  assert.deepEqual(await routes({ alertname: "SomethingElse" }), [CHAT]);
  const all = alerts();
  assert.ok(all.length >= 17, `${all.length} alerts in the rule file`);
  for (const { alert, severity } of all) {
    assert.deepEqual(await routes({ alertname: alert, severity, node_id: "dev-2" }), [severity === "critical" ? PAGER : CHAT], alert);
  }
  // --verify.receivers fails on a wrong expectation (the check above is not vacuous).
  const wrong = await run(["config", "routes", "test", `--config.file=${CONFIG}`, `--verify.receivers=${CHAT}`, "severity=critical"]);
  assert.notEqual(wrong.code, 0);
});

test("grouping per alert and worker; secrets read from files, none written in the example", () => {
  const text = readFileSync(CONFIG, "utf8");
  assert.match(text, /^ {2}group_by: \[alertname, node_id\]$/m);
  assert.match(text, /routing_key_file: \/etc\/alertmanager\/secrets\//);
  assert.match(text, /api_url_file: \/etc\/alertmanager\/secrets\//);
  assert.doesNotMatch(text, /^\s+(routing_key|service_key|api_url|url):/m, "no secret or URL inline");
});

test("the inhibit rule: the slash alert holds back the same worker's other alerts, not its own or other workers'", () => {
  const text = readFileSync(CONFIG, "utf8");
  const rules = text.split(/^inhibit_rules:$/m)[1]!.split(/^\s+- source_matchers: /m).slice(1);
  const slash = rules.find((r) => r.startsWith(`['alertname="K3sDaasStakeSlashed"']`));
  assert.ok(slash, "an inhibit rule sourced by K3sDaasStakeSlashed");
  assert.match(slash, /target_matchers: \['alertname!="K3sDaasStakeSlashed"'\]/);
  assert.match(slash, /equal: \[node_id\]/);
  assert.ok(alerts().some((a) => a.alert === "K3sDaasStakeSlashed"), "the rule file defines the source alert");
});

test("the notification templates render for a slash alert with amtool, naming the worker and the runbook", async () => {
  const text = readFileSync(CONFIG, "utf8");
  // Every templated value: single-quoted YAML strings ('' is a quote) holding {{ }}.
  const templates = [...text.matchAll(/^\s+(?:- )?([a-z_]+): '((?:[^']|'')*\{\{(?:[^']|'')*)'$/gm)].map((m) => ({ key: m[1]!, text: m[2]!.replaceAll("''", "'") }));
  assert.ok(templates.length >= 8, `${templates.length} templates`);
  const empty = join(tmp, "none.tmpl");
  writeFileSync(empty, "");
  const labels = { alertname: "K3sDaasStakeSlashed", node_id: "dev-2", severity: "critical", instance: "10.99.0.3:9443", job: "k3s-daas-agent" };
  const annotations = { summary: "Worker dev-2: its stake was slashed", description: "The stake of worker dev-2 is slashed on chain; 1 SUI remain in it.", runbook_url: "docs/runbook.md#k3sdaasstakeslashed" };
  const data = join(tmp, "data.json");
  writeFileSync(data, JSON.stringify({
    receiver: PAGER, status: "firing", externalURL: "http://alertmanager.example:9093",
    alerts: [{ status: "firing", labels, annotations, startsAt: "2025-01-01T00:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "http://prometheus.example:9090/graph", fingerprint: "0123456789abcdef" }],
    groupLabels: { alertname: labels.alertname, node_id: labels.node_id }, commonLabels: labels, commonAnnotations: annotations,
  }));
  const rendered: Record<string, string> = {};
  for (const t of templates) {
    const r = await run(["template", "render", `--template.glob=${empty}`, `--template.data=${data}`, `--template.text=${t.text}`]);
    assert.equal(r.code, 0, `${t.key}: ${t.text}\n${r.out}${r.err}`);
    rendered[t.key] = r.out;
  }
  assert.equal(rendered.title, "[FIRING] K3sDaasStakeSlashed on dev-2");
  assert.match(rendered.text!, /^Worker dev-2: its stake was slashed: The stake of worker dev-2 .* \(runbook: docs\/runbook\.md#k3sdaasstakeslashed\)$/m);
  assert.equal(rendered.node_id, "dev-2");
  assert.equal(rendered.runbook, "docs/runbook.md#k3sdaasstakeslashed");
  assert.equal(rendered.firing, "1");
});
