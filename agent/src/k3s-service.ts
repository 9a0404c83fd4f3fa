// Control of the k3s agent. Two implementations behind one interface: the systemd unit (real
// hosts) and a child process (tests, hosts without systemd).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { AgentConfig } from "./config";
import { readEnvFile } from "./env-file";
import { run } from "./exec";
import type { Logger } from "./log";

export interface K3sService {
  readonly kind: "systemd" | "process";
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  isRunning(): Promise<boolean>;
  /**
   * Restarts the service manager made on its own (systemd's `NRestarts` of the unit, which
   * `Restart=always` drives when k3s exits; reset by an explicit start). Absent when the agent
   * itself is the only one that restarts k3s (the child process).
   */
  automaticRestarts?(): Promise<number>;
  /** Agent shutdown: a child process must not outlive us; a systemd unit is left as it is. */
  detach(): Promise<void>;
}

export class SystemdK3s implements K3sService {
  readonly kind = "systemd";
  constructor(private readonly unit: string, private readonly timeoutMs = 30_000) {}
  async start() {
    await run("systemctl", ["start", this.unit], this.timeoutMs);
  }
  async stop() {
    await run("systemctl", ["stop", this.unit], this.timeoutMs);
  }
  async restart() {
    await run("systemctl", ["restart", this.unit], this.timeoutMs);
  }
  async isRunning() {
    try {
      await run("systemctl", ["is-active", "--quiet", this.unit], 5_000);
      return true;
    } catch {
      return false;
    }
  }
  async automaticRestarts() {
    const out = (await run("systemctl", ["show", "--property=NRestarts", "--value", this.unit], 5_000)).trim();
    if (!/^\d+$/.test(out)) throw new Error(`systemctl show ${this.unit}: NRestarts is ${JSON.stringify(out.slice(0, 40))}, not a number (systemd older than 235?)`);
    return Number(out);
  }
  async detach() {}
}

export class ProcessK3s implements K3sService {
  readonly kind = "process";
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  constructor(
    private readonly command: string,
    private readonly args: string[],
    private readonly envFile: string,
    private readonly log: Logger,
    private readonly stopGraceMs = 1_000,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const fileEnv = readEnvFile(this.envFile);
    for (const [k, v] of Object.entries(fileEnv)) if (/TOKEN|SECRET|PASSWORD/i.test(k)) this.log.addSecret(v);
    const child = spawn(this.command, this.args, {
      env: { ...process.env, ...fileEnv },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child = child;
    // Whatever way the agent ends (forced second signal, bounded shutdown, crash), its child
    // k3s must not outlive it; an exit handler is the one place that runs on every path.
    const reap = () => child.kill("SIGKILL");
    process.once("exit", reap);
    child.once("exit", () => process.removeListener("exit", reap));
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        if (this.child === child) this.child = undefined;
        this.log.info("k3s agent process exited", { code, signal });
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (err) => {
        this.child = undefined;
        reject(new Error(`cannot start ${this.command}: ${err.message}`));
      });
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => this.log.debug("k3s agent stderr", { text: d.slice(0, 2000) }));
    this.log.info("k3s agent process started", { pid: child.pid });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), this.stopGraceMs);
    await this.exited;
    clearTimeout(killer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async isRunning(): Promise<boolean> {
    return this.child !== undefined && this.child.exitCode === null;
  }

  async detach(): Promise<void> {
    await this.stop();
  }
}

export function createK3sService(cfg: AgentConfig["k3s"], log: Logger): K3sService {
  const manager = cfg.manager === "auto" ? (existsSync("/run/systemd/system") ? "systemd" : "process") : cfg.manager;
  return manager === "systemd" ? new SystemdK3s(cfg.unit) : new ProcessK3s(cfg.command, cfg.args, cfg.envFile, log);
}
