import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertCommandPluginInstalled } from "../../src/preflight";

test("a missing command plugin is an error naming the set-up step", () => {
  const home = mkdtempSync(join(tmpdir(), "pulumi-home-"));
  try {
    assert.throws(() => assertCommandPluginInstalled("1.2.1", { PULUMI_HOME: home, PATH: "/nonexistent" }), /command provider plugin v1\.2\.1 is not installed.*npm run setup/);
    mkdirSync(join(home, "plugins", "resource-command-v1.2.1"), { recursive: true });
    writeFileSync(join(home, "plugins", "resource-command-v1.2.1", "pulumi-resource-command"), "");
    assert.doesNotThrow(() => assertCommandPluginInstalled("1.2.1", { PULUMI_HOME: home, PATH: "/nonexistent" }));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("the plugin this machine's setup registered is found", () => {
  assert.doesNotThrow(() => assertCommandPluginInstalled("1.2.1"));
});
