export { WorkerFleet, validateWorkerFleetArgs, type WorkerFleetArgs, type FleetHost, type WorkerSummary } from "./worker-fleet";
export { StakedWorker, validateStakedWorkerArgs, type StakedWorkerArgs, type HostConnection, type NetworkSettings } from "./staked-worker";
export { Stake, type StakeArgs, type ChainArgs } from "./stake";
export { SealToken, type SealTokenArgs } from "./seal-token";
export { HostState, type HostStateArgs, type SshTargetArgs } from "./host-state";
export { RolloutGate, type RolloutGateArgs } from "./rollout-gate";
export { NodePassword, type NodePasswordArgs } from "./node-password";
