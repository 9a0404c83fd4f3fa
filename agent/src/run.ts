// Wire the agent together and serve its API. Used by main.ts and by tests (which may inject a
// chain reader, a logger sink or a k3s service).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, type ConfirmSource } from "./agent";
import { createAgentMetrics } from "./api/metrics-registry";
import { OperatorAuth } from "./api/operator-auth";
import { createApiServer } from "./api/server";
import { normalizeObjectId, type StakeReader } from "./chain";
import { createSuiStakeReader } from "./chain-sui";
import type { AgentConfig } from "./config";
import { planReload } from "./config-reload";
import { loadOrCreateIdentity } from "./identity";
import { createK3sService, type K3sService } from "./k3s-service";
import { createLogger, type Logger } from "./log";
import { ResourceSampler } from "./resources";
import { createRuntime, type ContainerRuntime } from "./runtime";
import { NodeChecker } from "./node-ready";
import { stopIsLeaving } from "./leaving";
import { createNotifier, type Notifier } from "./sd-notify";
import { Telemetry } from "./telemetry";
import { AGENT_VERSION } from "./version";

export interface RunningAgent {
  agent: Agent;
  server: Server;
  /** The bound API address (port resolved when config says 0). */
  host: string;
  port: number;
  k3s: K3sService;
  log: Logger;
  /** Graceful stop: deregister, stop loops, close the API. Bounded by cfg.shutdownTimeoutMs. */
  stop(): Promise<void>;
  /**
   * Apply a re-read config file (SIGHUP): a new seal token is switched to live; any other change
   * is reported and left for a restart. Resolves with what was done; never stops the node.
   */
  reload(next: AgentConfig, configSha256: string): Promise<ReloadResult>;
}

export interface ReloadResult {
  switchedSealToken: boolean;
  /** Changed keys that were not applied (they take a restart). */
  needsRestart: string[];
}

export interface StartOptions {
  log?: Logger;
  chain?: StakeReader;
  k3s?: K3sService;
  runtime?: ContainerRuntime;
  /** systemd readiness/watchdog; default: from NOTIFY_SOCKET / WATCHDOG_USEC in the environment. */
  notifier?: Notifier;
  /** sha256 of the config file's text, reported by /health so a deploy can see what runs. */
  configSha256?: string;
  /** sha256 of the agent's own bundle file, reported by /health for the same reason. */
  bundleSha256?: string;
  /** Extra headers on every chain request (sui.headersFile): secrets, kept out of the log. */
  rpcHeaders?: Readonly<Record<string, string>>;
  /** Headers per sui.confirmSources entry (its headersFile), in order: secrets too. */
  confirmHeaders?: ReadonlyArray<Readonly<Record<string, string>> | undefined>;
  /** Inject the confirm sources' readers (tests); default: src/sui on each confirm rpcUrl. */
  confirmSources?: readonly ConfirmSource[];
}

/** Every spelling of a seal token id goes to the log guard: as configured, and as the chain returns it. */
function guardSealTokenId(log: Logger, id: string): void {
  for (const spelling of [id, normalizeObjectId(id)]) {
    log.addSecret(spelling);
    log.addSecret(spelling.replace(/^0x/, "").replace(/^0+/, ""));
  }
}

export async function startAgent(cfg: AgentConfig, opts: StartOptions = {}): Promise<RunningAgent> {
  const log = opts.log ?? createLogger(cfg.logLevel);
  // Register secrets with the log guard before anything can log them.
  guardSealTokenId(log, cfg.sealTokenId);
  for (const headers of [opts.rpcHeaders, ...(opts.confirmHeaders ?? [])]) for (const value of Object.values(headers ?? {})) log.addSecret(value);
  const identity = loadOrCreateIdentity(cfg.paths.workerKey);
  if (identity.created) log.info("generated a new worker key", { publicKey: identity.publicKey });

  const chain = opts.chain ?? createSuiStakeReader(cfg.sui.rpcUrl, { packageId: cfg.sui.packageId,
    transport: cfg.sui.transport, clientName: `k3s-daas-agent/${cfg.nodeId}`, headers: opts.rpcHeaders, caCertificates: cfg.sui.caCertificates,
  });
  const confirmSources = opts.confirmSources ?? cfg.sui.confirmSources.map((c, i): ConfirmSource => ({
    name: new URL(c.rpcUrl).origin,
    reader: createSuiStakeReader(c.rpcUrl, { packageId: cfg.sui.packageId, transport: cfg.sui.transport, clientName: `k3s-daas-agent/${cfg.nodeId}`,
      headers: opts.confirmHeaders?.[i], caCertificates: cfg.sui.caCertificates }),
  }));
  const k3s = opts.k3s ?? createK3sService(cfg.k3s, log);
  const runtime = opts.runtime ?? createRuntime(cfg.containerRuntime);
  const node = cfg.k3s.nodeReadyCheck
    ? new NodeChecker({
      nodeName: cfg.k3s.nodeName ?? cfg.nodeId, kubeconfig: cfg.k3s.kubeconfig,
      kubeletHealthzUrl: cfg.k3s.kubeletHealthzUrl, timeoutMs: cfg.k3s.nodeCheckTimeoutMs,
    })
    : undefined;
  const telemetry = new Telemetry({
    resources: new ResourceSampler(cfg.paths.diskPath), runtime, k3s, node, log,
    intervalMs: cfg.telemetry.sampleIntervalMs, jitter: cfg.telemetry.jitter,
  });
  const agent = new Agent({ cfg, log, chain, identity, k3s, runtime, telemetry, stopIsLeaving, confirmSources });
  agent.status.configSha256 = opts.configSha256 ?? null;
  agent.status.bundleSha256 = opts.bundleSha256 ?? null;
  const operatorAuth = new OperatorAuth({ nodeId: cfg.nodeId, keys: cfg.api.operatorKeys });
  if (cfg.api.operatorKeys.length === 0) log.warn("no operator key configured (api.operatorKeys): POST /api/v1/register and /api/v1/unstake refuse every request");
  const metrics = createAgentMetrics({ nodeId: cfg.nodeId, nodeReadyCheck: cfg.k3s.nodeReadyCheck, agent, telemetry });
  const server = createApiServer({ agent, cfg, log, telemetry, operatorAuth, metrics });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.api.port, cfg.api.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  log.info("agent API listening", { host: addr.address, port: addr.port, version: AGENT_VERSION, nodeId: cfg.nodeId });
  const notifier = opts.notifier ?? createNotifier({ env: process.env, log });
  await notifier.ready();
  telemetry.start();
  agent.start();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const bound = new Promise<void>((r) => setTimeout(r, cfg.shutdownTimeoutMs).unref());
      await notifier.stopping();
      await Promise.race([Promise.all([agent.shutdown(), telemetry.stop()]), bound]);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      log.info("agent stopped");
    })());
  // One reload at a time: a second SIGHUP waits for the first to settle.
  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (next: AgentConfig, configSha256: string) => {
    const run = reloading.then(async (): Promise<ReloadResult> => {
      const plan = planReload(cfg, next);
      if (plan.needsRestart.length) {
        // A restart comes with such a change (the deploy's agent-service step): the token too
        // is left for it, since it may belong to a changed stake.
        log.warn("config reloaded: these changes take a restart and are not applied", { keys: plan.needsRestart });
        return { switchedSealToken: false, needsRestart: plan.needsRestart };
      }
      if (plan.sealTokenId) {
        guardSealTokenId(log, plan.sealTokenId);
        await agent.switchSealToken(plan.sealTokenId);
      } else log.info("config reloaded: the seal token is unchanged");
      agent.status.configSha256 = configSha256;
      return { switchedSealToken: plan.sealTokenId !== null, needsRestart: plan.needsRestart };
    });
    reloading = run.catch(() => {});
    return run;
  };
  return { agent, server, host: addr.address, port: addr.port, k3s, log, stop, reload };
}
