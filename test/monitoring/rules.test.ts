// The alert rules shipped in monitoring/alerts, checked by Prometheus's own promtool (Debian's
// `prometheus` package, unpacked into the cache by scripts/setup-prometheus.sh, never installed):
// `promtool check rules` on the rule file, `promtool test rules` on its unit tests (every alert
// firing for one worker, with its labels and annotations as rendered, and not firing for workers
// that recover before `for:`, stay outside the threshold or are stopped on purpose), and
// `promtool check config` on the example scrape configuration. Plus what promtool does not
// check: every rule has a severity, a sustained `for:`, a summary and description naming the
// worker and the value, and a runbook_url to a section of docs/runbook.md that exists.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { before, test } from "node:test";
import { promisify } from "node:util";

const ROOT = resolve(__dirname, "../..");
const ALERTS = join(ROOT, "monitoring", "alerts");
const RULES = join(ALERTS, "k3s-daas.rules.yml");
const RULE_TESTS = join(ALERTS, "k3s-daas.rules.test.yml");
const RUNBOOK = join(ROOT, "docs", "runbook.md");
const SCRAPE_JOB = "k3s-daas-agent";
let promtool = "";

const run = async (args: string[], cwd = ALERTS) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(promtool, args, { cwd });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
};

interface Rule { alert: string; text: string; field(name: string): string | undefined }

/** The rule file's alerting rules, one block each (the file's layout: `- alert:` then its keys). */
function rules(): Rule[] {
  const text = readFileSync(RULES, "utf8");
  return text.split(/^\s*- alert: /m).slice(1).map((block) => {
    const alert = block.split("\n", 1)[0]!.trim();
    const field = (name: string) => {
      const m = new RegExp(`^\\s+${name}: (.*)$`, "m").exec(block);
      return m ? m[1]!.trim().replace(/^"(.*)"$/, "$1") : undefined;
    };
    return { alert, text: block, field };
  });
}

before(() => {
  // The same script `npm test`'s set-up runs: a second when the version is unpacked already.
  promtool = join(execFileSync("bash", [join(ROOT, "scripts", "setup-prometheus.sh")], { encoding: "utf8" }).trim(), "promtool");
});

test("promtool check rules: the rule file is valid", async () => {
  const r = await run(["check", "rules", RULES]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`SUCCESS: ${rules().length} rules found`));
});

test("promtool test rules: every alert fires for the worker it should, and not for the others", async () => {
  const r = await run(["test", "rules", RULE_TESTS]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

test("the rule tests show each alert both firing and not firing", () => {
  const text = readFileSync(RULE_TESTS, "utf8");
  const evals = text.split(/^\s*- eval_time: /m).slice(1).map((b) => ({
    alert: /^\s+alertname: (\S+)$/m.exec(b)?.[1],
    fires: !/^\s+exp_alerts: \[\]$/m.test(b),
  }));
  for (const { alert } of rules()) {
    assert.ok(evals.some((e) => e.alert === alert && e.fires), `${alert}: no case where it fires`);
    assert.ok(evals.some((e) => e.alert === alert && !e.fires), `${alert}: no case where it does not fire`);
  }
});

test("every rule: severity critical|warning, a sustained for:, summary and description naming the worker and the value, a runbook section", () => {
  const runbook = readFileSync(RUNBOOK, "utf8");
  const all = rules();
  assert.ok(all.length >= 17, `${all.length} rules`);
  assert.equal(new Set(all.map((r) => r.alert)).size, all.length, "alert names are unique");
  for (const r of all) {
    assert.match(r.alert, /^K3sDaas[A-Za-z0-9]+$/, r.alert);
    assert.match(r.field("severity") ?? "", /^(critical|warning)$/, `${r.alert}: severity`);
    assert.match(r.field("for") ?? "", /^[1-9]\d*[mh]$/, `${r.alert}: for:`);
    for (const a of ["summary", "description"]) assert.match(r.field(a) ?? "", /\{\{ \$labels\.node_id \}\}/, `${r.alert}: ${a} names the worker`);
    assert.match(`${r.field("summary")} ${r.field("description")}`, /\{\{ \$value|\{\{ \$labels\.status/, `${r.alert}: says the value`);
    const url = r.field("runbook_url") ?? "";
    assert.equal(url, `docs/runbook.md#${r.alert.toLowerCase()}`, `${r.alert}: runbook_url`);
    assert.match(runbook, new RegExp(`^## ${r.alert}$`, "m"), `${r.alert}: docs/runbook.md has its section`);
  }
  // The rules that select the scrape job use the documented name.
  const jobs = [...readFileSync(RULES, "utf8").matchAll(/job="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(jobs.length >= 2);
  for (const j of jobs) assert.equal(j, SCRAPE_JOB);
});

test("the example scrape configuration is valid, with the job the rules assume and the rule file", async () => {
  const r = await run(["check", "config", "prometheus.example.yml"], join(ROOT, "monitoring"));
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS: 1 rule files found/);
  assert.match(readFileSync(join(ROOT, "monitoring", "prometheus.example.yml"), "utf8"), new RegExp(`^  - job_name: ${SCRAPE_JOB}$`, "m"));
});
