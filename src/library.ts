// The npm package's entry: `import { WorkerFleet, fleetOutputs } from "k3s-daas-fleet"` in a
// Pulumi program of your own (README "Use it from your own program"). The components, the
// settings model they take, and reading it from a stack's config; the chain helpers are
// `k3s-daas-fleet/sui`. Nothing else of the package is public.
export {
  WorkerFleet, StakedWorker, fleetOutputs, Stake, SealToken,
  type WorkerFleetArgs, type StakedWorkerArgs, type FleetHost, type WorkerSummary, type FleetOutputs, type WorkerOutput,
  type StakeArgs, type SealTokenArgs, type ChainArgs,
} from "./components";
export {
  fleetSettingsSchema, workerSettingsSchema, networkSchema, k3sSchema, hostSchema, argumentProblems, parseArgs,
  suiToMist, k3sDownloadUrl, rolloutTimeout, DEFAULT_K3S_VERSION, NODE_VERSION, RESERVED_PORTS, MAX_CONFIRM_SOURCES,
  type FleetSettings, type WorkerSettings, type DeepReadonly,
} from "./settings";
export { readFleetConfig, PROJECT } from "./config";
export type { FleetMoney } from "./components/fleet-money";
export type { FileSdGroup } from "./components/scrape-targets";
