// The stack outputs a fleet's program exports (src/index.ts; README "Stack outputs"): what an
// operator watches, derived from a WorkerFleet.
import type * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { fileSdTargets, type FileSdGroup } from "./scrape-targets";
import type { FleetMoney } from "./fleet-money";
import type { WorkerFleet, WorkerSummary } from "./worker-fleet";

export interface WorkerOutput {
  readonly endpoint: string;
  readonly stakeId: string;
  readonly stakeStatus: string;
  readonly sealTokenId: string;
  readonly sealStatus: string;
}

export interface FleetOutputs {
  /** Per worker: monitoring endpoint, stake object and status, seal token and status. */
  readonly workers: pulumi.Output<Record<string, WorkerOutput>>;
  /** The agents as Prometheus file_sd targets (`pulumi stack output prometheusTargets --json > targets.json`). */
  readonly prometheusTargets: pulumi.Output<FileSdGroup[]>;
  readonly totalStakedMist: pulumi.Output<string>;
  readonly workersByStatus: pulumi.Output<Record<string, number>>;
  /** What each worker has cost (gas) and holds (staked, withdrawn, slashed), and the totals, from the chain. */
  readonly money: pulumi.Output<FleetMoney | undefined>;
  /** The alert rules shipped with the package and the scrape job name they assume (README "Monitoring"). */
  readonly monitoring: { readonly alertRulesFile: string; readonly scrapeJob: string };
}

export function fleetOutputs(fleet: WorkerFleet): FleetOutputs {
  return {
    workers: fleet.summaries.apply((ws) =>
      Object.fromEntries(ws.map((w: WorkerSummary) => [w.name, { endpoint: w.endpoint, stakeId: w.stakeId, stakeStatus: w.stakeStatus, sealTokenId: w.sealTokenId, sealStatus: w.sealStatus }])),
    ),
    prometheusTargets: fleet.summaries.apply((ws) => fileSdTargets(ws.map((w: WorkerSummary) => ({ name: w.name, endpoint: w.endpoint })))),
    totalStakedMist: fleet.totalStakedMist,
    workersByStatus: fleet.countByStatus,
    money: fleet.money,
    monitoring: { alertRulesFile: join(__dirname, "..", "..", "monitoring", "alerts", "k3s-daas.rules.yml"), scrapeJob: "k3s-daas-agent" },
  };
}
