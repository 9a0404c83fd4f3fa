// The last step: wait until the agent says registered, read drift on every refresh, and tear the
// host down in order on destroy (the agent deregisters, k3s is uninstalled).
import type * as pulumi from "@pulumi/pulumi";
import { HostState } from "../host-state";
import type { Worker } from "./context";
import type { Desired } from "./desired";
import type { PinnedHost } from "./host";

export function waitHealthy(w: Worker, h: PinnedHost, d: Desired, configSha: pulumi.Output<string>, rolloutDigest: pulumi.Output<string>, after: pulumi.Resource[]): HostState {
  const { s } = w;
  return new HostState(
    `${w.name}-host`,
    {
      ...h.ssh,
      nodeId: w.nodeId,
      agentPort: s.agentPort,
      bundleSha256: d.bundleSha,
      bundlePath: w.assets.agentBundle,
      configSha256: configSha,
      allowUnreachableHost: s.allowUnreachableHost,
      removeContainerd: s.removeContainerRuntime,
      containerPackage: w.runtimePackage,
      containerdConfig: d.containerdConfig,
      healthTimeoutSeconds: s.healthTimeoutSeconds,
      k3sVersion: s.k3s.version,
      nodeVersion: d.nodeVersion,
      rolloutFleet: w.rolloutFleet,
      maxUnavailable: s.maxUnavailable,
      rolloutDigest,
      connectRetries: w.connectRetries,
    },
    { ...w.child, dependsOn: after },
  );
}
