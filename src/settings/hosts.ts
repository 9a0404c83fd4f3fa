// The machines the workers run on and how the controller reaches them.
import { z } from "zod";
import { dnsNameSchema, SSH_USER } from "../rules";
import { hostKeySchema } from "../components/runtime/ssh";
import { secretInput, tcpPortSchema } from "./fields";

export const hostSchema = z
  .object({
    /** Node id (DNS-1123): on chain, the k3s node name, and the control plane's name for it. Unique in the fleet. */
    name: dnsNameSchema,
    /** Address the controller reaches the host at (and the agent's monitoring endpoint uses). */
    address: z.string().min(1),
    /** SSH port. @default 22 */
    port: tcpPortSchema.default(22),
    /** SSH user: root, or a user with passwordless sudo (every step then runs through `sudo -n`). @default "root" */
    user: z.string().regex(SSH_USER, "must be a login name (lower-case letters, digits, _ and -)").default("root"),
    /**
     * The host's SSH key as ssh-keyscan prints it ("ssh-ed25519 AAAA..."). Without it the first
     * `up` records the key the host presents; either way every later connection accepts only that key.
     */
    hostKey: hostKeySchema.optional(),
  })
  .strict();

export const hostsShape = {
  /** The workers' hosts, one worker each. */
  hosts: z
    .array(hostSchema)
    .min(1, "must list at least one host")
    .superRefine((hosts, ctx) => {
      const seen = new Map<string, number>();
      hosts.forEach((h, i) => {
        const first = seen.get(h.name);
        if (first !== undefined) ctx.addIssue({ code: "custom", path: [i, "name"], message: `is used twice (also hosts[${first}])` });
        else seen.set(h.name, i);
      });
    }),
  /** The SSH private key (PEM/OpenSSH) the controller logs in to every host with. Kept a secret. */
  sshPrivateKey: secretInput(z.string().includes("PRIVATE KEY", { message: "must be a PEM/OpenSSH private key (set it with --secret)" })),
};
