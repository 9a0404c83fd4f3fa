// A worker host's layout, defined once: where the agent, its config, key and unit, Node, the
// installers, k3s's directories and the rollout markers live. The StakedWorker's remote steps
// (remote-scripts.ts) and the dynamic providers (host-state, rollout, node-runtime) both use it,
// so an install and the check or teardown of it can never disagree on a path.

/** Everything the project installs of its own. */
export const AGENT_DIR = "/opt/k3s-daas";
/** The Node release the agent runs on, unpacked for the host's architecture. */
export const NODE_DIR = `${AGENT_DIR}/node`;
export const NODE_BIN = `${NODE_DIR}/bin/node`;
export const AGENT_BUNDLE = `${AGENT_DIR}/agent.js`;
export const AGENT_CONFIG = "/etc/k3s-daas/agent.json";
/** The agents' RPC request headers (an API key): root only, 0600. */
export const AGENT_RPC_HEADERS = "/etc/k3s-daas/rpc-headers.json";
/** The worker's own key (made on the host; only its public half ever leaves). */
export const WORKER_KEY = "/var/lib/k3s-daas/worker.key";
export const AGENT_UNIT = "/etc/systemd/system/k3s-daas-agent.service";
export const K3S_INSTALLER = `${AGENT_DIR}/install-k3s-agent.sh`;
/** scripts/configure-containerd.sh on the host. */
export const RUNTIME_CONFIGURER = `${AGENT_DIR}/configure-containerd.sh`;
/** Where a non-root SSH user's uploads land before `install` puts them in place as root. */
export const STAGING_DIR = `${AGENT_DIR}/staging`;

/** k3s's airgap image directory (<data-dir>/agent/images): operator image tarballs land here. */
export const AIRGAP_IMAGES_DIR = "/var/lib/rancher/k3s/agent/images";
export const CONTAINERD_SOCKET = "/run/containerd/containerd.sock";
export const CONTAINERD_CONFIG = "/etc/containerd/config.toml";

/**
 * Where HostState records, on the host, the digest of the last rollout it saw through to a
 * healthy worker (rollout.ts reads it to resume an unfinished one).
 */
export const ROLLOUT_MARKER = "/var/lib/k3s-daas/rollout-digest";
/** Left by a step of the worker that failed on the host (remote-scripts.ts failureMarked). */
export const ROLLOUT_FAILED_MARKER = "/var/lib/k3s-daas/rollout-failed";
