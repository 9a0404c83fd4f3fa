// The Node runtime resource's provider logic: Node 22 for the HOST's architecture, installed over
// SSH. The architecture is known only once the host answers, so this cannot be a CopyToRemote
// (upstream @pulumi/command refuses a source unknown at preview: pulumi/pulumi-command#754):
//  - create/update ask the host for `uname -m`, take the pinned Node version's tarball for it
//    from the controller's cache (fetched from the npm registry once, integrity checked), stream
//    it into `tar` on the host (as root) and check `node --version`;
//  - read reports the version installed on the host, so refresh shows a Node removed or changed;
//  - delete removes it (host teardown removes it too); with allowUnreachableHost a dead host is
//    skipped so the stake behind it can still be withdrawn.
import { z } from "zod";
import { checkInputs, nodeIdSchema, userInputs } from "./chain-inputs";
import { sshTargetShape, UnreachableHostError, withSsh, type Run } from "./ssh";
import { ensureNodeTarball } from "./node-tarball";

export { NODE_DIR } from "./host-layout";
import { NODE_DIR } from "./host-layout";
const NODE_BIN = `${NODE_DIR}/bin/node`;

export const nodeRuntimeInputsSchema = z
  .object({
    ...sshTargetShape,
    nodeId: nodeIdSchema,
    /** The Node version the project pins (the `node` npm package). */
    nodeVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
  })
  .strict();

export type NodeRuntimeInputs = z.infer<typeof nodeRuntimeInputsSchema>;

export interface NodeRuntimeOutputs extends NodeRuntimeInputs {
  /** `uname -m` of the host. */
  arch: string;
  /** What `node --version` says on the host ("" when missing). */
  installedVersion: string;
}

async function installedVersion(run: Run): Promise<string> {
  return (await run(`${NODE_BIN} --version 2>/dev/null || true`)).stdout.trim();
}

async function install(p: NodeRuntimeInputs): Promise<NodeRuntimeOutputs> {
  return withSsh(p, p.connectRetries, async (run) => {
    const arch = (await run("uname -m")).stdout.trim();
    if ((await installedVersion(run)) !== `v${p.nodeVersion}`) {
      const tarball = await ensureNodeTarball(arch, p.nodeVersion);
      const { createReadStream } = require("node:fs") as typeof import("node:fs");
      // Unpacked beside the old one, then swapped: a failed upload leaves the old Node working.
      const r = await run(
        `set -e; rm -rf ${NODE_DIR}.new; mkdir -p ${NODE_DIR}.new; tar -xzf - -C ${NODE_DIR}.new --strip-components=1 --no-same-owner; rm -rf ${NODE_DIR}; mv ${NODE_DIR}.new ${NODE_DIR}`,
        createReadStream(tarball),
      );
      if (r.code !== 0) throw new Error(`installing Node ${p.nodeVersion} (${arch}) on ${p.nodeId} failed: ${r.stderr.trim()}`);
    }
    const version = await installedVersion(run);
    if (version !== `v${p.nodeVersion}`) throw new Error(`Node on ${p.nodeId} reports "${version}" after installing v${p.nodeVersion}`);
    return { ...p, arch, installedVersion: version };
  });
}

export const nodeRuntimeProvider = {
  async check(_olds: unknown, news: unknown) {
    return checkInputs(nodeRuntimeInputsSchema, news);
  },

  async diff(_id: string, olds: NodeRuntimeOutputs, news: NodeRuntimeInputs) {
    const replaces = (["nodeId", "host", "port"] as const).filter((k) => olds[k] !== news[k]);
    const changed = (Object.keys(userInputs(news)) as (keyof NodeRuntimeInputs)[]).filter((k) => olds[k] !== news[k]);
    // Drift seen by refresh (Node removed or replaced on the host) makes the next up reinstall.
    const drifted = olds.installedVersion !== `v${olds.nodeVersion}`;
    // A moved worker: Node on the new host first, removed from the old one after.
    return { changes: changed.length > 0 || drifted, replaces: [...replaces], deleteBeforeReplace: replaces.includes("nodeId") };
  },

  async create(inputs: NodeRuntimeInputs) {
    return { id: `${inputs.nodeId}@${inputs.host}`, outs: await install(inputs) };
  },

  async read(id: string, props: NodeRuntimeOutputs) {
    try {
      const version = await withSsh({ ...props }, 2, installedVersion);
      return { id, props: { ...props, installedVersion: version } };
    } catch (err) {
      if (err instanceof UnreachableHostError) return { id, props };
      throw err;
    }
  },

  async update(_id: string, _olds: NodeRuntimeOutputs, news: NodeRuntimeInputs) {
    return { outs: await install(news) };
  },

  async delete(_id: string, props: NodeRuntimeOutputs) {
    try {
      await withSsh(props, props.connectRetries, (run) => run(`rm -rf ${NODE_DIR} ${NODE_DIR}.new`));
    } catch (err) {
      if (err instanceof UnreachableHostError && props.allowUnreachableHost) {
        process.stderr.write(`warning: skipped removing Node from ${props.nodeId} (${props.host}): unreachable.\n`);
        return;
      }
      throw err;
    }
  },
};
