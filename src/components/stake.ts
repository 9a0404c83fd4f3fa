import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider, type ProviderArgs } from "./provider-runtime";
import type { chainInputsShape } from "./runtime/chain-inputs";
import type { stakeInputsSchema } from "./runtime/stake";

/** Where a chain resource's transactions go, and who signs them. */
export interface ChainArgs extends Omit<ProviderArgs<typeof chainInputsShape>, "adminCapId" | "rpcHeaders"> {
  // Left out: adminCapId, which no component passes (the runtime stands "0x0" in for it).
  // rpcHeaders is explicit: the runtime's schema takes any record (Record<string, unknown>) so that
  // it names each bad header itself; a component's caller gives the header values as strings.
  /**
   * Extra request headers for every call to `rpcUrl`, e.g. a provider's API key
   * (`{ "x-api-key": "..." }`). Kept in the state as a secret; a change is an in-place update.
   * Default: none.
   */
  readonly rpcHeaders?: pulumi.Input<Record<string, string>>;
}

/** The secret chain inputs of a stake or seal token, and the outputs to keep secret with them. */
export function secretChainInputs(args: ChainArgs): { inputs: Record<string, pulumi.Input<unknown>>; secretOutputs: string[] } {
  const inputs: Record<string, pulumi.Input<unknown>> = { walletKey: pulumi.secret(args.walletKey) };
  if (args.rpcHeaders === undefined) return { inputs, secretOutputs: ["walletKey"] };
  return { inputs: { ...inputs, rpcHeaders: pulumi.secret(args.rpcHeaders) }, secretOutputs: ["walletKey", "rpcHeaders"] };
}

/** Inputs of a {@link Stake}. */
export interface StakeArgs extends ChainArgs, Omit<ProviderArgs<typeof stakeInputsSchema>, keyof typeof chainInputsShape> {}

/**
 * SUI staked for one node from the operator's wallet. Create adopts a live stake this wallet
 * already holds for the node (a crashed `up`); refresh reads status and amount from chain (a
 * slash shows as drift); delete withdraws back to the wallet through the pool's cool-down: once
 * the lock has passed the whole stake is requested out, and claimed once the cool-down has passed
 * (until then delete fails naming the epoch to run it again; the stake stays slashable).
 * A new `amountMist` updates the same stake in place: a top-up, or a partial withdrawal through
 * the same cool-down once the lock has passed (inside it, the update fails naming the epoch and
 * changes nothing). A new wallet (allowWalletMigration) moves the record to it in place. A new
 * node id, pool or package is a new stake, created before the old one is withdrawn.
 */
export class Stake extends pulumi.dynamic.Resource {
  declare readonly stakeId: pulumi.Output<string>;
  declare readonly status: pulumi.Output<"active" | "slashed" | "leaving" | "withdrawn">;
  declare readonly stakedMist: pulumi.Output<string>;
  declare readonly staker: pulumi.Output<string>;
  declare readonly lockedUntilEpoch: pulumi.Output<string>;
  /** MIST requested out and cooling down ("0": none), claimable from `claimableAtEpoch`. */
  declare readonly withdrawalRequestedMist: pulumi.Output<string | undefined>;
  declare readonly claimableAtEpoch: pulumi.Output<string | undefined>;
  declare readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: StakeArgs, opts?: pulumi.CustomResourceOptions) {
    const secrets = secretChainInputs(args);
    super(
      forwardingProvider("stakeProvider"),
      name,
      {
        transport: "grpc",
        ...args,
        ...secrets.inputs,
        stakeId: undefined,
        status: undefined,
        stakedMist: undefined,
        staker: undefined,
        lockedUntilEpoch: undefined,
        withdrawalRequestedMist: undefined,
        claimableAtEpoch: undefined,
        adopted: undefined,
      },
      { ...opts, additionalSecretOutputs: secrets.secretOutputs },
      "k3s-daas", "Stake",
    );
  }
}
