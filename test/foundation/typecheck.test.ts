// The whole project (src, agent, devnet, test, bench, scripts) type-checks under `strict`, as
// `npm run typecheck` does: CI runs it here, so a type error fails the build like a failing test.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { test } from "node:test";

const ROOT = resolve(__dirname, "../..");

test("tsc --noEmit: no type error anywhere in the project", () => {
  const r = spawnSync(process.execPath, [resolve(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json", "--noEmit"], { cwd: ROOT, encoding: "utf8", timeout: 600_000 });
  assert.equal(r.status, 0, `tsc found errors:\n${r.stdout}${r.stderr}`);
});
