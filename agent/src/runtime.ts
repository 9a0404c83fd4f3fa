// Container runtime queries behind one interface: containerd (ctr in the k8s.io namespace, on
// the socket the k3s agent uses) or docker. "Pods" are pod sandboxes with a running task.
import type { AgentConfig } from "./config";
import { CommandError, run } from "./exec";

export interface ContainerInfo {
  id: string;
  running: boolean;
  /** A pod sandbox (pause container) rather than an app container. */
  sandbox: boolean;
}

export interface ContainerRuntime {
  readonly kind: "containerd" | "docker";
  list(): Promise<ContainerInfo[]>;
  /** Kill every Kubernetes container at once (slash / unstake); returns how many. */
  stopAll(): Promise<number>;
}

export async function countRunningPods(rt: ContainerRuntime): Promise<number> {
  return (await rt.list()).filter((c) => c.running && c.sandbox).length;
}

/**
 * Run `bin global... args...`. run() names a failure by the first argument, which here is the
 * socket flag (-H, --address): "/usr/bin/docker -H: not found". Name the subcommand instead,
 * "/usr/bin/docker ps: not found", as it reads when no socket flag is given.
 */
async function runWith(bin: string, global: string[], args: string[], timeoutMs: number): Promise<string> {
  try {
    return await run(bin, [...global, ...args], timeoutMs);
  } catch (err) {
    if (!(err instanceof CommandError) || global.length === 0) throw err;
    const prefix = `${bin} ${global[0]}: `;
    const why = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    throw new CommandError(`${bin} ${args[0] ?? ""}: ${why}`);
  }
}

const K3S_CONTAINERD_SOCKET = "/run/k3s/containerd/containerd.sock";

export class ContainerdRuntime implements ContainerRuntime {
  readonly kind = "containerd";
  constructor(
    private readonly bin: string,
    private readonly socket: string,
    private readonly timeoutMs: number,
  ) {}

  private ctr(args: string[]) {
    return runWith(this.bin, ["--address", this.socket, "-n", "k8s.io"], args, this.timeoutMs);
  }

  /** Which container ids are pod sandboxes: a container's kind never changes, so it is kept. */
  private kinds = new Map<string, boolean>();

  async list(): Promise<ContainerInfo[]> {
    // `tasks list`: header line then "ID PID STATUS". Which tasks are sandboxes comes from the
    // CRI kind label, asked for only when a task id is new: a steady node costs one ctr per list.
    const tasks: Array<{ id: string; running: boolean }> = [];
    for (const line of (await this.ctr(["tasks", "list"])).split("\n").slice(1)) {
      const [id, , status] = line.trim().split(/\s+/);
      if (id && status) tasks.push({ id, running: status === "RUNNING" });
    }
    if (tasks.some((t) => !this.kinds.has(t.id))) {
      const sandboxOut = await this.ctr(["containers", "list", "-q", 'labels."io.cri-containerd.kind"==sandbox']);
      const sandboxes = new Set(sandboxOut.split(/\s+/).filter(Boolean));
      // Rebuilt from the current tasks only, so ids of containers that are gone do not pile up.
      this.kinds = new Map(tasks.map((t) => [t.id, sandboxes.has(t.id)]));
    }
    return tasks.map((t) => ({ ...t, sandbox: this.kinds.get(t.id) ?? false }));
  }

  async stopAll(): Promise<number> {
    const running = (await this.list()).filter((c) => c.running);
    await Promise.allSettled(running.map((c) => this.ctr(["tasks", "kill", "--all", "--signal", "SIGKILL", c.id])));
    return running.length;
  }
}

export class DockerRuntime implements ContainerRuntime {
  readonly kind = "docker";
  constructor(
    private readonly bin: string,
    private readonly socket: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  private docker(args: string[]) {
    // The socket goes on the command line; without one docker uses $DOCKER_HOST or its default.
    return runWith(this.bin, this.socket ? ["-H", `unix://${this.socket}`] : [], args, this.timeoutMs);
  }

  async list(): Promise<ContainerInfo[]> {
    // Only containers the kubelet made (cri-dockerd labels them); the host may run others.
    const out = await this.docker([
      "ps", "-a", "--no-trunc", "--filter", "label=io.kubernetes.pod.uid",
      "--format", '{{.ID}}\t{{.State}}\t{{.Label "io.kubernetes.docker.type"}}',
    ]);
    return out
      .split("\n")
      .map((l) => l.split("\t"))
      .filter((p) => p[0])
      .map(([id, state, type]) => ({ id: id!, running: state === "running", sandbox: type === "podsandbox" }));
  }

  async stopAll(): Promise<number> {
    const ids = (await this.list()).filter((c) => c.running).map((c) => c.id);
    if (ids.length > 0) await this.docker(["kill", ...ids]);
    return ids.length;
  }
}

export function createRuntime(cfg: AgentConfig["containerRuntime"]): ContainerRuntime {
  return cfg.type === "docker"
    ? new DockerRuntime(cfg.binary ?? "docker", cfg.socket, cfg.commandTimeoutMs)
    : new ContainerdRuntime(cfg.binary ?? "ctr", cfg.socket ?? K3S_CONTAINERD_SOCKET, cfg.commandTimeoutMs);
}
