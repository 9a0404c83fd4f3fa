// Shared shape of every benchmark's report: figures as a median over repeats with their spread,
// targets checked against those medians, a readable block for people and exactly one JSON line
// (starting with `{"bench":`) for scripts that compare runs. Benchmarks never assert timings.
import { cpus, totalmem } from "node:os";

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) throw new Error("spread: no samples");
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** "12.3 (min 11.0, max 14.2, n=3)" with the given unit and decimals. */
export function fmtSpread(x: Spread, unit: string, digits = 1): string {
  const f = (v: number) => v.toFixed(digits);
  return x.n === 1 ? `${f(x.median)} ${unit} (n=1)` : `${f(x.median)} ${unit} (min ${f(x.min)}, max ${f(x.max)}, n=${x.n})`;
}

export interface Target {
  readonly name: string;
  /** Human form of the target, e.g. "<= 3 s". */
  readonly target: string;
  readonly value: number;
  readonly unit: string;
  readonly met: boolean;
}

export function target(name: string, value: number, unit: string, op: "<=" | "<", limit: number): Target {
  return { name, target: `${op} ${limit} ${unit}`, value, unit, met: op === "<=" ? value <= limit : value < limit };
}

export function printTargets(targets: readonly Target[]): void {
  for (const t of targets) console.log(`target ${t.met ? "MET   " : "MISSED"} ${t.name}: ${round(t.value)} ${t.unit} (target ${t.target})`);
}

/** The one machine-readable line of a run. */
export function printJsonLine(bench: string, figures: Record<string, unknown>, targets: readonly Target[] = []): void {
  const line = {
    bench,
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    figures,
    targets,
  };
  console.log(JSON.stringify(line, (_k, v) => (typeof v === "number" ? round(v) : typeof v === "bigint" ? v.toString() : v)));
}

function round(v: number): number {
  return Number.isInteger(v) ? v : Math.round(v * 1000) / 1000;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const t = performance.now();
  const result = await fn();
  return { ms: performance.now() - t, result };
}

/** Fails the run when what is being measured did not happen (never used for timings). */
export function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`bench precondition failed: ${what}`);
}

/** `--name <value>` from the command line, or undefined. */
export function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** `--name <positive number>` from the command line, or `dflt`; anything else is an error naming it. */
export function numberArg(name: string, dflt: number): number {
  const raw = stringArg(name);
  const v = raw === undefined ? dflt : Number(raw);
  check(Number.isFinite(v) && v > 0, `--${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return v;
}
