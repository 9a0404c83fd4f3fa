// What `destroy` (and a scale-in) may skip or remove.
import { z } from "zod";

export const teardownShape = {
  /** Destroy skips the host steps of a host that no longer answers, and still revokes and withdraws. @default false */
  allowUnreachableHost: z.boolean().default(false),
  /** Destroy also purges the container runtime. @default false (left installed) */
  removeContainerRuntime: z.boolean().default(false),
};
