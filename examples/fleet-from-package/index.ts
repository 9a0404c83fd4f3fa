// A Pulumi program of its own (its hosts, its naming, its config), with a staked K3s-DaaS worker
// fleet added from the k3s-daas-fleet package. Its hosts come from its own config: one worker per
// address, named edge-1, edge-2, ... The fleet's settings take the same shape as the
// k3s-daas-fleet stack config (README "Configuration"); secrets stay secrets.
import * as pulumi from "@pulumi/pulumi";
import { WorkerFleet, fleetOutputs, type WorkerFleetArgs } from "k3s-daas-fleet";

const config = new pulumi.Config();
const addresses = config.requireObject<string[]>("hostAddresses");

const fleet = new WorkerFleet("edge", {
  network: config.requireObject<WorkerFleetArgs["network"]>("network"),
  rpcCaCertificates: config.get("rpcCaCertificates"),
  walletKey: config.requireSecret("walletKey"),
  sshPrivateKey: config.requireSecret("sshPrivateKey"),
  stakePerNodeSui: config.get("stakePerNodeSui") ?? "1",
  k3s: config.requireObject<WorkerFleetArgs["k3s"]>("k3s"),
  k3sToken: config.requireSecret("k3sToken"),
  controlPlanePublicKey: config.get("controlPlanePublicKey"),
  aptSource: config.get("aptSource"),
  heartbeatIntervalMs: config.getNumber("heartbeatIntervalMs"),
  hosts: addresses.map((address, i) => ({ name: `edge-${i + 1}`, address })),
});

export const { workers, totalStakedMist, workersByStatus, prometheusTargets } = fleetOutputs(fleet);
