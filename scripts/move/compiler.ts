// The Sui Move compiler (v1.71.1 as WebAssembly, npm @zktx.io/sui-move-builder) run in Node
// against the framework sources of framework.ts: no network. The builder asks its fetcher for
// MystenLabs/sui's move-stdlib and sui-framework (the implicit dependencies of every Sui
// package); the fetcher answers from the cache instead of GitHub.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  dumpMovePackage, getPinnedSuiVersion, initMovePackageBuilder, testMovePackage,
  type MovePackageFetcher,
} from "@zktx.io/sui-move-builder/full";
import { readFrameworkPackage, readTree, type FrameworkPackage } from "./framework";

function builderDir(): string {
  return join(require.resolve("@zktx.io/sui-move-builder/full"), "..", "..", "..");
}

let wasm: Buffer | undefined;
async function init(): Promise<Buffer> {
  if (!wasm) {
    wasm = readFileSync(join(builderDir(), "dist", "full", "sui_move_wasm_bg.wasm"));
    await initMovePackageBuilder({ wasm });
  }
  return wasm;
}
export async function compilerSuiVersion(): Promise<string> {
  return getPinnedSuiVersion({ wasm: await init() });
}

const SUI_GIT = /github\.com\/MystenLabs\/sui(\.git)?$/;
/** Serves the two framework packages from the cache; anything else is an error naming it. */
class CachedFrameworkFetcher implements MovePackageFetcher {
  readonly requests: string[] = [];
  private pkg(gitUrl: string, subdir: string | undefined): FrameworkPackage {
    const name = subdir?.split("/").pop();
    if (!SUI_GIT.test(gitUrl) || (name !== "move-stdlib" && name !== "sui-framework")) {
      throw new Error(`dependency ${gitUrl} ${subdir ?? ""} is not available here: only the Sui framework (MoveStdlib, Sui) is`);
    }
    return name;
  }
  async fetch(gitUrl: string, rev: string, subdir?: string): Promise<Record<string, string>> {
    const pkg = this.pkg(gitUrl, subdir);
    this.requests.push(`${pkg}@${rev}`);
    return readFrameworkPackage(pkg);
  }
  async fetchFile(gitUrl: string, _rev: string, path: string): Promise<string | null> {
    const m = /crates\/sui-framework\/packages\/(move-stdlib|sui-framework)\/(.+)$/.exec(path);
    if (!SUI_GIT.test(gitUrl) || !m) return null;
    return readFrameworkPackage(m[1] as FrameworkPackage)[m[2]!] ?? null;
  }
  getResolvedSha(): string | undefined {
    return undefined;
  }
}

/** Move.toml, sources/ and tests/ of a package directory, as the builder's virtual files. */
export function packageFiles(dir: string, opts: { tests: boolean }): Record<string, string> {
  return readTree(dir, (rel) => rel === "Move.toml" || (rel.endsWith(".move") && (rel.startsWith("sources/") || (opts.tests && rel.startsWith("tests/")))));
}

export interface CompiledPackage {
  /** Module bytes as the compiler emits them for publishing (self address 0x0), base64. */
  modules: string[];
  dependencies: string[];
  /** The package digest the Sui CLI prints (blake2b-256 over module digests and dependency ids). */
  digest: number[];
  warnings: string;
}

export class MoveBuildError extends Error {}

/** Compile a package for publishing. Throws MoveBuildError with the compiler's diagnostics. */
export async function compilePackage(dir: string): Promise<CompiledPackage> {
  await init();
  const r = await dumpMovePackage({ files: packageFiles(dir, { tests: false }), fetcher: new CachedFrameworkFetcher(), network: "testnet", ansiColor: false });
  if ("error" in r) throw new MoveBuildError(`Move build of ${dir} failed (${r.category ?? "unknown"}):\n${r.error}`);
  return { modules: r.modules, dependencies: r.dependencies, digest: r.digest, warnings: r.warnings ?? "" };
}

export interface TestRun {
  passed: number;
  failed: number;
  /** Test names with their result, as the runner printed them. */
  results: { name: string; ok: boolean }[];
  output: string;
}

/** Compile in test mode and run every #[test]. Throws MoveBuildError when it does not compile. */
export async function testPackage(dir: string): Promise<TestRun> {
  await init();
  const r = await testMovePackage({ files: packageFiles(dir, { tests: true }), fetcher: new CachedFrameworkFetcher(), network: "testnet", ansiColor: false });
  if ("error" in r) throw new MoveBuildError(`Move tests of ${dir} did not compile or run (${r.category ?? "unknown"}):\n${r.error}`);
  const output = r.output.replace(/\x1b\[[0-9;]*m/g, "");
  const results = [...output.matchAll(/^\[ (PASS|FAIL|TIMEOUT)\s*\] (\S+)/gm)].map((m) => ({ name: m[2]!, ok: m[1] === "PASS" }));
  const total = /Total tests: (\d+); passed: (\d+); failed: (\d+)/.exec(output);
  if (!total) throw new MoveBuildError(`the Move test runner printed no totals:\n${output}`);
  const passed = Number(total[2]), failed = Number(total[3]);
  if (passed + failed !== results.length) throw new MoveBuildError(`the Move test runner's totals do not match its ${results.length} result lines:\n${output}`);
  if (r.passed !== (failed === 0)) throw new MoveBuildError(`the Move test runner says passed=${r.passed} with ${failed} failures:\n${output}`);
  return { passed, failed, results, output };
}
