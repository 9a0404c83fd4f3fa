// The k3s node password's provider logic, over node-ssh. A k3s agent proves its node name to the
// server with the password in /etc/rancher/node/password (it makes a random one when the file is
// missing); the server keeps a hash per node name and refuses another password for that name
// ("Node password rejected, duplicate hostname"). So the password belongs to the worker, not to
// its host: it lives in the state (a secret), and every host the worker runs on gets the same
// file before k3s starts there, so a worker moved to a new host rejoins under its own name.
//  - create adopts the password already on the host (a worker provisioned before this resource,
//    or by hand), else makes one as k3s would (16 random bytes, hex), and writes the file (0600);
//  - update (the worker moved: new host or port) writes the same password on the new host;
//  - read reports whether the host still holds it, so refresh shows it removed or changed;
//  - delete leaves the host alone: the host teardown removes /etc/rancher/node.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { checkInputs, nodeIdSchema } from "./chain-inputs";
import { sshTargetShape, UnreachableHostError, withSsh, type Run } from "./ssh";

export const NODE_PASSWORD_FILE = "/etc/rancher/node/password";

export const nodePasswordInputsSchema = z
  .object({
    ...sshTargetShape,
    nodeId: nodeIdSchema,
  })
  .strict();

export type NodePasswordInputs = z.infer<typeof nodePasswordInputsSchema>;

export interface NodePasswordOutputs extends NodePasswordInputs {
  /** The password k3s presents for this node name (secret). */
  password: string;
  /** "adopted" from the host the worker first ran on, or "generated" here. */
  origin: "adopted" | "generated";
  /** Whether the host holds this password (false after refresh when it was removed or changed). */
  onHost: boolean;
}

/** What k3s itself accepts as the file's content once trimmed: one word. */
const PASSWORD = /^[\x21-\x7e]{1,256}$/;

async function onHost(run: Run): Promise<string> {
  return (await run(`cat ${NODE_PASSWORD_FILE} 2>/dev/null || true`)).stdout.trim();
}

async function writeOnHost(p: NodePasswordInputs, run: Run, password: string): Promise<void> {
  const r = await run(`set -e; umask 077; mkdir -p /etc/rancher/node; cat > ${NODE_PASSWORD_FILE}.new; mv -f ${NODE_PASSWORD_FILE}.new ${NODE_PASSWORD_FILE}`, `${password}\n`);
  if (r.code !== 0) throw new Error(`writing the k3s node password on ${p.nodeId} (${p.host}) failed: ${r.stderr.trim()}`);
}

export const nodePasswordProvider = {
  async check(_olds: unknown, news: unknown) {
    return checkInputs(nodePasswordInputsSchema, news);
  },

  async diff(_id: string, olds: NodePasswordOutputs, news: NodePasswordInputs) {
    // A new node id is another node to k3s: another password. A new host keeps this one.
    if (olds.nodeId !== news.nodeId) return { changes: true, replaces: ["nodeId"], deleteBeforeReplace: true };
    const moved = olds.host !== news.host || olds.port !== news.port;
    return { changes: moved || !olds.onHost || olds.user !== news.user || olds.hostKey !== news.hostKey, replaces: [] };
  },

  async create(inputs: NodePasswordInputs) {
    const outs = await withSsh(inputs, inputs.connectRetries, async (run): Promise<NodePasswordOutputs> => {
      const existing = await onHost(run);
      if (existing && PASSWORD.test(existing)) return { ...inputs, password: existing, origin: "adopted", onHost: true };
      const password = randomBytes(16).toString("hex");
      await writeOnHost(inputs, run, password);
      return { ...inputs, password, origin: "generated", onHost: true };
    });
    return { id: inputs.nodeId, outs };
  },

  async read(id: string, props: NodePasswordOutputs) {
    try {
      const seen = await withSsh({ ...props }, 2, onHost);
      return { id, props: { ...props, onHost: seen === props.password } };
    } catch (err) {
      // A dead host says nothing about the password; the host steps report the host.
      if (err instanceof UnreachableHostError) return { id, props };
      throw err;
    }
  },

  async update(_id: string, olds: NodePasswordOutputs, news: NodePasswordInputs) {
    await withSsh(news, news.connectRetries, (run) => writeOnHost(news, run, olds.password));
    return { outs: { ...news, password: olds.password, origin: olds.origin, onHost: true } };
  },

  async delete() {
    // Nothing to do: the host teardown removes /etc/rancher/node with the rest of k3s.
  },
};
