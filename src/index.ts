// The program: what a program of your own writes to run a staked worker fleet (README "Use it
// from your own program"): read the settings, build the fleet, export what an operator watches.
import * as pulumi from "@pulumi/pulumi";
import { readFleetConfig } from "./config";
import { WorkerFleet, fleetOutputs } from "./components";

const fleet = new WorkerFleet("fleet", readFleetConfig(pulumi.runtime.allConfig()));

export const { workers, prometheusTargets, totalStakedMist, workersByStatus, money, monitoring } = fleetOutputs(fleet);
