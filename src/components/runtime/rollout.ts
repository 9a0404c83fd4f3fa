// Rollout slots: at most `maxUnavailable` workers of a fleet out of service at once during an
// `up`. The engine runs every dynamic resource of a stack in one provider process, so the slots
// live in that process (on globalThis, shared by every copy of this bundle the process loads).
// A worker's RolloutGate takes a slot before its disruptive steps run (k3s, agent bundle, Node,
// agent unit or config); its HostState gives the slot back once the worker is seen healthy again,
// or fails the rollout if it is not, and then every worker still waiting refuses to start, so the
// workers not yet reached are left untouched. First provisioning takes no slot: a worker that
// is not in service yet cannot be taken out of it.
import { z } from "zod";
import { checkInputs, nodeIdSchema } from "./chain-inputs";
import { sshTargetShape, withSsh } from "./ssh";

export { ROLLOUT_MARKER, ROLLOUT_FAILED_MARKER } from "./host-layout";
import { ROLLOUT_MARKER, ROLLOUT_FAILED_MARKER } from "./host-layout";
/** How often a worker holding its slot is looked at for a failed step. */
const FAILED_STEP_POLL_MS = 2_000;

interface Waiter {
  nodeId: string;
  grant: () => void;
  refuse: (err: Error) => void;
}

interface FleetSlots {
  holders: Map<string, number>;
  queue: Waiter[];
  failed?: { nodeId: string; message: string };
}

const KEY = Symbol.for("k3s-daas.rollout-slots");
type Registry = Map<string, FleetSlots>;
function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (g[KEY] ??= new Map());
}

function fleetSlots(fleet: string): FleetSlots {
  const r = registry();
  let f = r.get(fleet);
  if (!f) {
    f = { holders: new Map(), queue: [] };
    r.set(fleet, f);
  }
  return f;
}

function stoppedError(fleet: string, nodeId: string, failed: { nodeId: string; message: string }): Error {
  return new Error(
    `rollout of fleet ${fleet} stopped at worker ${failed.nodeId}, so ${nodeId} was left untouched: ${failed.message}`,
  );
}

/** Waits for a slot; refuses at once if the rollout has failed, or after `timeoutMs`. */
export function acquireSlot(fleet: string, nodeId: string, maxUnavailable: number, timeoutMs: number): Promise<void> {
  const f = fleetSlots(fleet);
  if (f.failed) return Promise.reject(stoppedError(fleet, nodeId, f.failed));
  if (f.holders.has(nodeId)) return Promise.resolve();
  if (f.holders.size < maxUnavailable && f.queue.length === 0) {
    f.holders.set(nodeId, Date.now());
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      f.queue = f.queue.filter((w) => w !== waiter);
      const busy = [...f.holders.keys()].join(", ");
      reject(
        new Error(
          `rollout of fleet ${fleet}: ${nodeId} waited ${Math.round(timeoutMs / 1000)} s for one of its ${maxUnavailable} slot(s); ` +
            `still out of service: ${busy} (a step of theirs may have failed; see above). ${nodeId} was left untouched.`,
        ),
      );
    }, timeoutMs);
    const waiter: Waiter = {
      nodeId,
      grant: () => {
        clearTimeout(timer);
        f.holders.set(nodeId, Date.now());
        resolve();
      },
      refuse: (err) => {
        clearTimeout(timer);
        reject(err);
      },
    };
    f.queue.push(waiter);
  }).finally(() => pump(fleet, maxUnavailable));
}

function pump(fleet: string, maxUnavailable: number): void {
  const f = fleetSlots(fleet);
  while (!f.failed && f.queue.length > 0 && f.holders.size < maxUnavailable) f.queue.shift()!.grant();
}

/** The worker is healthy again: its slot goes to the next one waiting. */
export function releaseSlot(fleet: string, nodeId: string, maxUnavailable: number): void {
  const f = fleetSlots(fleet);
  if (!f.holders.delete(nodeId)) return;
  pump(fleet, maxUnavailable);
}

/** The worker did not come back: stop the rollout; every worker still waiting refuses. */
export function failRollout(fleet: string, nodeId: string, message: string): void {
  const f = fleetSlots(fleet);
  f.holders.delete(nodeId);
  f.failed ??= { nodeId, message: message.split("\n")[0]! };
  for (const w of f.queue.splice(0)) w.refuse(stoppedError(fleet, w.nodeId, f.failed));
}

/** Whether `nodeId` holds a slot (it was rolled in this run). */
export function holdsSlot(fleet: string, nodeId: string): boolean {
  return fleetSlots(fleet).holders.has(nodeId);
}

/** Forget every fleet's slots, as a fresh provider process would. */
export function resetRollouts(): void {
  registry().clear();
}

export const gateInputsSchema = z
  .object({
    /** The fleet whose workers share the slots (the WorkerFleet's name). */
    fleet: z.string().min(1),
    nodeId: nodeIdSchema,
    /** Workers of the fleet out of service at once during an `up`. */
    maxUnavailable: z.number().int().min(1),
    /** How long a worker waits for a slot before the `up` fails naming who holds them. */
    timeoutSeconds: z.number().int().min(1),
    /** What takes the worker out of service when it changes, by name (k3s, agentBundle, node...; shown by preview). */
    changes: z.record(z.string(), z.string()),
    /** Digest of the secret inputs that do the same (the k3s join token); stored as a secret. */
    secretChanges: z.string(),
    /** Digest of both, which the worker's HostState records on the host once it is healthy. */
    digest: z.string(),
    ...sshTargetShape,
  })
  .strict();

export type RolloutGateInputs = z.infer<typeof gateInputsSchema>;

export interface RolloutGateOutputs extends RolloutGateInputs {
  /** What the last rollout of this worker changed (names of `changes`), or "provisioned". */
  lastRollout: string;
}

function changedNames(olds: RolloutGateInputs, news: RolloutGateInputs): string[] {
  const keys = new Set([...Object.keys(olds.changes ?? {}), ...Object.keys(news.changes)]);
  const names = [...keys].filter((k) => olds.changes?.[k] !== news.changes[k]).sort();
  if (olds.secretChanges !== news.secretChanges) names.push("k3sToken");
  return names;
}

/** Whether the host's last completed rollout is not this one (unknown counts as finished). */
async function unfinishedOnHost(p: RolloutGateInputs): Promise<boolean> {
  try {
    const r = await withSsh(p, 1, (run) => run(`cat ${ROLLOUT_MARKER} 2>/dev/null || true`));
    return r.stdout.trim() !== p.digest;
  } catch {
    // An unreachable host: its HostState says so; the gate only bounds what runs.
    return false;
  }
}

/**
 * While the worker holds its slot, look on the host every FAILED_STEP_POLL_MS for a step that
 * failed (the engine runs the steps in @pulumi/command's process, so a failure is not seen here
 * otherwise). One found ends the rollout: every worker waiting for a slot fails at once naming
 * it, untouched, instead of waiting out rolloutTimeoutSeconds. It stops when the slot is given
 * back (HostState saw the worker healthy) or the rollout already failed. Timers are unref'd: the
 * provider process never waits for them.
 */
function watchForFailedStep(p: RolloutGateInputs): void {
  const tick = async (): Promise<void> => {
    const f = fleetSlots(p.fleet);
    if (!f.holders.has(p.nodeId) || f.failed) return;
    try {
      const r = await withSsh(p, 1, (run) => run(`cat ${ROLLOUT_FAILED_MARKER} 2>/dev/null || true`));
      const what = r.stdout.trim().split("\n")[0];
      if (what && f.holders.has(p.nodeId)) {
        failRollout(p.fleet, p.nodeId, `worker ${p.nodeId}: ${what} (its output is above)`);
        return;
      }
    } catch {
      /* unreachable for now: HostState says so if it stays that way */
    }
    setTimeout(() => void tick(), FAILED_STEP_POLL_MS).unref();
  };
  setTimeout(() => void tick(), FAILED_STEP_POLL_MS).unref();
}

/** A new rollout of the worker starts with no failure on record. */
async function clearFailedStep(p: RolloutGateInputs): Promise<void> {
  try {
    await withSsh(p, 1, (run) => run(`rm -f ${ROLLOUT_FAILED_MARKER}`));
  } catch {
    /* an unreachable host: its steps fail on their own */
  }
}

export const rolloutGateProvider = {
  async check(_olds: unknown, news: unknown) {
    return checkInputs(gateInputsSchema, news);
  },

  async diff(_id: string, olds: RolloutGateOutputs, news: RolloutGateInputs) {
    const changed = changedNames(olds, news);
    const settings = (["fleet", "maxUnavailable", "timeoutSeconds", "host", "port", "user", "hostKey"] as const).filter((k) => olds[k] !== news[k]);
    const unfinished = changed.length === 0 && news.digest !== undefined && (await unfinishedOnHost(news));
    return { changes: changed.length > 0 || settings.length > 0 || unfinished, replaces: olds.nodeId !== news.nodeId ? ["nodeId"] : [] };
  },

  async create(inputs: RolloutGateInputs) {
    return { id: `${inputs.fleet}/${inputs.nodeId}`, outs: { ...inputs, lastRollout: "provisioned" } };
  },

  async read(id: string, props: RolloutGateOutputs) {
    return { id, props };
  },

  async update(_id: string, olds: RolloutGateOutputs, news: RolloutGateInputs) {
    const changed = changedNames(olds, news);
    if (changed.length === 0 && (await unfinishedOnHost(news))) changed.push("unfinished rollout");
    if (changed.length > 0) {
      await acquireSlot(news.fleet, news.nodeId, news.maxUnavailable, news.timeoutSeconds * 1000);
      await clearFailedStep(news);
      watchForFailedStep(news);
    }
    return { outs: { ...news, lastRollout: changed.length > 0 ? changed.join(", ") : olds.lastRollout } };
  },

  async delete() {
    /* nothing on the host or the chain */
  },
};
