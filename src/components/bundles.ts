// The two bundles the program ships, rebuilt whenever their sources changed: the agent (one file
// uploaded to every host) and the dynamic providers' runtime (required by name by the engine's
// provider process). Building here, not only in `npm run build`, means a `pulumi up` can never
// ship an agent or run providers older than the checkout it runs from.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface BundleSpec {
  name: string;
  entry: string;
  outfile: string;
  /** Folders whose files the bundle is made of (hashed to decide whether to rebuild). */
  sources: string[];
  /** Leave npm packages out (resolved from node_modules at run time). */
  packagesExternal: boolean;
  /** Minify (smaller source held in memory by every host's agent; names of errors are explicit). */
  minify?: boolean;
}

export function bundleSpecs(root: string): BundleSpec[] {
  return [
    {
      name: "agent",
      entry: join(root, "agent/src/main.ts"),
      outfile: join(root, "dist/agent/agent.js"),
      sources: [join(root, "agent/src"), join(root, "src/sui"), join(root, "src/rules.ts")],
      packagesExternal: false, // one file that runs with Node and nothing else installed
      minify: true,
    },
    {
      name: "provider runtime",
      entry: join(root, "src/components/runtime/index.ts"),
      outfile: join(root, "node_modules/k3s-daas-fleet-runtime/index.js"),
      sources: [join(root, "src/components/runtime"), join(root, "src/sui"), join(root, "src/rules.ts")],
      packagesExternal: true,
    },
  ];
}

/** A source: a directory (every file under it) or one file. */
function files(dir: string): string[] {
  if (statSync(dir).isFile()) return [dir];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

function sourceHash(spec: BundleSpec): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ minify: spec.minify ?? false })); // a build option change rebuilds too
  for (const f of spec.sources.flatMap(files)) h.update(f).update(readFileSync(f));
  return h.digest("hex");
}

/** Rebuilds each bundle whose sources changed since it was built; returns the names rebuilt. */
export function ensureBundles(root: string): string[] {
  const rebuilt: string[] = [];
  for (const spec of bundleSpecs(root)) {
    const stamp = `${spec.outfile}.source-sha256`;
    const hash = sourceHash(spec);
    if (existsSync(spec.outfile) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) continue;
    mkdirSync(dirname(spec.outfile), { recursive: true });
    const esbuild = require("esbuild") as typeof import("esbuild");
    esbuild.buildSync({
      entryPoints: [spec.entry],
      outfile: spec.outfile,
      bundle: true,
      platform: "node",
      target: "node22",
      format: "cjs",
      legalComments: "none",
      logLevel: "warning",
      packages: spec.packagesExternal ? "external" : undefined,
      minify: spec.minify ?? false,
    });
    writeFileSync(stamp, hash);
    rebuilt.push(spec.name);
  }
  return rebuilt;
}
