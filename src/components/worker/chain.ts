// The chain steps: the worker's stake (needs nothing from the host, so it runs while the host is
// prepared) and its seal token, minted for the worker key made on the host.
import * as pulumi from "@pulumi/pulumi";
import { suiToMist } from "../../settings";
import { SealToken } from "../seal-token";
import { Stake, type ChainArgs } from "../stake";
import type { Worker } from "./context";

/** Where the chain resources' transactions go, and who signs them (secrets kept secret). */
export function chainArgs({ s }: Worker): ChainArgs {
  return {
    rpcUrl: s.network.rpcUrl,
    transport: s.network.transport,
    packageId: s.network.packageId,
    poolId: s.network.poolId,
    registryId: s.network.registryId,
    walletKey: pulumi.secret(s.walletKey),
    ...(s.rpcHeaders && Object.keys(s.rpcHeaders).length ? { rpcHeaders: pulumi.secret({ ...s.rpcHeaders }) } : {}),
    ...(s.rpcCaCertificates ? { rpcCaCertificates: s.rpcCaCertificates } : {}),
  };
}

/** The stake. A wallet migration takes the worker's rollout slot. */
export function stakeOnChain(w: Worker): Stake {
  const { s } = w;
  return new Stake(
    `${w.name}-stake`,
    {
      ...chainArgs(w), nodeId: w.nodeId, amountMist: suiToMist(s.stakePerNodeSui).toString(),
      ...(s.allowWalletMigration ? { allowWalletMigration: true, rolloutFleet: w.rolloutFleet, maxUnavailable: s.maxUnavailable, rolloutTimeoutSeconds: w.rolloutTimeoutSeconds } : {}),
    },
    w.child,
  );
}

/** The seal token, minted from the stake for the worker's public key. */
export function sealTokenFor(w: Worker, stake: Stake, workerPubkey: pulumi.Output<string>): SealToken {
  return new SealToken(
    `${w.name}-seal-token`,
    { ...chainArgs(w), nodeId: w.nodeId, stakeId: stake.stakeId, workerPubkey, renewBeforeEpochs: w.s.sealTokenRenewEpochs },
    w.child,
  );
}
