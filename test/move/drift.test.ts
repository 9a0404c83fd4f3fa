// A change to move/ that the devnet's model does not follow fails the suite: a copy of move/
// whose stake_for_node checks the amount before the node id still passes its Move tests, but
// the devnet (pointed at the copy) reports its model out of step, and the conformance rows
// that reach those checks fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { MOVE_DIR, ROOT } from "../../devnet/chain/compiled.js";

test("move/ reordered under the model: its Move tests pass, the devnet's conformance rows fail", async () => {
  const dir = mkdtempSync(join(tmpdir(), "k3s-daas-move-drift-"));
  try {
    cpSync(MOVE_DIR, dir, { recursive: true });
    const f = join(dir, "sources", "staking.move");
    const src = readFileSync(f, "utf8");
    const nodeCheck = "    assert!(len > 0 && len <= MAX_NODE_ID_BYTES, EInvalidNodeId);\n";
    const amountCheck = "    let amount = payment.value();\n    assert!(amount >= pool.min_node_stake, EInsufficientStake);\n";
    assert.ok(src.includes(nodeCheck + amountCheck), "staking.move no longer has the checks this test reorders");
    writeFileSync(f, src.replace(nodeCheck + amountCheck, amountCheck + nodeCheck));

    // A child `node --test` under node:test reports to its parent instead of failing on its own.
    const env: NodeJS.ProcessEnv = { ...process.env, K3S_DAAS_MOVE_DIR: dir };
    delete env.NODE_TEST_CONTEXT;
    const r = await promisify(execFile)(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", "test/move/conformance.test.ts"],
      { cwd: ROOT, env, maxBuffer: 16 << 20 })
      .then(() => assert.fail("the conformance suite passed against a package the model does not follow"), (e: { code: number; stdout: string }) => e);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✔ as Move unit tests/);
    assert.match(r.stdout, /✖ below_minimum/);
    assert.match(r.stdout, /✖ empty_node_id/);
    assert.match(r.stdout, /devnet model out of step with move\/: staking::stake_for_node abort #\d is code \d in the model/);
    assert.match(r.stdout, /✔ stake \(/, "rows that do not reach the reordered checks still pass");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
