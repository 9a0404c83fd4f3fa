// `npm run devnet -- [--host 127.0.0.1] [--port 9000] [--state-dir devnet/.state]
//                     [--lock-epochs 1] [--withdrawal-cooldown-epochs 0] [--min-stake-mist 1000000000]
//                     [--checkpoint-interval-ms 250] [--checkpoint-retention 100000]`
// Starts the local chain, writes <state-dir>/devnet.json (0600, includes the throwaway admin
// key) and prints the ids (never the key). Stops on SIGINT/SIGTERM. --checkpoint-retention: the
// checkpoints kept (older ones are pruned, as a full node prunes them); 0 or Infinity keeps all.
import { parseArgs } from "node:util";
import { startDevnet } from "./server.js";

async function main() {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "9000" },
      "state-dir": { type: "string", default: "devnet/.state" },
      "lock-epochs": { type: "string", default: "1" },
      "withdrawal-cooldown-epochs": { type: "string", default: "0" },
      "min-stake-mist": { type: "string", default: "1000000000" },
      "checkpoint-interval-ms": { type: "string", default: "250" },
      "checkpoint-retention": { type: "string", default: "100000" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`);
  const every = Number(values["checkpoint-interval-ms"]);
  if (!Number.isFinite(every) || every < 0) throw new Error(`--checkpoint-interval-ms must be 0 or more, got ${values["checkpoint-interval-ms"]}`);
  const retention = Number(values["checkpoint-retention"]);
  if (!(retention === Infinity || (Number.isSafeInteger(retention) && retention >= 0))) {
    throw new Error(`--checkpoint-retention must be a whole number of checkpoints (0 or Infinity: keep all), got ${values["checkpoint-retention"]}`);
  }
  const devnet = await startDevnet({
    host: values.host,
    port,
    stateDir: values["state-dir"],
    lockEpochs: BigInt(values["lock-epochs"]!),
    withdrawalCooldownEpochs: BigInt(values["withdrawal-cooldown-epochs"]!),
    minStakeMist: BigInt(values["min-stake-mist"]!),
    checkpointIntervalMs: every,
    checkpointRetention: retention,
  });
  process.stdout.write(JSON.stringify({ url: devnet.url, ...devnet.ids, stateFile: `${values["state-dir"]}/devnet.json` }, null, 2) + "\n");
  const stop = () => void devnet.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`devnet: ${(e as Error).message}\n`);
  process.exit(1);
});
