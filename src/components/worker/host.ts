// The host: its SSH key pinned before anything connects, the connection every remote step uses,
// the probe that prepares its directories, and how a file of this machine is put on it.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { readFileSync } from "node:fs";
import { HostKey } from "../host-key";
import { hostKeySchema } from "../runtime/ssh";
import * as scripts from "../remote-scripts";
import { sha256, type Worker } from "./context";

export interface PinnedHost {
  /** `@pulumi/command`'s connection. */
  readonly connection: command.types.input.remote.ConnectionArgs;
  /** The node-ssh resources' target. */
  readonly ssh: { host: string; port: number; user: string; privateKey: pulumi.Output<string>; hostKey: pulumi.Output<string> };
  /** address:port: a new one (a moved worker) copies every file again. */
  readonly identity: string;
}

/** The host's SSH key, given or recorded on first use; every later connection accepts it only. */
export function pinHost(w: Worker): PinnedHost {
  const { host } = w.s;
  const hostKey = new HostKey(
    `${w.name}-host-key`,
    { nodeId: w.nodeId, host: host.address, port: w.port, ...(host.hostKey ? { expectedHostKey: hostKeySchema.parse(host.hostKey) } : {}) },
    w.child,
  );
  const privateKey = pulumi.secret(w.s.sshPrivateKey);
  return {
    connection: { host: host.address, port: w.port, user: w.user, privateKey, hostKey: hostKey.hostKey, dialErrorLimit: 5, perDialTimeout: 10 },
    ssh: { host: host.address, port: w.port, user: w.user, privateKey, hostKey: hostKey.hostKey },
    identity: `${host.address}:${w.port}`,
  };
}

/** Directories (and k3s's airgap dir when images are uploaded); prints the host's architecture. */
export function prepareHost(w: Worker, h: PinnedHost, withImages: boolean): command.remote.Command {
  return new command.remote.Command(`${w.name}-probe`, { connection: h.connection, create: scripts.probeHost(w.user, { airgapImages: withImages }) }, w.child);
}

/**
 * A file of this machine put on the host, owned by root: copied in place for root; for any other
 * user copied to its staging directory, then installed by root. A new file (its sha256) copies and
 * installs it again; so does a new host (a moved worker): upstream's CopyToRemote copies again on
 * update only when the file or remote path changed.
 */
export function placeFile(w: Worker, h: PinnedHost, step: string, localPath: string, finalPath: string, deps: pulumi.Resource[], knownSha?: string): pulumi.Resource {
  const sha = knownSha ?? sha256(readFileSync(localPath));
  const staged = scripts.uploadPath(w.user, finalPath);
  const copy = new command.remote.CopyToRemote(
    `${w.name}-${step}`,
    { connection: h.connection, source: new pulumi.asset.FileAsset(localPath), remotePath: staged, triggers: [sha, h.identity] },
    { ...w.child, dependsOn: deps },
  );
  if (staged === finalPath) return copy;
  return new command.remote.Command(
    `${w.name}-${step}-install`,
    { connection: h.connection, create: w.asRoot(scripts.installStaged(staged, finalPath, "0644")), triggers: [sha, h.identity] },
    { ...w.child, dependsOn: [copy] },
  );
}
