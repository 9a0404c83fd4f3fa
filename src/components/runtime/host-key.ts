// The host-key resource's provider logic: the SSH host key every connection to a host pins.
//  - create records the key the host presents (trust on first use), or, when the operator gave
//    one (hosts[].hostKey), checks that the host presents exactly that key;
//  - diff, run by every preview and up, asks the host again and fails naming the host and both
//    fingerprints when it presents another key, so no step ever reaches a replaced host;
//  - an operator who gives a new hosts[].hostKey updates the record (after checking the host).
// refresh keeps the record: a key is never re-trusted silently.
import { z } from "zod";
import { checkInputs, nodeIdSchema } from "./chain-inputs";
import { fingerprint, hostKeySchema, HostKeyMismatchError, scanHostKey, UnreachableHostError } from "./ssh";

export const hostKeyInputsSchema = z
  .object({
    nodeId: nodeIdSchema,
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** The key the operator pinned (hosts[].hostKey); without it the first `up` records one. */
    expectedHostKey: hostKeySchema.optional(),
  })
  .strict();

export type HostKeyInputs = z.infer<typeof hostKeyInputsSchema>;

export interface HostKeyOutputs extends HostKeyInputs {
  /** The pinned key, "type base64". */
  hostKey: string;
  fingerprint: string;
  /** "config" (operator-given) or "first-use" (recorded by the first up). */
  trust: "config" | "first-use";
}

async function pin(p: HostKeyInputs): Promise<HostKeyOutputs> {
  if (p.expectedHostKey) {
    const presented = await scanHostKey(p.host, p.port, p.expectedHostKey.split(" ")[0]);
    if (presented !== p.expectedHostKey) throw new HostKeyMismatchError(p.nodeId, p.host, p.port, p.expectedHostKey, presented);
    return { ...p, hostKey: presented, fingerprint: fingerprint(presented), trust: "config" };
  }
  const presented = await scanHostKey(p.host, p.port);
  return { ...p, hostKey: presented, fingerprint: fingerprint(presented), trust: "first-use" };
}

export const hostKeyProvider = {
  async check(_olds: unknown, news: unknown) {
    return checkInputs(hostKeyInputsSchema, news);
  },

  async diff(_id: string, olds: HostKeyOutputs, news: HostKeyInputs) {
    const replaces = (["nodeId", "host", "port"] as const).filter((k) => olds[k] !== news[k]);
    if (replaces.length) return { changes: true, replaces: [...replaces], deleteBeforeReplace: replaces.includes("nodeId") };
    if (news.expectedHostKey && news.expectedHostKey !== olds.hostKey) return { changes: true, replaces: [] };
    if (!news.expectedHostKey && olds.expectedHostKey) return { changes: true, replaces: [] }; // pin kept, origin recorded
    // Every preview and up: the host must still present the pinned key.
    try {
      const presented = await scanHostKey(news.host, news.port, olds.hostKey.split(" ")[0]);
      if (presented !== olds.hostKey) throw new HostKeyMismatchError(news.nodeId, news.host, news.port, olds.hostKey, presented);
    } catch (err) {
      // A host that does not answer is judged by the steps that need it (and a destroy with
      // allowUnreachableHost must still be possible); only a different key stops everything.
      if (!(err instanceof UnreachableHostError)) throw err;
    }
    return { changes: false };
  },

  async create(inputs: HostKeyInputs) {
    const outs = await pin(inputs);
    return { id: `${inputs.nodeId}@${inputs.host}:${inputs.port}`, outs };
  },

  async read(id: string, props: HostKeyOutputs) {
    return { id, props };
  },

  async update(_id: string, olds: HostKeyOutputs, news: HostKeyInputs) {
    if (news.expectedHostKey) return { outs: await pin(news) };
    // The operator removed the configured key: keep trusting the one pinned.
    return { outs: { ...news, hostKey: olds.hostKey, fingerprint: olds.fingerprint, trust: olds.trust } };
  },

  async delete() {
    // Nothing on the host: the record goes with the state.
  },
};
