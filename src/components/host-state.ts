import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider, type ProviderArgs } from "./provider-runtime";
import type { hostInputsSchema } from "./runtime/host-state";
import type { sshTargetShape } from "./runtime/ssh";

/** How a node-ssh resource (HostState, NodeRuntime) reaches its host. */
export interface SshTargetArgs extends ProviderArgs<typeof sshTargetShape> {}

/** Inputs of a {@link HostState}. */
export interface HostStateArgs extends SshTargetArgs, Omit<ProviderArgs<typeof hostInputsSchema>, keyof SshTargetArgs> {}

/**
 * What the agent on a host reports, read over SSH: create waits for registration, refresh shows
 * drift, delete runs the ordered host teardown (see runtime/host-state.ts).
 */
export class HostState extends pulumi.dynamic.Resource {
  declare readonly agentActive: pulumi.Output<boolean>;
  declare readonly registered: pulumi.Output<boolean>;
  declare readonly hostBundleSha256: pulumi.Output<string>;
  declare readonly health: pulumi.Output<string>;
  declare readonly k3sActive: pulumi.Output<boolean>;
  declare readonly hostK3sVersion: pulumi.Output<string>;
  declare readonly hostContainerdConfigSha256: pulumi.Output<string>;

  constructor(name: string, args: HostStateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("hostStateProvider"),
      name,
      { ...args, privateKey: pulumi.secret(args.privateKey), agentActive: undefined, registered: undefined, hostBundleSha256: undefined, health: undefined, k3sActive: undefined, hostK3sVersion: undefined, hostContainerdConfigSha256: undefined },
      { ...opts, additionalSecretOutputs: ["privateKey"] },
      "k3s-daas", "HostState",
    );
  }
}
