// CLI: `npm run control-plane -- [--host 127.0.0.1] [--port 8443] [--state-dir devnet/.state]`.
// Reads the devnet's devnet.json (url, ids, admin key) and publishes itself in the registry.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startControlPlane } from "./index";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8443" },
      "state-dir": { type: "string", default: "devnet/.state" },
      "public-endpoint": { type: "string" },
    },
  });
  const dev = JSON.parse(readFileSync(join(values["state-dir"]!, "devnet.json"), "utf8")) as {
    url: string; packageId: string; poolId: string; adminCapId: string; registryId: string; adminSecretKey: string;
  };
  const log = (msg: string, fields?: Record<string, unknown>) =>
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }) + "\n");
  const cp = await startControlPlane({
    host: values.host!,
    port: Number(values.port),
    chainUrl: dev.url,
    ids: { packageId: dev.packageId, poolId: dev.poolId, adminCapId: dev.adminCapId, registryId: dev.registryId },
    adminSecretKey: dev.adminSecretKey,
    publicEndpoint: values["public-endpoint"],
    log,
  });
  const stop = () => void cp.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`control plane failed: ${(err as Error).message}\n`);
  process.exit(1);
});
