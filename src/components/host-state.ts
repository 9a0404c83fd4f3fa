import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider } from "./provider-runtime";

/** How a node-ssh resource (HostState, NodeRuntime) reaches its host. */
export interface SshTargetArgs {
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  readonly user: pulumi.Input<string>;
  /** SSH private key; must be a secret. */
  readonly privateKey: pulumi.Input<string>;
  /** The host's pinned SSH host key ("type base64"); a host presenting another is refused. */
  readonly hostKey: pulumi.Input<string>;
  /** Destroy skips the host steps of a host that does not answer (after retries). Default false. */
  readonly allowUnreachableHost: pulumi.Input<boolean>;
  /** SSH attempts before a host counts as unreachable. */
  readonly connectRetries: pulumi.Input<number>;
}

/** Inputs of a {@link HostState}. */
export interface HostStateArgs extends SshTargetArgs {
  readonly nodeId: pulumi.Input<string>;
  readonly agentPort: pulumi.Input<number>;
  /** sha256 of the agent bundle uploaded to the host (drift check). */
  readonly bundleSha256: pulumi.Input<string>;
  /** Absolute path of that bundle on the controller (to repair a bundle changed by hand). */
  readonly bundlePath: pulumi.Input<string>;
  /** sha256 of the agent config uploaded to the host. */
  readonly configSha256: pulumi.Input<string>;
  /** Destroy also purges the container runtime package. Default false. */
  readonly removeContainerd: pulumi.Input<boolean>;
  /** Debian package of the container runtime (containerd or docker.io). */
  readonly containerPackage: pulumi.Input<string>;
  /**
   * The /etc/containerd/config.toml written for k3s ("" with docker: none): a hand edit shows as
   * drift on refresh (hostContainerdConfigSha256) and the next `up` puts this text back.
   */
  readonly containerdConfig: pulumi.Input<string>;
  /** How long create/update wait for the worker to be healthy. */
  readonly healthTimeoutSeconds: pulumi.Input<number>;
  /** The k3s release the host must report (`k3s --version`); "" checks none. */
  readonly k3sVersion: pulumi.Input<string>;
  /** The Node release the agent must run on (its /health `node_version`); "" checks none. */
  readonly nodeVersion: pulumi.Input<string>;
  /** The fleet whose rollout slots the worker takes (its RolloutGate's). */
  readonly rolloutFleet: pulumi.Input<string>;
  readonly maxUnavailable: pulumi.Input<number>;
  /** Digest of the gate's changes: a rollout always updates this resource, which ends it. */
  readonly rolloutDigest: pulumi.Input<string>;
}

/**
 * What the agent on a host reports, read over SSH: create waits for registration, refresh shows
 * drift, delete runs the ordered host teardown (see runtime/host-state.ts).
 */
export class HostState extends pulumi.dynamic.Resource {
  declare readonly agentActive: pulumi.Output<boolean>;
  declare readonly registered: pulumi.Output<boolean>;
  declare readonly hostBundleSha256: pulumi.Output<string>;
  declare readonly health: pulumi.Output<string>;
  declare readonly k3sActive: pulumi.Output<boolean>;
  declare readonly hostK3sVersion: pulumi.Output<string>;
  declare readonly hostContainerdConfigSha256: pulumi.Output<string>;

  constructor(name: string, args: HostStateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider("hostStateProvider"),
      name,
      { ...args, privateKey: pulumi.secret(args.privateKey), agentActive: undefined, registered: undefined, hostBundleSha256: undefined, health: undefined, k3sActive: undefined, hostK3sVersion: undefined, hostContainerdConfigSha256: undefined },
      { ...opts, additionalSecretOutputs: ["privateKey"] },
      "k3s-daas", "HostState",
    );
  }
}
