import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider, type ProviderArgs } from "./provider-runtime";
import type { SshTargetArgs } from "./host-state";
import type { gateInputsSchema } from "./runtime/rollout";

/** Inputs of a {@link RolloutGate}. */
export interface RolloutGateArgs extends SshTargetArgs, Omit<ProviderArgs<typeof gateInputsSchema>, keyof SshTargetArgs> {}

/**
 * The rollout slot of one worker (see runtime/rollout.ts): on an update that changes what runs
 * on the host, it waits until fewer than `maxUnavailable` workers of the fleet are out of
 * service; the worker's HostState gives the slot back once the worker is healthy again (and
 * records the rollout's digest on the host: an `up` that failed half way takes a slot again). Its
 * diff in `pulumi preview` names what is rolled. First provisioning passes straight through.
 */
export class RolloutGate extends pulumi.dynamic.Resource {
  declare readonly lastRollout: pulumi.Output<string>;

  constructor(name: string, args: RolloutGateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("rolloutGateProvider"),
      name,
      { ...args, secretChanges: pulumi.secret(args.secretChanges), privateKey: pulumi.secret(args.privateKey), lastRollout: undefined },
      { ...opts, additionalSecretOutputs: ["secretChanges", "privateKey"] },
      "k3s-daas",
      "RolloutGate",
    );
  }
}
