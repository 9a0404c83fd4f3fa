// Entry point of the bundled agent: `node agent.js [run|keygen|check-config|version]`.
import { createHash } from "node:crypto";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError, configPath, readConfig, readRpcHeaders, redactConfig, type AgentConfig } from "./config";
import { loadOrCreateIdentity } from "./identity";
import { createLogger } from "./log";
import { operatorKeygen, operatorRequest, RequestError, UsageError } from "./operator-cli";
import { startAgent } from "./run";
import { AGENT_VERSION } from "./version";

const DEFAULT_WORKER_KEY = "/var/lib/k3s-daas/worker.key";
const USAGE = `usage: node agent.js [run | keygen [--key PATH] | check-config | version]
       node agent.js operator-keygen [--key PATH]
       node agent.js operator-request --node NODE_ID [--key PATH] [--body JSON] URL
  run               start the agent (default); config from STAKER_CONFIG_PATH
  keygen            create the worker key if missing and print only its base64 public key
  check-config      validate the config file and print it with secrets redacted
  version           print the agent version
  operator-keygen   (operator's machine) create the operator key if missing (default
                    ~/.config/k3s-daas/operator.key) and print its public key for api.operatorKeys
  operator-request  (operator's machine) send one POST signed with the operator key, e.g.
                    --node worker-1 http://10.0.0.5:9443/api/v1/unstake`;

function bundleDir(): string {
  return dirname(process.argv[1] ?? process.cwd());
}

/** The config file, parsed, with the sha256 of its text; throws a message naming the file. */
function loadConfig() {
  const path = configPath(process.env, bundleDir());
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let cfg: AgentConfig;
  try {
    cfg = readConfig(process.env, text);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`invalid config ${path}: ${err.message}`);
    throw err;
  }
  return {
    cfg,
    sha256: createHash("sha256").update(text).digest("hex"),
    rpcHeaders: loadRpcHeaders(cfg.sui.headersFile),
    confirmHeaders: cfg.sui.confirmSources.map((c) => loadRpcHeaders(c.headersFile)),
  };
}

/** The RPC headers file the config names, if any; one others can read is tightened to 0600. */
function loadRpcHeaders(path: string | undefined): Record<string, string> | undefined {
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  } catch (err) {
    throw new ConfigError(`cannot read rpc headers file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return readRpcHeaders(path, text);
}

function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

function fail(message: string): never {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: message }) + "\n");
  process.exit(2);
}

/**
 * sha256 of the file this process runs (the bundle on a host), read once at start: /health
 * reports it, so a deploy sees that the agent restarted on the new bundle, not only that the
 * file was replaced.
 */
function ownSha256(): string | undefined {
  try {
    return createHash("sha256").update(readFileSync(process.argv[1]!)).digest("hex");
  } catch {
    return undefined;
  }
}

/** keygen needs no full config: it runs before the seal token (which needs the key) exists. */
function keygen(args: string[]): void {
  const i = args.indexOf("--key");
  let keyPath = i >= 0 ? args[i + 1] : undefined;
  if (!keyPath) {
    try {
      const raw = JSON.parse(readFileSync(configPath(process.env, bundleDir()), "utf8")) as { paths?: { workerKey?: unknown } };
      if (typeof raw.paths?.workerKey === "string") keyPath = raw.paths.workerKey;
    } catch { /* no config yet: default path */ }
  }
  const id = loadOrCreateIdentity(keyPath ?? DEFAULT_WORKER_KEY);
  process.stdout.write(id.publicKey + "\n");
}

async function run(): Promise<void> {
  const { cfg, sha256, rpcHeaders, confirmHeaders } = loadConfigOrExit();
  const log = createLogger(cfg.logLevel);
  // SIGHUP (systemctl reload): re-read the file; a renewed seal token is switched to live. The
  // handler is in place before systemd hears READY=1 (SIGHUP's default would kill the agent); a
  // reload that comes during start-up is done once the agent runs.
  let running: Awaited<ReturnType<typeof startAgent>> | undefined;
  let reloadPending = false;
  const reload = () => {
    if (!running) {
      reloadPending = true;
      return;
    }
    let next;
    try {
      next = loadConfig();
    } catch (err) {
      log.error("config reload refused; the running config stays", { err });
      return;
    }
    running.reload(next.cfg, next.sha256).catch((err: unknown) => log.error("config reload failed; the running config stays", { err }));
  };
  process.on("SIGHUP", reload);
  running = await startAgent(cfg, { log, configSha256: sha256, bundleSha256: ownSha256(), rpcHeaders, confirmHeaders });
  if (reloadPending) reload();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn("second signal: exiting now", { signal: sig });
      process.exit(130);
    }
    log.info("shutting down", { signal: sig });
    // Hard bound over the graceful path (which is itself bounded) in case close() hangs.
    setTimeout(() => {
      log.error("shutdown took too long: exiting");
      process.exit(1);
    }, cfg.shutdownTimeoutMs + 2_000).unref();
    running.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

async function main(): Promise<void> {
  const [cmd = "run", ...rest] = process.argv.slice(2);
  switch (cmd) {
    case "run":
      return run();
    case "keygen":
      return keygen(rest);
    case "check-config":
      process.stdout.write(JSON.stringify(redactConfig(loadConfigOrExit().cfg), null, 2) + "\n");
      return;
    case "operator-keygen":
      process.stdout.write(operatorKeygen(rest) + "\n");
      return;
    case "operator-request":
      process.exitCode = await operatorRequest(rest, (s) => process.stdout.write(s));
      return;
    case "version":
      process.stdout.write(AGENT_VERSION + "\n");
      return;
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE + "\n");
      return;
    default:
      process.stderr.write(`unknown command ${JSON.stringify(cmd)}\n${USAGE}\n`);
      process.exit(2);
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (err instanceof RequestError) {
    process.stderr.write(err.message + "\n");
    process.exit(1);
  }
  fail(`agent failed: ${(err as Error).message}`);
});
