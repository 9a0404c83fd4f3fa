import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider, type ProviderArgs } from "./provider-runtime";
import type { SshTargetArgs } from "./host-state";
import type { nodeRuntimeInputsSchema } from "./runtime/node-runtime";

// The tarball helpers run in the provider process (runtime/); scripts use them from here too.
export { ensureNodeTarball, nodeCacheDir, nodePlatformPackage, pinnedNodeVersion } from "./runtime/node-tarball";

/** Inputs of a {@link NodeRuntime}. */
export interface NodeRuntimeArgs extends SshTargetArgs, Omit<ProviderArgs<typeof nodeRuntimeInputsSchema>, keyof SshTargetArgs> {}

/**
 * Node for the host's own architecture, found out on the host at `up` and installed over SSH
 * (see runtime/node-runtime.ts): no upload whose source is unknown at preview.
 */
export class NodeRuntime extends pulumi.dynamic.Resource {
  declare readonly arch: pulumi.Output<string>;
  declare readonly installedVersion: pulumi.Output<string>;

  constructor(name: string, args: NodeRuntimeArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("nodeRuntimeProvider"),
      name,
      { ...args, privateKey: pulumi.secret(args.privateKey), arch: undefined, installedVersion: undefined },
      { ...opts, additionalSecretOutputs: ["privateKey"] },
      "k3s-daas",
      "NodeRuntime",
    );
  }
}
