// `npm run package-schema`: what `pulumi package get-schema` makes of the npm package as a
// multi-language component package (README "Other languages"). Packs the package, installs the
// tarball into a throwaway component package (PulumiPlugin.yaml, runtime nodejs, re-exporting
// WorkerFleet and StakedWorker), and runs get-schema on it, printing what the CLI prints.
//
// The Node.js language host built here (toolchain/) has no RunPlugin, so the plugin is started
// the way upstream's RunPlugin starts it (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs):
// `node ./node_modules/@pulumi/pulumi/cmd/run-plugin <dir>` in the package's directory, with
// PULUMI_NODEJS_TYPESCRIPT=true. Installs from npm's cache only (scripts/packed-install.ts).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { installPacked, packPackage } from "./packed-install";

const root = resolve(__dirname, "..");
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
const work = mkdtempSync(join(tmpdir(), "k3s-daas-schema-"));
try {
  const tarball = packPackage(root, work);
  const pkg = join(work, "components");
  mkdirSync(pkg);
  writeFileSync(join(pkg, "PulumiPlugin.yaml"), "runtime: nodejs\n");
  writeFileSync(join(pkg, "package.json"), JSON.stringify({
    name: "k3s-daas-fleet-components", version, main: "index.ts",
    dependencies: { "@pulumi/pulumi": "3.260.0", "k3s-daas-fleet": `file:${tarball}` }, devDependencies: { typescript: "5.9.3" },
  }, null, 2));
  writeFileSync(join(pkg, "tsconfig.json"), readFileSync(join(root, "examples", "fleet-from-package", "tsconfig.json")));
  installPacked(root, pkg, tarball);
  const plugin = join(work, "bin", "pulumi-resource-k3s-daas-fleet-components");
  mkdirSync(join(work, "bin"));
  writeFileSync(plugin, `#!/bin/sh\ncd '${pkg}'\nexport PULUMI_NODEJS_TYPESCRIPT=true\nexec node ./node_modules/@pulumi/pulumi/cmd/run-plugin '${pkg}' "$@"\n`);
  chmodSync(plugin, 0o755);
  for (const components of [["WorkerFleet", "StakedWorker"], ["StakedWorker"]]) {
    writeFileSync(join(pkg, "index.ts"), `export { ${components.join(", ")} } from "k3s-daas-fleet";\n`);
    process.stdout.write(`\n$ pulumi package get-schema <a component package exporting ${components.join(" and ")} of k3s-daas-fleet ${version}>\n`);
    const r = spawnSync("pulumi", ["package", "get-schema", plugin], { encoding: "utf8" });
    if (r.status !== 0) {
      process.stdout.write(`${r.stderr}(exit ${r.status})\n`);
      continue;
    }
    // The schema is long: each component's inputs with the type the analyzer gave them.
    const schema = JSON.parse(r.stdout) as { resources: Record<string, { inputProperties?: Record<string, { type?: string; $ref?: string; secret?: boolean }> }> };
    for (const [token, res] of Object.entries(schema.resources)) {
      process.stdout.write(`${token}: ${Object.keys(res.inputProperties ?? {}).length} inputs\n`);
      for (const [k, v] of Object.entries(res.inputProperties ?? {})) process.stdout.write(`  ${k}: ${v.type ?? v.$ref}${v.secret ? " (secret)" : ""}\n`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
