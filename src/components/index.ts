export { WorkerFleet, type WorkerFleetArgs, type FleetHost, type WorkerSummary } from "./worker-fleet";
export { StakedWorker, type StakedWorkerArgs } from "./staked-worker";
export { fleetOutputs, type FleetOutputs, type WorkerOutput } from "./fleet-outputs";
export { Stake, type StakeArgs, type ChainArgs } from "./stake";
export { SealToken, type SealTokenArgs } from "./seal-token";
export { HostState, type HostStateArgs, type SshTargetArgs } from "./host-state";
export { RolloutGate, type RolloutGateArgs } from "./rollout-gate";
export { NodePassword, type NodePasswordArgs } from "./node-password";
