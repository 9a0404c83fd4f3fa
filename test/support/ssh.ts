// One-shot SSH commands into test hosts, for assertions.
import { NodeSSH } from "node-ssh";

export async function sshRun(host: { ip: string; port?: number; user?: string; privateKey: string }, cmd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const ssh = new NodeSSH();
  await ssh.connect({ host: host.ip, port: host.port ?? 22, username: host.user ?? "root", privateKey: host.privateKey, readyTimeout: 10_000 });
  try {
    const r = await ssh.execCommand(cmd);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  } finally {
    ssh.dispose();
  }
}
