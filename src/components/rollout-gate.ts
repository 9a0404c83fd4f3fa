import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider } from "./provider-runtime";
import type { SshTargetArgs } from "./host-state";

/** Inputs of a {@link RolloutGate}. */
export interface RolloutGateArgs extends SshTargetArgs {
  /** The fleet whose workers share the slots (the WorkerFleet's name). */
  readonly fleet: pulumi.Input<string>;
  readonly nodeId: pulumi.Input<string>;
  /** Workers of the fleet out of service at once during an `up`. */
  readonly maxUnavailable: pulumi.Input<number>;
  /** How long a worker waits for a slot before the `up` fails naming who holds them. */
  readonly timeoutSeconds: pulumi.Input<number>;
  /** What takes the worker out of service when it changes, by name (k3s, agentBundle, node...). */
  readonly changes: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Digest of the secret inputs that do the same (the k3s join token). */
  readonly secretChanges: pulumi.Input<string>;
  /** Digest of both, which the worker's HostState records on the host once it is healthy. */
  readonly digest: pulumi.Input<string>;
}

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
