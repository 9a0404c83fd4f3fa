import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider, type ProviderArgs } from "./provider-runtime";
import type { chainInputsShape } from "./runtime/chain-inputs";
import type { sealInputsSchema } from "./runtime/seal-token";
import { secretChainInputs, type ChainArgs } from "./stake";

/** Inputs of a {@link SealToken}. The token is owned by the wallet of `walletKey`. */
export interface SealTokenArgs extends ChainArgs, Omit<ProviderArgs<typeof sealInputsSchema>, keyof typeof chainInputsShape> {}

/**
 * The seal token a worker presents to the control plane, minted from its stake for the worker's
 * own key. Refresh drops a revoked token and marks one due for renewal or expired; a due token
 * is replaced create-before-delete; delete revokes it.
 */
export class SealToken extends pulumi.dynamic.Resource {
  declare readonly sealTokenId: pulumi.Output<string>;
  declare readonly expiresAtEpoch: pulumi.Output<string>;
  /** "active", "renewal-due" (the next `up` renews it) or "expired". */
  declare readonly sealStatus: pulumi.Output<"active" | "renewal-due" | "expired">;

  constructor(name: string, args: SealTokenArgs, opts?: pulumi.CustomResourceOptions) {
    const secrets = secretChainInputs(args);
    super(
      forwardingProvider("sealTokenProvider"),
      name,
      { transport: "grpc", ...args, ...secrets.inputs, sealTokenId: undefined, expiresAtEpoch: undefined, sealStatus: undefined },
      { ...opts, additionalSecretOutputs: secrets.secretOutputs },
      "k3s-daas", "SealToken",
    );
  }
}
