// The conformance table (test/move/conformance/table.ts) run twice: as Move unit tests through
// test_scenario, compiled and run by the Sui compiler, and against the devnet's model through
// @mysten/sui. Same aborts (module and constant), same fields and balances.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MOVE_DIR } from "../../devnet/chain/compiled.js";
import { testPackage } from "../../scripts/move/compiler.js";
import { SCENARIOS } from "./conformance/table.js";
import { CONFORMANCE_FILE, generateConformanceMove, testName } from "./conformance/to-move.js";
import { runOnDevnet } from "./conformance/on-devnet.js";

describe("conformance: Move and the devnet model", () => {
  test("move/tests/conformance_tests.move is the table's (else: npm run move:conformance)", () => {
    assert.equal(readFileSync(CONFORMANCE_FILE, "utf8"), generateConformanceMove());
  });

  test("as Move unit tests (test_scenario): one test per row, all pass", async () => {
    const run = await testPackage(MOVE_DIR);
    const conformance = run.results.filter((r) => r.name.startsWith("k3s_daas::conformance_tests::"));
    assert.deepEqual(conformance.map((r) => r.name).sort(), SCENARIOS.map((s) => `k3s_daas::conformance_tests::${testName(s)}`).sort());
    const failed = conformance.filter((r) => !r.ok).map((r) => r.name);
    assert.deepEqual(failed, [], run.output);
  });

  describe("against the devnet through @mysten/sui", () => {
    for (const sc of SCENARIOS) test(sc.id, () => runOnDevnet(sc));
  });
});
