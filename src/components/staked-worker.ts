// One worker host: its stake and seal token on chain, and over SSH Node 22, the container
// runtime, the k3s agent and our node agent, ending when the agent's /health says registered.
// Destroy runs in reverse: host teardown (agent deregisters, k3s uninstalled), seal token
// revoked, stake withdrawn. Each step lives in worker/.
import * as pulumi from "@pulumi/pulumi";
import { parseArgs, workerSettingsSchema, type StakedWorkerArgs } from "../settings";
import { packageAssets } from "./assets";
import { workerContext } from "./worker/context";
import { desiredState } from "./worker/desired";
import { sealTokenFor, stakeOnChain } from "./worker/chain";
import { pinHost, prepareHost } from "./worker/host";
import { planRollout } from "./worker/rollout";
import { installContainerRuntime, installNode } from "./worker/runtime";
import { installK3s } from "./worker/k3s";
import { agentIdentity, startAgent } from "./worker/agent";
import { waitHealthy } from "./worker/health";

export type { StakedWorkerArgs } from "../settings";
export { agentRpcHeaders } from "./worker/desired";

export class StakedWorker extends pulumi.ComponentResource {
  /** The agent's monitoring API, e.g. http://10.0.0.5:9443. */
  readonly endpoint: pulumi.Output<string>;
  readonly stakeId: pulumi.Output<string>;
  readonly stakeStatus: pulumi.Output<string>;
  readonly stakedMist: pulumi.Output<string>;
  readonly sealTokenId: pulumi.Output<string>;
  readonly sealStatus: pulumi.Output<string>;
  readonly workerPubkey: pulumi.Output<string>;
  readonly registered: pulumi.Output<boolean>;

  constructor(name: string, args: StakedWorkerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("k3s-daas:index:StakedWorker", name, {}, opts);
    const settings = parseArgs(workerSettingsSchema, args, `StakedWorker ${name}`);
    const w = workerContext(name, settings, packageAssets(), this);
    const want = desiredState(w);

    // Chain: the stake needs nothing from the host, so it runs while the host is prepared.
    const stake = stakeOnChain(w);
    // Host: its key pinned, then its directories.
    const host = pinHost(w);
    const probe = prepareHost(w, host, want.images.length > 0);
    // The rollout slot every step that takes a running worker out of service waits for.
    const { gate, digest, headersDigest } = planRollout(w, host, want);
    // Node, the agent bundle and the worker key made with it; the seal token for that key.
    const node = installNode(w, host, want, [probe, gate]);
    const identity = agentIdentity(w, host, probe, gate, node);
    const seal = sealTokenFor(w, stake, identity.workerPubkey);
    // The container runtime and k3s (installed, not started: the agent starts it).
    const runtime = installContainerRuntime(w, host, want, probe, gate);
    const k3s = installK3s(w, host, want, probe, gate, runtime, seal);
    // The agent's config, unit and service.
    const agent = startAgent(w, host, want, { probe, gate, node, identity, k3s, stake, seal, headersDigest });
    // Wait for registration; read drift; ordered teardown on destroy.
    const health = waitHealthy(w, host, want, agent.configSha, digest, [agent.service, seal, stake, gate]);

    this.endpoint = pulumi.output(`http://${settings.host.address}:${settings.agentPort}`);
    this.stakeId = stake.stakeId;
    this.stakeStatus = stake.status;
    this.stakedMist = stake.stakedMist;
    this.sealTokenId = seal.sealTokenId;
    this.sealStatus = seal.sealStatus;
    this.workerPubkey = identity.workerPubkey;
    this.registered = health.registered;
    this.registerOutputs({
      endpoint: this.endpoint,
      stakeId: this.stakeId,
      stakeStatus: this.stakeStatus,
      sealTokenId: this.sealTokenId,
      sealStatus: this.sealStatus,
      registered: this.registered,
    });
  }
}
