// Issue 25: the stack config keeps working unchanged through the settings model. The program
// (src/index.ts, under Pulumi's mocks) is given the dev stack as `npm run dev` completes it, the
// testnet example (as shipped and with its commented keys set), a docker stack and one that sets
// every key; each must register exactly the resources, with exactly the inputs, that the program
// of 5e0f855 (before the settings model) registered for it: the records in
// test/fixtures/stack-meaning/ (how they were made: test/support/record-stack-meaning.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { programRecords } from "../support/record-stack-meaning";
import { stackFileConfig } from "../support/stack-meaning-configs";

const ROOT = join(__dirname, "..", "..");
const FIXTURES = join(ROOT, "test", "fixtures", "stack-meaning");

interface Record_ { outputs: string[]; resources: Array<{ type: string; name: string; parent: string; dependsOn: string[]; inputs: unknown }> }

const records = programRecords(ROOT);

for (const [name, text] of Object.entries(records)) {
  test(`${name}: the same resources with the same inputs as before the settings model`, () => {
    const now = JSON.parse(text) as Record_;
    const then = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as Record_;
    assert.ok(then.resources.length > 10, "the record holds a fleet");
    assert.deepEqual(now.outputs, then.outputs, "the stack outputs");
    assert.deepEqual(now.resources.map((r) => `${r.type} ${r.name}`), then.resources.map((r) => `${r.type} ${r.name}`), "the resources");
    for (const [i, r] of now.resources.entries()) assert.deepEqual(r, then.resources[i], `${r.type} ${r.name}`);
  });
}

test("every key of the dev and testnet example stacks is among those the records set", () => {
  const dev = JSON.parse(readFileSync(join(FIXTURES, "dev.json"), "utf8")) as Record_;
  assert.ok(dev.resources.some((r) => r.type.endsWith("WorkerFleet")));
  for (const file of ["Pulumi.dev.yaml", "Pulumi.testnet.example.yaml"]) {
    const keys = Object.keys(stackFileConfig(file));
    assert.ok(keys.length >= 5, `${file} has its keys`);
    for (const k of keys) assert.match(k, /^k3s-daas-fleet:/, `${file}: ${k} is one of the program's keys`);
  }
});
