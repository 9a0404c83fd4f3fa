// `npm run build:package` (and `npm pack`, through prepack): the npm package's files. The agent
// bundle (dist/agent/agent.js), the providers' runtime bundle as the package exports it
// (dist/runtime/index.js, `k3s-daas-fleet/provider-runtime`), and src/ compiled to lib/ with its
// type declarations and the install scripts beside the components that upload them.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundleSpecs, ensureBundles } from "../src/components/bundles";

const root = resolve(__dirname, "..");
const log = (m: string) => process.stderr.write(`[build:package] ${m}\n`);

ensureBundles(root);
const runtime = bundleSpecs(root).find((s) => s.name === "provider runtime")!;
const esbuild = require("esbuild") as typeof import("esbuild");
esbuild.buildSync({
  entryPoints: [runtime.entry], outfile: join(root, "dist", "runtime", "index.js"),
  bundle: true, platform: "node", target: "node22", format: "cjs", legalComments: "none", logLevel: "warning", packages: "external",
});
log("bundles: dist/agent/agent.js, dist/runtime/index.js");

rmSync(join(root, "lib"), { recursive: true, force: true });
execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
const scripts = join(root, "src", "components", "scripts");
mkdirSync(join(root, "lib", "components", "scripts"), { recursive: true });
for (const f of readdirSync(scripts)) cpSync(join(scripts, f), join(root, "lib", "components", "scripts", f));
if (!existsSync(join(root, "lib", "library.d.ts"))) throw new Error("tsc wrote no lib/library.d.ts");
log("lib/: JavaScript, type declarations, install scripts");
