// What every step of a StakedWorker knows: its settings with defaults filled in, the package's
// files, and the facts derived once from them (SSH user, runtime, rollout fleet and timeout).
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { rolloutTimeout, type WorkerSettings } from "../../settings";
import type { PackageAssets } from "../assets";
import * as scripts from "../remote-scripts";

export interface Worker {
  /** The component's name: every child's name starts with it. */
  readonly name: string;
  /** The node id (the host's name in the settings). */
  readonly nodeId: string;
  readonly s: WorkerSettings;
  readonly assets: PackageAssets;
  /** Options of every child: parented to the component. */
  readonly child: { readonly parent: pulumi.Resource };
  readonly user: string;
  readonly port: number;
  readonly runtime: "containerd" | "docker";
  /** The Debian package of the runtime. */
  readonly runtimePackage: string;
  /** The fleet whose rollout slots the worker shares. */
  readonly rolloutFleet: string;
  readonly rolloutTimeoutSeconds: number;
  /** SSH attempts of the node-ssh resources: fewer when an unreachable host may be skipped. */
  readonly connectRetries: number;
  /** `cmd` as root on the host (through `sudo -n` for another user). */
  asRoot(cmd: string): string;
}

export function workerContext(name: string, s: WorkerSettings, assets: PackageAssets, parent: pulumi.Resource): Worker {
  const user = s.host.user;
  return {
    name,
    nodeId: s.host.name,
    s,
    assets,
    child: { parent },
    user,
    port: s.host.port,
    runtime: s.containerRuntime,
    runtimePackage: s.containerRuntime === "docker" ? "docker.io" : "containerd",
    rolloutFleet: s.rolloutFleet ?? s.host.name,
    rolloutTimeoutSeconds: rolloutTimeout(s),
    connectRetries: s.allowUnreachableHost ? 3 : 5,
    asRoot: (cmd) => scripts.asRoot(user, cmd),
  };
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
