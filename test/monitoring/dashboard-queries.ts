// The Grafana dashboard's queries, as the tests read them: test/monitoring/dashboard.test.ts
// (the metrics they name, promtool on every query) and test/e2e/fleet.test.ts (every query run by
// the real Prometheus against the live fleet). Grafana's variables are replaced as Grafana would
// send the queries.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
export const DASHBOARD = join(ROOT, "monitoring", "grafana", "k3s-daas-fleet.json");

export interface Target { refId: string; expr: string; datasource?: { type?: string; uid?: string } }
export interface Panel { id: number; type: string; title: string; datasource?: { type?: string; uid?: string }; targets?: Target[]; repeat?: string; gridPos: { y: number } }
export interface Dashboard {
  schemaVersion: number; uid: string; title: string; panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown; datasource?: { uid?: string }; includeAll?: boolean; multi?: boolean }> };
}

export const dash = JSON.parse(readFileSync(DASHBOARD, "utf8")) as Dashboard;
export const queryPanels = dash.panels.filter((p) => p.type !== "row");
/** Every query of every panel, with its panel and refId. */
export const allExprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, expr: t.expr, refId: t.refId })));

/**
 * Grafana's variables as Grafana fills them in: one worker (`nodeId`, default dev-1) selected,
 * the rate interval for a 30 s scrape.
 */
export const substitute = (expr: string, nodeId = "dev-1") => expr
  .replaceAll("$__rate_interval", "2m").replaceAll("$__interval", "30s").replaceAll("$__range", "6h")
  .replaceAll("$node_id", nodeId).replaceAll("$job", "k3s-daas-agent");

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"]);
/**
 * The metric names a PromQL expression selects: label matchers, grouping clauses, ranges and
 * string literals removed, then every identifier that is not a function call, keyword or number.
 */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\boffset\s+\S+/g, " ");
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)) {
    if (!KEYWORDS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}
