import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider, type ProviderArgs } from "./provider-runtime";
import type { hostKeyInputsSchema } from "./runtime/host-key";

/** Inputs of a {@link HostKey}. */
export interface HostKeyArgs extends ProviderArgs<typeof hostKeyInputsSchema> {}

/**
 * The SSH host key every connection to a host pins (see runtime/host-key.ts): given in config,
 * or recorded by the first `up` (trust on first use: preview shows it being created), kept in the
 * state, and checked again by every preview and `up`. @pulumi/command steps get it as their
 * connection's `hostKey`, the node-ssh resources verify it themselves.
 */
export class HostKey extends pulumi.dynamic.Resource {
  /** "type base64" of the pinned key. */
  declare readonly hostKey: pulumi.Output<string>;
  /** "SHA256:..." as ssh-keygen -l prints it. */
  declare readonly fingerprint: pulumi.Output<string>;
  declare readonly trust: pulumi.Output<"config" | "first-use">;

  constructor(name: string, args: HostKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(forwardingProvider("hostKeyProvider"), name, { ...args, hostKey: undefined, fingerprint: undefined, trust: undefined }, opts, "k3s-daas", "HostKey");
  }
}
