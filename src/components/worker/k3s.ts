// The k3s agent: installed, not started (the node agent starts it once the worker is staked).
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { NodePassword } from "../node-password";
import * as scripts from "../remote-scripts";
import type { Worker } from "./context";
import type { Desired } from "./desired";
import { placeFile, type PinnedHost } from "./host";
import type { ContainerRuntime } from "./runtime";

export function installK3s(w: Worker, h: PinnedHost, d: Desired, probe: pulumi.Resource, gate: pulumi.Resource, runtime: ContainerRuntime, seal: pulumi.Resource): command.remote.Command {
  const installer = placeFile(w, h, "k3s-installer", w.assets.k3sInstaller, scripts.K3S_INSTALLER, [probe, gate]);
  // The password k3s proves the node name with belongs to the worker, not the host: the same on
  // every host it runs on, so a moved worker is not refused as a duplicate name.
  const nodePassword = new NodePassword(
    `${w.name}-k3s-node-password`,
    { nodeId: w.nodeId, ...h.ssh, allowUnreachableHost: w.s.allowUnreachableHost, connectRetries: w.connectRetries },
    { ...w.child, dependsOn: [probe] },
  );
  return new command.remote.Command(
    `${w.name}-k3s-agent`,
    { connection: h.connection, create: w.asRoot(scripts.failureMarked("k3s-agent", d.k3sInstall)), stdin: pulumi.secret(w.s.k3sToken) },
    // On the seal token too, so destroy uninstalls k3s before the token is revoked.
    { ...w.child, dependsOn: [runtime.installed, runtime.configured, installer, nodePassword, seal, gate] },
  );
}
