import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider, type ProviderArgs } from "./provider-runtime";
import type { SshTargetArgs } from "./host-state";
import type { nodePasswordInputsSchema } from "./runtime/node-password";

/** Inputs of a {@link NodePassword}. */
export interface NodePasswordArgs extends SshTargetArgs, Omit<ProviderArgs<typeof nodePasswordInputsSchema>, keyof SshTargetArgs> {}

/**
 * The worker's k3s node password (see runtime/node-password.ts): adopted from its first host or
 * made once, kept in the state as a secret, and written to /etc/rancher/node/password on every
 * host the worker runs on before k3s starts there, so a moved worker rejoins under its name.
 */
export class NodePassword extends pulumi.dynamic.Resource {
  declare readonly origin: pulumi.Output<"adopted" | "generated">;
  declare readonly onHost: pulumi.Output<boolean>;

  constructor(name: string, args: NodePasswordArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("nodePasswordProvider"),
      name,
      { ...args, privateKey: pulumi.secret(args.privateKey), password: undefined, origin: undefined, onHost: undefined },
      { ...opts, additionalSecretOutputs: ["privateKey", "password"] },
      "k3s-daas",
      "NodePassword",
    );
  }
}
