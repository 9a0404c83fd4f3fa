// Records what a checkout's program builds from each stack-meaning config
// (test/support/stack-meaning-configs.ts) into test/fixtures/stack-meaning/<name>.json.
// The committed records were made from the program of 5e0f855, before the settings model:
//   git archive 5e0f855 | tar -x -C /tmp/old && (link this checkout's node_modules entries into /tmp/old/node_modules)
//   node --import tsx test/support/record-stack-meaning.ts /tmp/old
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makeImages, makeSecrets, stackMeaningConfigs } from "./stack-meaning-configs";

/** What the program at `root` registers for each config: name -> JSON text. */
export function programRecords(root: string): Record<string, string> {
  const work = mkdtempSync(join(tmpdir(), "k3s-daas-stack-meaning-"));
  try {
    const imagesDir = join(work, "images");
    makeImages(imagesDir);
    const placeholders = join(work, "placeholders.json");
    const keys = makeSecrets();
    writeFileSync(placeholders, JSON.stringify({ "<images>": imagesDir, "<wallet key>": keys.walletKey, "<ssh private key>": keys.sshPrivateKey }));
    const out: Record<string, string> = {};
    for (const [name, config] of Object.entries(stackMeaningConfigs(imagesDir, keys))) {
      const file = join(work, `${name}.json`);
      writeFileSync(file, JSON.stringify(config));
      const result = join(work, `${name}.out.json`);
      execFileSync(process.execPath, ["--import", "tsx", join(__dirname, "program-registrations.ts"), root, file, result, placeholders], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
      out[name] = readFileSync(result, "utf8");
    }
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const root = resolve(process.argv[2] ?? join(__dirname, "..", ".."));
  for (const [name, text] of Object.entries(programRecords(root))) {
    writeFileSync(join(__dirname, "..", "fixtures", "stack-meaning", `${name}.json`), text);
    process.stdout.write(`recorded ${name}: ${JSON.parse(text).resources.length} resources\n`);
  }
}
