// The fleet's settings: one zod schema per concern, nested the way the stack config is nested,
// with every default and rule in one place. The stack config (src/config.ts) and the components'
// arguments (WorkerFleetArgs, StakedWorkerArgs) are this one model.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { agentShape } from "./agent";
import { hostSchema, hostsShape } from "./hosts";
import { k3sShape } from "./k3s";
import { networkShape } from "./network";
import { rolloutShape } from "./rollout";
import { teardownShape } from "./teardown";
import { walletShape } from "./wallet";
import type { DeepReadonly } from "./fields";

export { hostSchema } from "./hosts";
export { networkSchema, MAX_CONFIRM_SOURCES } from "./network";
export { k3sSchema, k3sDownloadUrl, DEFAULT_K3S_VERSION } from "./k3s";
export { NODE_VERSION, RESERVED_PORTS } from "./agent";
export { rolloutTimeout } from "./rollout";
export { suiToMist } from "./wallet";
export type { DeepReadonly } from "./fields";

const { hosts: _hosts, ...hostAccess } = hostsShape;
const { parallelism: _parallelism, ...workerRollout } = rolloutShape;

/** Rules between concerns. */
function crossRules(s: { containerRuntime: string; k3s: { registries?: unknown; binUrl?: string; binSha256?: string } }, ctx: z.RefinementCtx): void {
  // k3s's --docker runs cri-dockerd on docker's own image store: containerd hosts.toml files
  // would not be read (docker's own registry-mirrors setting is the place).
  if (s.containerRuntime === "docker" && s.k3s.registries) {
    ctx.addIssue({ code: "custom", path: ["k3s", "registries"], message: "applies to containerd only; with containerRuntime docker set docker's registry mirrors on the hosts instead" });
  }
  // Over plain http anyone on the path can swap the binary every host runs as root.
  if (s.k3s.binUrl?.startsWith("http://") && !s.k3s.binSha256) {
    ctx.addIssue({ code: "custom", path: ["k3s", "binSha256"], message: "is required when k3s.binUrl is plain http (the binary's sha256, `sha256sum k3s`): without it anyone on the path could replace the k3s every host runs as root" });
  }
}

/** A fleet: the stack config's keys, each concern's schema, the rules between them. */
export const fleetSettingsSchema = z
  .object({ ...networkShape, ...walletShape, ...hostsShape, ...k3sShape, ...agentShape, ...rolloutShape, ...teardownShape })
  .strict()
  .superRefine(crossRules);

/** One worker: the fleet's settings for one host, and the fleet whose rollout slots it shares. */
export const workerSettingsSchema = z
  .object({
    ...networkShape, ...walletShape, ...hostAccess, ...k3sShape, ...agentShape, ...workerRollout, ...teardownShape,
    /** The worker's host. */
    host: hostSchema,
    /** The fleet whose rollout slots the worker shares (WorkerFleet sets its own name). @default the worker's node id */
    rolloutFleet: z.string().min(1).optional(),
  })
  .strict()
  .superRefine(crossRules);

/** Arguments of a WorkerFleet: the stack config's shape (README "Use it from your own program"). */
export interface WorkerFleetArgs extends DeepReadonly<z.input<typeof fleetSettingsSchema>> {}
/** A fleet's settings with every default filled in. */
export type FleetSettings = z.output<typeof fleetSettingsSchema>;
/** Arguments of a StakedWorker: a fleet's settings for one host. */
export interface StakedWorkerArgs extends DeepReadonly<z.input<typeof workerSettingsSchema>> {}
/** A worker's settings with every default filled in. */
export type WorkerSettings = z.output<typeof workerSettingsSchema>;
/** One host of the fleet. */
export type FleetHost = DeepReadonly<z.input<typeof hostSchema>>;

/** zod's message for an issue, rebuilt so that it never contains the value it received. */
export function safeMessage(i: z.ZodIssue): string {
  switch (i.code) {
    case "invalid_enum_value":
      return `must be one of ${i.options.map((o) => JSON.stringify(o)).join(", ")}`;
    case "invalid_literal":
      return `must be ${JSON.stringify(i.expected)}`;
    case "invalid_type":
      if (i.expected === "integer") return "must be a whole number";
      return `must be ${i.expected === "array" ? "a list" : `${/^[aeiou]/.test(i.expected) ? "an" : "a"} ${i.expected}`}`;
    case "too_small":
    case "too_big": {
      // zod's own wording ("Number must be greater than or equal to 1") reads badly after a path;
      // a refinement's message is kept.
      if (!/^(Number|String|Array|Set|BigInt) must /.test(i.message)) return i.message;
      const bound = Number(i.code === "too_small" ? i.minimum : i.maximum);
      const exclusive = !i.inclusive;
      const word = i.code === "too_small" ? (exclusive ? "more than" : "at least") : (exclusive ? "less than" : "at most");
      if (i.type === "array" || i.type === "set") return `must list ${word} ${bound} item${bound === 1 ? "" : "s"}`;
      if (i.type === "string") return i.code === "too_small" && bound === 1 ? "must not be empty" : `must be ${word} ${bound} characters long`;
      return `must be ${word} ${bound}`;
    }
    default:
      // Every other zod message (string, number, custom refinements) names limits, not values.
      return i.message;
  }
}

/** "k3s.extraArgs[0]" */
function argPath(path: ReadonlyArray<string | number>): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
}

/** One line per issue, naming the argument and never quoting a value. */
export function argumentProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    if (i.code === "unrecognized_keys") return `unknown argument${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => argPath([...i.path, k])).join(", ")}`;
    if (i.code === "invalid_type" && i.received === "undefined") return `${argPath(i.path)} is required`;
    return `${argPath(i.path)} ${safeMessage(i)}`;
  });
}

/**
 * Parses a component's arguments, or throws one error naming every bad one (`who`: "WorkerFleet
 * fleet"); a RunError, so Pulumi shows the message without a stack trace.
 */
export function parseArgs<S extends z.ZodTypeAny>(schema: S, args: unknown, who: string): z.output<S> {
  const parsed = schema.safeParse(args);
  if (!parsed.success) throw new pulumi.RunError(`${who}: ${argumentProblems(parsed.error).join("; ")}`);
  return parsed.data;
}
