// Runs a checkout's Pulumi program (`<root>/src/index.ts`) under Pulumi's mocks with a stack config
// bag and prints every resource it registers, normalized, as JSON: type, name, parent, the
// resources it depends on, and its inputs (secrets marked as such, file assets by path, the
// checkout's own paths and agent bundle digest replaced by placeholders). Two checkouts that print
// the same text for a config build the same fleet from it: test/components/stack-meaning.test.ts
// compares this checkout against what the program of an earlier release made of the same stacks.
//
//   node --import tsx test/support/program-registrations.ts <root> <config.json> <out.json> [<placeholders.json>]
//
// config.json: { "k3s-daas-fleet:key": "value or JSON text", ... } (as `pulumi config` holds it).
// placeholders.json: { "<images>": "/tmp/dir", ... } literal strings replaced in the output.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const [rootArg, configFile, outFile, placeholdersFile] = process.argv.slice(2);
if (!rootArg || !configFile || !outFile) {
  process.stderr.write("usage: program-registrations.ts <root> <config.json> <out.json> [<placeholders.json>]\n");
  process.exit(2);
}
const root = resolve(rootArg);
const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, string>;
// The engine hands a program its config in these two variables; the mocks read them the same way.
process.env.PULUMI_CONFIG = JSON.stringify(config);
process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(Object.keys(config).filter((k) => /walletKey|sshPrivateKey|k3sToken|rpcHeaders/.test(k)));

async function main(): Promise<void> {
  // Loaded after PULUMI_CONFIG is set: the harness sets the mocks, which read it.
  const h = require("../components/mock-harness") as typeof import("../components/mock-harness");
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const program = require(join(root, "src", "index.ts")) as Record<string, unknown>;
  await h.settle();

  const bundleSha = createHash("sha256").update(readFileSync(join(root, "dist", "agent", "agent.js"))).digest("hex");
  const placeholders: Array<[string, string]> = [
    ...Object.entries(placeholdersFile ? (JSON.parse(readFileSync(placeholdersFile, "utf8")) as Record<string, string>) : {}).map(([k, v]) => [v, k] as [string, string]),
    [root, "<root>"],
    [bundleSha, "<agent-bundle-sha256>"],
  ];
  const text = (s: string) => placeholders.reduce((acc, [from, to]) => acc.split(from).join(to), s);
  const tail = (urn: string) => (urn ? urn.split("::").slice(-2).join("::") : "");

  async function normal(v: unknown): Promise<unknown> {
    if (h.isSecretValue(v)) return { secret: await normal(v.value) };
    if (v instanceof pulumi.asset.FileAsset) return { fileAsset: text(String(await v.path)) };
    if (v instanceof pulumi.asset.StringAsset) return { stringAsset: text(String(await v.text)) };
    if (typeof v === "string") return text(v);
    if (Array.isArray(v)) return Promise.all(v.map(normal));
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        // The provider's serialized code is not configuration: what it does is tested elsewhere.
        if (k === "__provider") continue;
        // A digest of `changes` and `secretChanges` (both compared as they are), and of the agent
        // bundle's whole sha256, which a rebuilt bundle changes.
        if ((k === "digest" || k === "rolloutDigest") && typeof (v as Record<string, unknown>)[k] === "string") {
          out[k] = "<digest of the rollout's changes>";
          continue;
        }
        out[k] = await normal((v as Record<string, unknown>)[k]);
      }
      return out;
    }
    return v;
  }

  const resources = [];
  for (const r of [...h.registrations].sort((a, b) => (a.urn ?? "").localeCompare(b.urn ?? ""))) {
    resources.push({
      type: r.type,
      name: r.name,
      parent: tail(r.parent),
      dependsOn: r.dependencies.map(tail).sort(),
      inputs: await normal(r.inputs),
    });
  }
  // A file, not stdout: the program logs there (pulumi.log under mocks).
  writeFileSync(outFile!, JSON.stringify({ outputs: Object.keys(program).sort(), resources }, null, 1) + "\n");
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
