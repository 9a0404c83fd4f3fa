// The program: validate the stack config, build the fleet, export what an operator watches.
import * as pulumi from "@pulumi/pulumi";
import { readFleetConfig, k3sBinUrl, suiToMist, type FleetConfig } from "./config";
import { WorkerFleet, type WorkerSummary } from "./components";
import { assertCommandPluginInstalled } from "./preflight";
import { ensureBundles } from "./components/bundles";
import { fileSdTargets } from "./components/scrape-targets";
import { join } from "node:path";

let cfg: FleetConfig;
try {
  assertCommandPluginInstalled(require("@pulumi/command/package.json").pulumi.version as string);
  cfg = readFleetConfig(pulumi.runtime.allConfig());
  const rebuilt = ensureBundles(join(__dirname, ".."));
  if (rebuilt.length) pulumi.log.info(`rebuilt the ${rebuilt.join(" and ")} bundle${rebuilt.length > 1 ? "s" : ""} from changed sources`);
} catch (err) {
  // RunError: the message alone, no stack trace.
  throw new pulumi.RunError((err as Error).message);
}

const fleet = new WorkerFleet("fleet", {
  hosts: cfg.hosts.map((h) => ({ ...h, privateKey: pulumi.secret(cfg.sshPrivateKey) })),
  network: { ...cfg.network, rpcHeaders: cfg.rpcHeaders, agentRpcHeaders: cfg.agentRpcHeaders, rpcCaCertificates: cfg.rpcCaCertificates },
  walletKey: pulumi.secret(cfg.walletKey),
  stakeMist: suiToMist(cfg.stakePerNodeSui),
  k3sServerUrl: cfg.k3s.serverUrl,
  k3sToken: pulumi.secret(cfg.k3sToken),
  k3sBinUrl: k3sBinUrl(cfg),
  k3sBinSha256: cfg.k3s.binSha256,
  k3sVersion: cfg.k3s.version,
  k3sExtraArgs: cfg.k3s.extraArgs,
  k3sPauseImage: cfg.k3s.pauseImage,
  k3sImages: cfg.k3s.images,
  k3sRegistries: cfg.k3s.registries,
  k3sManageContainerdConfig: cfg.k3s.manageContainerdConfig,
  nodeVersion: cfg.nodeVersion,
  containerRuntime: cfg.containerRuntime,
  aptSource: cfg.aptSource,
  agentPort: cfg.agentPort,
  controlPlaneEndpoint: cfg.controlPlaneEndpoint,
  controlPlanePublicKey: cfg.controlPlanePublicKey,
  heartbeatIntervalMs: cfg.heartbeatIntervalMs,
  agentOperatorKeys: cfg.operatorKeys,
  allowUnreachableHost: cfg.allowUnreachableHost,
  removeContainerRuntime: cfg.removeContainerRuntime,
  healthTimeoutSeconds: cfg.healthTimeoutSeconds,
  parallelism: cfg.parallelism,
  maxUnavailable: cfg.maxUnavailable,
  rolloutTimeoutSeconds: cfg.rolloutTimeoutSeconds,
  allowWalletMigration: cfg.allowWalletMigration,
  sealTokenRenewEpochs: cfg.sealTokenRenewEpochs,
});

/** Per worker: monitoring endpoint, stake object and status, seal token and status. */
export const workers = fleet.summaries.apply((ws) =>
  Object.fromEntries(ws.map((w: WorkerSummary) => [w.name, { endpoint: w.endpoint, stakeId: w.stakeId, stakeStatus: w.stakeStatus, sealTokenId: w.sealTokenId, sealStatus: w.sealStatus }])),
);
/** The agents as Prometheus file_sd targets (`pulumi stack output prometheusTargets --json > targets.json`). */
export const prometheusTargets = fleet.summaries.apply((ws) => fileSdTargets(ws.map((w: WorkerSummary) => ({ name: w.name, endpoint: w.endpoint }))));
export const totalStakedMist = fleet.totalStakedMist;
export const workersByStatus = fleet.countByStatus;
/** What each worker has cost (gas) and holds (staked, withdrawn, slashed), and the totals, from the chain. */
export const money = fleet.money;
/** The alert rules shipped with the product and the scrape job name they assume (README "Monitoring"). */
export const monitoring = { alertRulesFile: join(__dirname, "..", "monitoring", "alerts", "k3s-daas.rules.yml"), scrapeJob: "k3s-daas-agent" };
