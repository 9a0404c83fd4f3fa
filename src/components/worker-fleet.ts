import * as pulumi from "@pulumi/pulumi";
import { fleetSettingsSchema, parseArgs, type WorkerFleetArgs } from "../settings";
import { createSuiClient, keypairFromSecret, readSlashes, readWalletLedger } from "../sui";
import { fleetMoney, type FleetMoney } from "./fleet-money";
import { StakedWorker } from "./staked-worker";

export type { WorkerFleetArgs, FleetHost } from "../settings";

export interface WorkerSummary {
  readonly name: string;
  readonly endpoint: string;
  readonly stakeId: string;
  readonly stakeStatus: string;
  readonly stakedMist: string;
  readonly sealTokenId: string;
  readonly sealStatus: string;
}

/**
 * A staked worker fleet: one {@link StakedWorker} per host, at most `parallelism` provisioning at
 * once (worker i waits for worker i - parallelism), with the fleet's totals as outputs.
 */
export class WorkerFleet extends pulumi.ComponentResource {
  readonly workers: Record<string, StakedWorker>;
  readonly summaries: pulumi.Output<WorkerSummary[]>;
  /** Sum of the stakes still staked, in MIST (decimal string). */
  readonly totalStakedMist: pulumi.Output<string>;
  /** Workers by stake status, e.g. { active: 3 }. */
  readonly countByStatus: pulumi.Output<Record<string, number>>;
  /**
   * What each worker has cost and holds, and the totals, read from the chain at the end of every
   * `up` (the wallet's transactions: gas from their effects, stake moved from their events).
   * Undefined in `preview`. The withdrawal of a worker removed by this `up` is counted by the next.
   * The history is what the RPC node serves: one that prunes old transactions gives partial sums.
   */
  readonly money: pulumi.Output<FleetMoney | undefined>;

  constructor(name: string, args: WorkerFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k3s-daas:index:WorkerFleet", name, {}, opts);
    const settings = parseArgs(fleetSettingsSchema, args, `WorkerFleet ${name}`);
    const { hosts, parallelism, ...shared } = settings;
    const ordered: StakedWorker[] = [];
    this.workers = {};
    for (const [i, host] of hosts.entries()) {
      const waitFor = i >= parallelism ? [ordered[i - parallelism]!] : [];
      const worker = new StakedWorker(host.name, { ...shared, host, rolloutFleet: name }, { parent: this, dependsOn: waitFor });
      ordered.push(worker);
      this.workers[host.name] = worker;
    }

    this.summaries = pulumi.all(
      ordered.map((w, i) =>
        pulumi.all([w.endpoint, w.stakeId, w.stakeStatus, w.stakedMist, w.sealTokenId, w.sealStatus]).apply(
          ([endpoint, stakeId, stakeStatus, stakedMist, sealTokenId, sealStatus]): WorkerSummary => ({
            name: hosts[i]!.name, endpoint, stakeId, stakeStatus, stakedMist, sealTokenId, sealStatus,
          }),
        ),
      ),
    );
    this.totalStakedMist = this.summaries.apply((ws) =>
      ws.filter((w) => w.stakeStatus === "active").reduce((sum, w) => sum + BigInt(w.stakedMist), 0n).toString(),
    );
    this.countByStatus = this.summaries.apply((ws) => {
      const counts: Record<string, number> = {};
      for (const w of ws) counts[w.stakeStatus] = (counts[w.stakeStatus] ?? 0) + 1;
      return counts;
    });
    const net = settings.network;
    // The figures are public (an address and amounts); the wallet key they come from is not.
    this.money = pulumi.unsecret(pulumi.all([this.summaries, settings.walletKey, settings.rpcHeaders ?? {}]).apply(async ([ws, key, headers]) => {
      if (pulumi.runtime.isDryRun()) return undefined;
      const client = createSuiClient(net.rpcUrl, {
        transport: net.transport, headers: Object.keys(headers).length ? headers : undefined,
        ...(settings.rpcCaCertificates ? { ca: settings.rpcCaCertificates } : {}),
      });
      try {
        const ledger = await readWalletLedger(client, net.packageId, keypairFromSecret(key).toSuiAddress());
        // Slashes are the admin's transactions: from the package's events where the node serves
        // them (ListEvents); else fleetMoney derives them from the wallet's own.
        const slashes = await readSlashes(client, net.packageId, ws.map((w) => w.stakeId)).catch(() => undefined);
        return fleetMoney(ledger, ws.map((w) => ({
          name: w.name, stakedMist: w.stakeStatus === "withdrawn" ? "0" : w.stakedMist, ...(slashes ? { slashedMist: slashes[w.stakeId] ?? 0n } : {}),
        })));
      } catch (err) {
        // The fleet is up; only its bookkeeping could not be read: say so, do not fail the up.
        pulumi.log.warn(`the fleet's money could not be read from the chain (the next up tries again): ${(err as Error).message}`, this);
        return undefined;
      }
    }));
    this.registerOutputs({ summaries: this.summaries, totalStakedMist: this.totalStakedMist, countByStatus: this.countByStatus, money: this.money });
  }
}
