// How an `up` moves through the fleet: how many at once, and how long a worker waits its turn.
import { z } from "zod";

export const rolloutShape = {
  /** Workers provisioned at once; the rest wait for a slot. @default 4 */
  parallelism: z.number().int().min(1).default(4),
  /** Workers out of service at once while an `up` changes what runs on them (k3s, agent, Node). First provisioning is not limited by it. @default 1 */
  maxUnavailable: z.number().int().min(1).default(1),
  /** How long a worker waits for a rollout slot before the `up` fails. @default healthTimeoutSeconds + 300 */
  rolloutTimeoutSeconds: z.number().int().min(10).optional(),
};

/** The rollout timeout in force. */
export function rolloutTimeout(s: { readonly rolloutTimeoutSeconds?: number; readonly healthTimeoutSeconds: number }): number {
  return s.rolloutTimeoutSeconds ?? s.healthTimeoutSeconds + 300;
}
