// Run a command without a shell and with a bound, returning its stdout. Arguments are never
// secrets here (the callers pass ids of containers and unit names only).
import { execFile } from "node:child_process";

export class CommandError extends Error {
  override name = "CommandError";
}

export function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === "ENOENT" ? "not found" : String(stderr).trim().split("\n").slice(-1)[0] || err.message;
        reject(new CommandError(`${cmd} ${args[0] ?? ""}: ${why}`));
      } else resolve(String(stdout));
    });
  });
}
