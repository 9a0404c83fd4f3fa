// npm run move:build and npm run move:test: move/ through the Sui Move compiler (WebAssembly)
// against the framework sources of moverox-sui. Also shows both fail when they should: a type
// error stops the build with the compiler's diagnostic, a failing #[test] is counted and fails.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ARTEFACT, MOVE_DIR, ROOT, sourceHash, type Artefact } from "../../devnet/chain/compiled.js";

const run = promisify(execFile);

async function sh(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(args[0]!, args.slice(1), { cwd: ROOT, maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}
const moveTool = (...args: string[]) => sh([process.execPath, "--import", "tsx", "scripts/move.ts", ...args]);

/** #[test] and #[test, expected_failure(...)] functions in move/tests (not #[test_only]). */
function countTests(dir: string): number {
  const testsDir = join(dir, "tests");
  return readdirSync(testsDir).filter((f) => f.endsWith(".move"))
    .reduce((n, f) => n + [...readFileSync(join(testsDir, f), "utf8").matchAll(/^#\[test[\],]/gm)].length, 0);
}

function copyOfMove(): string {
  const dir = mkdtempSync(join(tmpdir(), "k3s-daas-move-"));
  cpSync(MOVE_DIR, dir, { recursive: true });
  return dir;
}

describe("the Move package through the Sui compiler", () => {
  test("npm run move:build compiles move/ into the devnet's artefact", async () => {
    const r = await sh(["npm", "run", "--silent", "move:build"]);
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(readFileSync(ARTEFACT, "utf8")) as Artefact;
    assert.equal(a.sourceHash, sourceHash());
    assert.equal(a.compiler.version, "0.5.1");
    assert.equal(a.compiler.suiVersion, "1.71.1");
    assert.equal(a.framework.crate, "moverox-sui");
    assert.equal(a.modules.length, 2);
    assert.deepEqual(a.dependencies.map((d) => BigInt(d)), [1n, 2n]);
  });

  test("npm run move:test runs every #[test] in move/tests and prints the counts", async () => {
    const r = await sh(["npm", "run", "--silent", "move:test"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const n = countTests(MOVE_DIR);
    assert.ok(n >= 40, `only ${n} tests found`);
    assert.match(r.stdout, new RegExp(`^${n} passed, 0 failed$`, "m"));
    assert.equal([...r.stdout.matchAll(/^\[ PASS\s*\] /gm)].length, n);
  });

  test("a type error fails the build with the compiler's diagnostic", async () => {
    const dir = copyOfMove();
    try {
      const f = join(dir, "sources", "staking.move");
      writeFileSync(f, readFileSync(f, "utf8").replace("let amount = payment.value();", "let amount: bool = payment.value();"));
      const r = await moveTool("build", "--dir", dir);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /error\[E\d{5}\]/);
      assert.match(r.stderr, /staking\.move/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a failing #[test] is counted and fails move:test", async () => {
    const dir = copyOfMove();
    try {
      writeFileSync(join(dir, "tests", "zz_fails_tests.move"),
        "#[test_only]\nmodule k3s_daas::zz_fails_tests;\n\n#[test]\nfun fails() { assert!(1 + 1 == 3) }\n");
      const r = await moveTool("test", "--dir", dir);
      assert.equal(r.code, 1);
      assert.match(r.stdout, new RegExp(`^${countTests(MOVE_DIR)} passed, 1 failed$`, "m"));
      assert.match(r.stdout, /FAIL\s*\] k3s_daas::zz_fails_tests::fails/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
