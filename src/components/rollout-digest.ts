// What a rollout is made of, as pure functions (table-tested in test/components/rollout-digest.test.ts):
// the named parts of a worker that an `up` changing them takes out of service (shown by preview
// on its RolloutGate), the digest of the secret ones (the join token, the agents' RPC key), and
// the digest HostState records on the host once the worker is healthy on them. A change of any
// part rolls the worker; nothing else does. Changing how a part is written rolls every fleet
// once, so each line here keeps its form across releases unless a roll is meant.
import { createHash } from "node:crypto";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export interface RolloutParts {
  /** The k3s release, its source and the install script (with the installer's own digest). */
  k3sVersion?: string;
  k3sBinUrl: string;
  k3sBinSha256?: string;
  /** The k3s install command and the installer file's sha256. */
  k3sInstall: string;
  installerSha: string;
  agentBundleSha: string;
  agentUnitSha: string;
  /** The agent's config around the chain ids (which are switched live, not rolled). */
  agentConfigHead: unknown;
  agentConfigTail: unknown;
  nodeVersion: string;
  runtimePackage: string;
  /** containerd's config input (stdin of the configurer) and the configurer's sha256. */
  runtimeSetup: string;
  configurerSha: string;
}

/** The worker's rollout parts by name, as the RolloutGate shows them. */
export function rolloutChanges(p: RolloutParts): Record<string, string> {
  return {
    // The steps' failure marking (remote-scripts failureMarked): adopting it re-runs every step
    // once, so it rolls worker by worker like any other change to what runs on the host.
    steps: "failure-marked-1",
    k3s: `${p.k3sVersion ?? "unversioned"} from ${p.k3sBinUrl}${p.k3sBinSha256 ? ` sha256 ${p.k3sBinSha256}` : ""} script ${sha256(p.k3sInstall + p.installerSha).slice(0, 12)}`,
    agentBundle: p.agentBundleSha,
    agentUnit: p.agentUnitSha,
    agentConfig: sha256(JSON.stringify([p.agentConfigHead, p.agentConfigTail])),
    node: p.nodeVersion,
    containerRuntime: p.runtimePackage,
    // containerd's config, registry files and images: a change restarts containerd.
    runtimeConfig: sha256(p.runtimeSetup + p.configurerSha).slice(0, 12),
  };
}

/**
 * The agents' RPC headers as a digest ("" without headers: the same digest as before headers
 * existed, so adding none rolls nothing).
 */
export function rpcHeadersDigest(headersKey: string | undefined): string {
  return headersKey ? sha256(`rpc-headers:${headersKey}`) : "";
}

/** The secret parts as one digest (a rotated join token or RPC key rolls the fleet). */
export function secretChanges(k3sToken: string, headersDigest: string): string {
  return sha256(`k3s-token:${k3sToken}`) + (headersDigest ? `+${headersDigest}` : "");
}

/** What HostState records on the host once the worker is healthy on these parts. */
export function rolloutDigest(changes: Record<string, string>, secret: string): string {
  return sha256(JSON.stringify([changes, secret]));
}
