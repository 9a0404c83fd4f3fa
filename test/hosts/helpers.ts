import { existsSync, readFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { NodeSSH } from "node-ssh";
import type { TestHost } from "../../devnet/hosts";

export interface Exec {
  stdout: string;
  stderr: string;
  code: number | null;
}

export async function connect(h: Pick<TestHost, "ip" | "port" | "user" | "privateKey">, readyTimeout = 15000) {
  const ssh = new NodeSSH();
  await ssh.connect({ host: h.ip, port: h.port, username: h.user, privateKey: h.privateKey, readyTimeout });
  return ssh;
}

export async function sh(ssh: NodeSSH, cmd: string, stdin?: string): Promise<Exec> {
  const r = await ssh.execCommand(cmd, stdin === undefined ? {} : { stdin });
  return { stdout: r.stdout, stderr: r.stderr, code: r.code };
}

export async function ok(ssh: NodeSSH, cmd: string, stdin?: string): Promise<string> {
  const r = await sh(ssh, cmd, stdin);
  if (r.code !== 0) throw new Error(`'${cmd}' exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Everything the harness could leave behind for a name prefix (must all be empty after stop). */
export function leftovers(prefix: string, runDir: string, pids: number[]): string[] {
  const out: string[] = [];
  const netns = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  for (const l of netns.split("\n")) if (l.startsWith(`${prefix}-`)) out.push(`netns ${l}`);
  const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });
  for (const l of links.split("\n")) {
    const name = l.split(":")[1]?.trim().split("@")[0];
    if (name === `hb-${prefix}` || name?.startsWith(`hv-${prefix}-`)) out.push(`link ${name}`);
  }
  for (const l of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mp = l.split(" ")[4];
    if (mp && mp.startsWith(runDir)) out.push(`mount ${mp}`);
  }
  if (existsSync(runDir)) out.push(`dir ${runDir}`);
  for (const h of readdirSync("/sys/fs/cgroup")) {
    const d = `/sys/fs/cgroup/${h}/k3s-daas-hosts/${prefix}`;
    if (existsSync(d)) out.push(`cgroup ${d}`);
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state !== "Z") out.push(`process ${pid} (${state})`);
    } catch {}
  }
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(`${runDir}/`) && !cmd.includes("node --test")) out.push(`process ${d}: ${cmd.slice(0, 120)}`);
    } catch {}
  }
  return out;
}
