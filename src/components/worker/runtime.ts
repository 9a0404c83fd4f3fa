// What the agent and k3s run on: Node for the host's own architecture, and the container runtime
// made right for k3s before k3s starts (containerd restarts only when its config changed).
import type * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { NodeRuntime } from "../node-runtime";
import * as scripts from "../remote-scripts";
import type { Worker } from "./context";
import type { Desired } from "./desired";
import { placeFile, type PinnedHost } from "./host";

export function installNode(w: Worker, h: PinnedHost, d: Desired, after: pulumi.Resource[]): NodeRuntime {
  return new NodeRuntime(
    `${w.name}-node`,
    { nodeId: w.nodeId, ...h.ssh, nodeVersion: d.nodeVersion, allowUnreachableHost: w.s.allowUnreachableHost, connectRetries: w.connectRetries },
    { ...w.child, dependsOn: after },
  );
}

export interface ContainerRuntime {
  /** The runtime package installed. */
  readonly installed: command.remote.Command;
  /** Its configuration for k3s, image tarballs imported. */
  readonly configured: command.remote.Command;
}

export function installContainerRuntime(w: Worker, h: PinnedHost, d: Desired, probe: pulumi.Resource, gate: pulumi.Resource): ContainerRuntime {
  const installed = new command.remote.Command(
    `${w.name}-container-runtime`,
    { connection: h.connection, create: w.asRoot(scripts.failureMarked("container-runtime", scripts.installContainerRuntime(w.runtimePackage, w.s.aptSource))) },
    { ...w.child, dependsOn: [probe, gate] },
  );
  const configurer = placeFile(w, h, "runtime-configurer", w.assets.runtimeConfigurer, scripts.RUNTIME_CONFIGURER, [probe, gate]);
  const imageUploads = d.images.map((i) => placeFile(w, h, `image-${i.file}`, i.path, `${scripts.AIRGAP_IMAGES_DIR}/${i.file}`, [probe, gate], i.sha256));
  const configured = new command.remote.Command(
    `${w.name}-runtime-config`,
    { connection: h.connection, create: w.asRoot(scripts.failureMarked("runtime-config", scripts.configureContainerRuntime(w.runtime, d.configurerSha))), stdin: d.runtimeSetup },
    { ...w.child, dependsOn: [installed, configurer, ...imageUploads, gate] },
  );
  return { installed, configured };
}
