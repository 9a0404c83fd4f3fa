// The rollout slot: every step that takes a running worker out of service (Node, the agent
// bundle, unit and config, k3s) waits for it on an update; HostState gives it back once the worker
// is healthy again. Keyed by what the worker runs (rollout-digest.ts).
import * as pulumi from "@pulumi/pulumi";
import { rpcHeadersKey } from "../../sui/headers";
import { RolloutGate } from "../rollout-gate";
import * as rollout from "../rollout-digest";
import type { Worker } from "./context";
import type { Desired } from "./desired";
import type { PinnedHost } from "./host";

export interface Rollout {
  readonly gate: RolloutGate;
  /** What HostState records on the host once the worker is healthy on it. */
  readonly digest: pulumi.Output<string>;
  /** The agents' RPC headers as a digest (undefined without headers). */
  readonly headersDigest: string | undefined;
}

export function planRollout(w: Worker, h: PinnedHost, d: Desired): Rollout {
  const { s } = w;
  // Names, not hashes, where a name says more in `pulumi preview`.
  const changes = pulumi.output(rollout.rolloutChanges({
    k3sVersion: s.k3s.version, k3sBinUrl: d.k3sBinUrl, k3sBinSha256: s.k3s.binSha256,
    k3sInstall: d.k3sInstall, installerSha: d.installerSha,
    agentBundleSha: d.bundleSha, agentUnitSha: d.unitSha, agentConfigHead: d.configHead, agentConfigTail: d.configTail,
    nodeVersion: d.nodeVersion, runtimePackage: w.runtimePackage, runtimeSetup: d.runtimeSetup, configurerSha: d.configurerSha,
  }));
  // A rotated API key restarts the agents on it, worker by worker, like a new join token. A
  // digest only; without headers the same digest as before they existed (no fleet-wide roll).
  const headersDigest = rollout.rpcHeadersDigest(d.agentHeaders ? rpcHeadersKey(d.agentHeaders) : undefined);
  const secretChanges = pulumi.secret(pulumi.output(s.k3sToken).apply((t) => rollout.secretChanges(t, headersDigest)));
  // A digest of a digest of the token reveals nothing of it: kept plain so HostState's diff shows.
  const digest = pulumi.unsecret(pulumi.all([changes, secretChanges]).apply(([c, t]) => rollout.rolloutDigest(c, t)));
  const gate = new RolloutGate(
    `${w.name}-rollout`,
    {
      fleet: w.rolloutFleet, nodeId: w.nodeId, maxUnavailable: s.maxUnavailable, timeoutSeconds: w.rolloutTimeoutSeconds,
      changes, secretChanges, digest,
      ...h.ssh, allowUnreachableHost: s.allowUnreachableHost, connectRetries: 1,
    },
    w.child,
  );
  return { gate, digest, headersDigest };
}
