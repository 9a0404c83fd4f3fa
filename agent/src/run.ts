// Wire the agent together and serve its API. Used by main.ts and by tests (which may inject a
// chain reader, a logger sink or a k3s service).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "./agent";
import { loadOrCreateApiToken } from "./api-token";
import { createApiServer } from "./api/server";
import { normalizeObjectId, type StakeReader } from "./chain";
import { createSuiStakeReader } from "./chain-sui";
import type { AgentConfig } from "./config";
import { loadOrCreateIdentity } from "./identity";
import { createK3sService, type K3sService } from "./k3s-service";
import { createLogger, type Logger } from "./log";
import { ResourceSampler } from "./resources";
import { createRuntime, type ContainerRuntime } from "./runtime";
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
}

export interface StartOptions {
  log?: Logger;
  chain?: StakeReader;
  k3s?: K3sService;
  runtime?: ContainerRuntime;
}

export async function startAgent(cfg: AgentConfig, opts: StartOptions = {}): Promise<RunningAgent> {
  const log = opts.log ?? createLogger(cfg.logLevel);
  // Register secrets with the log guard before anything can log them.
  // Every spelling of the seal token id: as configured, and normalized as the chain returns it.
  for (const id of [cfg.sealTokenId, normalizeObjectId(cfg.sealTokenId)]) {
    log.addSecret(id);
    log.addSecret(id.replace(/^0x/, "").replace(/^0+/, ""));
  }
  const identity = loadOrCreateIdentity(cfg.paths.workerKey);
  const apiToken = loadOrCreateApiToken(cfg.paths.apiToken);
  log.addSecret(apiToken);
  if (identity.created) log.info("generated a new worker key", { publicKey: identity.publicKey });

  const chain = opts.chain ?? createSuiStakeReader(cfg.sui.rpcUrl, { transport: cfg.sui.transport, clientName: `k3s-daas-agent/${cfg.nodeId}` });
  const k3s = opts.k3s ?? createK3sService(cfg.k3s, log);
  const runtime = opts.runtime ?? createRuntime(cfg.containerRuntime);
  const agent = new Agent({ cfg, log, chain, identity, k3s, runtime, resources: new ResourceSampler(cfg.paths.diskPath) });

  const server = createApiServer({ agent, cfg, log, apiToken });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.api.port, cfg.api.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  log.info("agent API listening", { host: addr.address, port: addr.port, version: AGENT_VERSION, nodeId: cfg.nodeId });
  agent.start();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const bound = new Promise<void>((r) => setTimeout(r, cfg.shutdownTimeoutMs).unref());
      await Promise.race([agent.shutdown(), bound]);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      log.info("agent stopped");
    })());
  return { agent, server, host: addr.address, port: addr.port, k3s, log, stop };
}
