// Shell run on the hosts by the StakedWorker's remote steps. Kept apart so the component reads as
// a sequence of steps and tests can assert the commands. No secret ever appears in these strings:
// secrets travel on stdin.

// The host's paths: one definition with the providers' (runtime/host-layout.ts).
export {
  AGENT_DIR, NODE_DIR, NODE_BIN, AGENT_BUNDLE, AGENT_CONFIG, AGENT_RPC_HEADERS, WORKER_KEY, AGENT_UNIT, K3S_INSTALLER,
  RUNTIME_CONFIGURER, STAGING_DIR, AIRGAP_IMAGES_DIR, CONTAINERD_SOCKET, ROLLOUT_FAILED_MARKER,
} from "./runtime/host-layout";
import {
  AGENT_DIR, NODE_DIR, NODE_BIN, AGENT_BUNDLE, AGENT_CONFIG, AGENT_RPC_HEADERS, WORKER_KEY, AGENT_UNIT, K3S_INSTALLER,
  RUNTIME_CONFIGURER, STAGING_DIR, AIRGAP_IMAGES_DIR, CONTAINERD_SOCKET, ROLLOUT_FAILED_MARKER,
} from "./runtime/host-layout";


/**
 * `cmd` run as root: unchanged for root, else through passwordless sudo (`sudo -n sh -c`: fail
 * instead of prompting; stdin passes through). One definition with the providers' (runtime/ssh.ts).
 */
export { asRoot, shellQuote } from "./runtime/ssh";
import { asRoot, shellQuote } from "./runtime/ssh";

/**
 * Prepares our directories (and, for a non-root user, its staging directory); prints the
 * architecture. A user without passwordless sudo is told so before anything else runs.
 */
export function probeHost(user: string, o: { airgapImages?: boolean } = {}): string {
  const sudoCheck =
    user === "root" ? "" : `sudo -n true 2>/dev/null || { echo "k3s-daas: SSH user ${user} needs passwordless sudo (sudo -n true failed)" >&2; exit 1; }; `;
  return sudoCheck + asRoot(
    user,
    [
      "set -e",
      `mkdir -p ${AGENT_DIR} /etc/k3s-daas`,
      "install -d -m 0700 /var/lib/k3s-daas",
      // The image tarballs are copied straight into k3s's airgap dir, which must exist first.
      ...(o.airgapImages ? [`mkdir -p ${AIRGAP_IMAGES_DIR}`] : []),
      ...(user === "root" ? [] : [`install -d -m 0700 -o ${user} -g "$(id -g ${user})" ${STAGING_DIR}`]),
      "uname -m",
    ].join("; "),
  );
}

/** Where an upload for `finalPath` is copied to: in place for root, else the staging directory. */
export function uploadPath(user: string, finalPath: string): string {
  return user === "root" ? finalPath : `${STAGING_DIR}/${finalPath.split("/").pop()}`;
}

/** Puts a staged upload in place, owned by root, and prints its sha256. */
export function installStaged(staged: string, finalPath: string, mode: string): string {
  return `set -e; install -m ${mode} -o root -g root ${staged} ${finalPath}; sha256sum ${finalPath} | cut -d' ' -f1`;
}

/** Writes stdin to `path` (0644, root's) atomically and prints its sha256. */
export function writeFromStdin(path: string): string {
  return `set -e; umask 022; cat > ${path}.new; mv -f ${path}.new ${path}; sha256sum ${path} | cut -d' ' -f1`;
}

/** Creates the worker key if missing (0600) and prints only its public key. */
export const workerKeygen = `${NODE_BIN} ${AGENT_BUNDLE} keygen --key ${WORKER_KEY}`;

/** Installs the container runtime from the host's package source (optionally a local one). */
export function installContainerRuntime(pkg: string, aptSourceLine: string | undefined): string {
  const src = aptSourceLine ? `printf '%s\\n' ${shellQuote(aptSourceLine)} > /etc/apt/sources.list.d/k3s-daas.list; ` : "";
  const service = pkg === "docker.io" ? "docker" : "containerd";
  return [
    "set -e",
    "export DEBIAN_FRONTEND=noninteractive",
    `if ! dpkg-query -W -f='\${Status}' ${pkg} 2>/dev/null | grep -q 'install ok installed'; then ${src}apt-get update -qq${aptSourceLine ? " -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/k3s-daas.list -o Dir::Etc::sourceparts=-" : ""}; apt-get install -y -qq --no-install-recommends ${pkg} >/dev/null; fi`,
    `systemctl enable --now ${service} >/dev/null 2>&1`,
    `systemctl is-active ${service}`,
  ].join("; ");
}

/**
 * Runs configure-containerd.sh (uploaded to RUNTIME_CONFIGURER) on what stdin describes
 * (containerd-config.ts runtimeSetupManifest): containerd's config.toml, registry hosts and
 * registries.yaml, image tarballs to import. `version` (the script's sha256) makes a new script
 * run again on unchanged input.
 */
export function configureContainerRuntime(runtime: "containerd" | "docker", version: string): string {
  return `K3S_DAAS_RUNTIME=${runtime} sh ${RUNTIME_CONFIGURER} # script=${version.slice(0, 16)}`;
}

/** The same script, putting back only config.toml (stdin: its `config` line), for HostState's repair. */
export function repairContainerdConfig(): string {
  return `K3S_DAAS_RUNTIME=containerd sh ${RUNTIME_CONFIGURER} --config-only`;
}

/** The uninstall: the original config.toml back, our registry files and imported images gone. */
export function restoreContainerRuntime(runtime: "containerd" | "docker"): string {
  return `if [ -f ${RUNTIME_CONFIGURER} ]; then K3S_DAAS_RUNTIME=${runtime} sh ${RUNTIME_CONFIGURER} --restore; fi`;
}

export interface K3sInstallOptions {
  serverUrl: string;
  nodeId: string;
  binUrl: string;
  binSha256?: string;
  /** The release the binary must report; checked on the host before it is put in place. */
  version?: string;
  runtime: "containerd" | "docker";
  /**
   * With docker, k3s's --pause-image: cri-dockerd (run by k3s) takes its sandbox image from it.
   * With containerd, k3s ignores it (the sandbox image is in containerd's config).
   */
  pauseImage?: string;
  extraArgs: readonly string[];
}

// A step of a rollout that fails on the host says so in ROLLOUT_FAILED_MARKER (`step <name>
// failed (exit N)`): the worker's RolloutGate watches for it while the worker holds its rollout
// slot, so the workers waiting for that slot fail at once naming the step.

/**
 * `script` run in a child shell (its own `set -e` and traps intact, stdin passed through), and
 * on a non-zero exit the step's name left in ROLLOUT_FAILED_MARKER before the same exit code.
 */
export function failureMarked(step: string, script: string): string {
  if (!/^[a-z0-9-]+$/.test(step)) throw new Error(`step name ${step} must be lower-case letters, digits and -`);
  return (
    `K3S_DAAS_STEP=${shellQuote(script)}; sh -c "$K3S_DAAS_STEP"; rc=$?; ` +
    `if [ "$rc" -ne 0 ]; then mkdir -p ${ROLLOUT_FAILED_MARKER.replace(/\/[^/]+$/, "")} && printf 'step %s failed (exit %s)\\n' ${step} "$rc" > ${ROLLOUT_FAILED_MARKER}; fi; exit "$rc"`
  );
}

/** k3s's own releases: https://github.com/k3s-io/k3s/releases/download/<version>/k3s. */
const GITHUB_RELEASE_BINARY = /^(https:\/\/github\.com\/k3s-io\/k3s\/releases\/download\/[^/]+)\/k3s$/;

/**
 * Where the installer gets k3s. From k3s's GitHub releases, the release directory: the host takes
 * the binary for its architecture and checks it against the release's published
 * sha256sum-<arch>.txt (get.k3s.io's check), so the default download is never unchecked. From a
 * mirror, the binary's URL (checked against k3s.binSha256 when given: required over http).
 */
export function binarySource(binUrl: string): string[] {
  const release = GITHUB_RELEASE_BINARY.exec(binUrl);
  return release ? [`INSTALL_K3S_RELEASE_URL=${shellQuote(release[1]!)}`] : [`INSTALL_K3S_BIN_URL=${shellQuote(binUrl)}`];
}

/**
 * Installs the k3s agent with the official installer's conventions. The join token arrives on
 * stdin and goes to a 0600 file the installer copies into the unit's 0600 env file; the unit is
 * neither enabled nor started: the node agent starts it once the stake checks out.
 */
export function installK3sAgent(o: K3sInstallOptions): string {
  const runtime = o.runtime === "docker" ? ["--docker", ...(o.pauseImage ? ["--pause-image", o.pauseImage] : [])] : ["--container-runtime-endpoint", `unix://${CONTAINERD_SOCKET}`];
  const exec = ["agent", "--node-name", o.nodeId, ...runtime, ...o.extraArgs];
  const env = [
    `K3S_URL=${shellQuote(o.serverUrl)}`,
    "K3S_TOKEN_FILE=/etc/k3s-daas/k3s-token",
    `INSTALL_K3S_EXEC=${shellQuote(exec.join(" "))}`,
    ...binarySource(o.binUrl),
    ...(o.binSha256 ? [`INSTALL_K3S_BIN_SHA256=${shellQuote(o.binSha256)}`] : []),
    ...(o.version ? [`INSTALL_K3S_VERSION=${shellQuote(o.version)}`] : []),
    "INSTALL_K3S_SKIP_ENABLE=true",
    "INSTALL_K3S_SKIP_START=true",
  ];
  return [
    "set -e",
    "umask 077",
    "cat > /etc/k3s-daas/k3s-token",
    `trap 'rm -f /etc/k3s-daas/k3s-token' EXIT`,
    `${env.join(" ")} sh ${K3S_INSTALLER}`,
  ].join("; ");
}

/**
 * (Re)starts the agent; the versions in the comment make a new bundle, config or Node restart it.
 */
export function startAgent(bundleSha: string, configSha: string, nodeVersion = "", unitSha = ""): string {
  return `systemctl daemon-reload && systemctl enable k3s-daas-agent.service >/dev/null 2>&1 && systemctl restart k3s-daas-agent.service # bundle=${bundleSha} config=${configSha}${nodeVersion ? ` node=${nodeVersion}` : ""}${unitSha ? ` unit=${unitSha.slice(0, 16)}` : ""}`;
}

/**
 * The agent's config from stdin, then a reload of a running agent (SIGHUP): a renewed seal token
 * is switched to live, without deregistering or touching k3s; any other change waits for the
 * restart of the agent-service step. A stopped agent is left for that step to start, and so is an
 * agent whose loaded unit cannot reload (an older release: SIGHUP would end it).
 */
export function writeAgentConfig(o: { withHeaders: boolean } = { withHeaders: false }): string {
  const unit = "k3s-daas-agent.service";
  // The headers line is read by the shell's own `read` and written by its builtin printf: the
  // key is never in a process's arguments. Without headers, one left from before is removed.
  const headers = o.withHeaders
    ? `set -e; umask 077; IFS= read -r h; printf '%s\\n' "$h" > ${AGENT_RPC_HEADERS}.new; h=; mv -f ${AGENT_RPC_HEADERS}.new ${AGENT_RPC_HEADERS}`
    : `rm -f ${AGENT_RPC_HEADERS}`;
  return `${headers}; ${writeFromStdin(AGENT_CONFIG)}; if systemctl is-active -q ${unit} && [ "$(systemctl show -p CanReload --value ${unit})" = yes ]; then systemctl reload ${unit}; fi`;
}
