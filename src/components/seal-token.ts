import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider } from "./provider-runtime";
import { secretChainInputs, type ChainArgs } from "./stake";

/** Inputs of a {@link SealToken}. The token is owned by the wallet of `walletKey`. */
export interface SealTokenArgs extends ChainArgs {
  readonly nodeId: pulumi.Input<string>;
  /** The stake the token is minted from (must be active and the wallet's own). */
  readonly stakeId: pulumi.Input<string>;
  /** base64 of the worker's ed25519 public key, generated on the host. */
  readonly workerPubkey: pulumi.Input<string>;
  /**
   * Epochs before expiry at which the token is renewed (a new one minted and handed to the
   * agent, then the old one revoked) by the next `up`; `refresh` reports it as drift. Default 5
   * (tokens live 30 epochs).
   */
  readonly renewBeforeEpochs?: pulumi.Input<number>;
}

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
