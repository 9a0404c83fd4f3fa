// `npm run move:build` / `npm run move:test`: the k3s_daas Move package (move/) through the Sui
// Move compiler (WebAssembly, @zktx.io/sui-move-builder) against the Sui framework sources of
// the crate moverox-sui. Any compiler error fails the command.
//
//   build [--dir move] [--quiet]   compile for publishing; writes dist/move/k3s_daas.json (the
//                                  devnet's package), skipped when the sources did not change
//   test  [--dir move]             compile in test mode, run every #[test], print "N passed, N failed"
import { mkdirSync, renameSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ARTEFACT, MOVE_DIR, builderVersion, sourceHash, type Artefact } from "../devnet/chain/compiled";
import { compilePackage, compilerSuiVersion, MoveBuildError, testPackage } from "./move/compiler";
import { ensureFramework, FRAMEWORK_CRATE, FRAMEWORK_CRATE_VERSION, FRAMEWORK_SUI_TAG } from "./move/framework";

const log = (m: string) => process.stderr.write(`${m}\n`);

async function build(dir: string, quiet: boolean) {
  const isProject = dir === MOVE_DIR;
  const hash = sourceHash(dir);
  if (isProject && existsSync(ARTEFACT) && (JSON.parse(readFileSync(ARTEFACT, "utf8")) as Artefact).sourceHash === hash) {
    if (!quiet) log(`[move] ${ARTEFACT} is up to date`);
    return;
  }
  const t0 = Date.now();
  const pkg = await compilePackage(dir);
  if (pkg.warnings.trim()) log(pkg.warnings.trimEnd());
  const artefact: Artefact = {
    sourceHash: hash,
    compiler: { package: "@zktx.io/sui-move-builder", version: builderVersion(), suiVersion: await compilerSuiVersion() },
    framework: { crate: FRAMEWORK_CRATE, version: FRAMEWORK_CRATE_VERSION, suiTag: FRAMEWORK_SUI_TAG },
    modules: pkg.modules, dependencies: pkg.dependencies, digest: pkg.digest,
  };
  if (isProject) {
    // Written whole and renamed: a devnet starting meanwhile never reads half a file.
    mkdirSync(dirname(ARTEFACT), { recursive: true });
    const tmp = `${ARTEFACT}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(artefact, null, 1) + "\n");
    renameSync(tmp, ARTEFACT);
  }
  if (!quiet) {
    log(`[move] built ${dir}: ${pkg.modules.length} modules, digest ${Buffer.from(pkg.digest).toString("hex")} ` +
      `(Sui Move ${artefact.compiler.suiVersion}, framework ${FRAMEWORK_CRATE} ${FRAMEWORK_CRATE_VERSION} = Sui ${FRAMEWORK_SUI_TAG}) in ${Date.now() - t0} ms` +
      (isProject ? ` -> ${ARTEFACT}` : ""));
  }
}

async function test(dir: string) {
  const run = await testPackage(dir);
  process.stdout.write(run.output.trimEnd() + "\n");
  process.stdout.write(`${run.passed} passed, ${run.failed} failed\n`);
  if (run.failed > 0) process.exitCode = 1;
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { dir: { type: "string" }, quiet: { type: "boolean", default: false } },
  });
  const cmd = positionals[0];
  const dir = values.dir ? resolve(values.dir) : MOVE_DIR;
  ensureFramework(log); // logs only when it has to fetch
  if (cmd === "build") return build(dir, values.quiet!);
  if (cmd === "test") return test(dir);
  throw new Error(`usage: move.ts build|test [--dir <package>] (got ${cmd ?? "nothing"})`);
}

main().catch((e: unknown) => {
  log(e instanceof MoveBuildError ? e.message : `move: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
