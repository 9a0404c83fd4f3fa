// npm run hosts -- setup
// npm run hosts -- up [--count 3] [--prefix hx] [--subnet 10.99.0.0/24] [--cache-dir DIR] [--state FILE]
//                     [--sudo-user hx-2=admin[,hx-3=ubuntu]]   (those hosts: a sudo user, root login off)
// npm run hosts -- down [--state FILE] [--prefix hx]
// npm run hosts -- status [--state FILE]
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { readState, startHosts, teardownPrefix, teardownRun, type RunState } from "./index";
import { ensureSetup } from "./setup";
import { processAlive, processCmdline } from "./exec";

const DEFAULT_STATE = path.resolve(__dirname, "../.state/hosts.json");

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

/** "--sudo-user hx-2=admin,hx-3=ubuntu" -> { "hx-2": "admin", "hx-3": "ubuntu" }. */
function sudoUsersArg(v: string | undefined): Record<string, string> | undefined {
  if (!v) return undefined;
  return Object.fromEntries(
    v.split(",").map((pair) => {
      const [host, user] = pair.split("=");
      if (!host || !user) throw new Error(`--sudo-user takes host=user[,host=user]: ${pair}`);
      return [host, user];
    }),
  );
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  const statePath = path.resolve(arg(args, "state") ?? DEFAULT_STATE);
  const log = (m: string) => process.stderr.write(`[hosts] ${m}\n`);
  switch (cmd) {
    case "setup": {
      const r = await ensureSetup({ cacheDir: arg(args, "cache-dir"), log });
      console.log(JSON.stringify(r, null, 2));
      return;
    }
    case "up": {
      if (existsSync(statePath)) {
        log(`${statePath} exists: tearing down the run it records first`);
        await down(statePath, undefined);
      }
      // The hosts are owned by a detached keeper process (this file, `keep`): it stays their
      // parent and reaps them when they stop (PID 1 here does not reap orphans).
      await fs.mkdir(path.dirname(statePath), { recursive: true });
      const logFd = openSync(statePath.replace(/\.json$/, "") + "-keeper.log", "a");
      const child = spawn(process.execPath, [...process.execArgv, __filename, "keep", ...args, "--state", statePath], {
        detached: true,
        stdio: ["ignore", "pipe", logFd],
      });
      closeSync(logFd);
      const line = await new Promise<string>((resolve, reject) => {
        let buf = "";
        child.stdout!.on("data", (d) => {
          buf += d;
          const nl = buf.indexOf("\n");
          if (nl >= 0) resolve(buf.slice(0, nl));
        });
        child.on("exit", (c) => reject(new Error(`hosts keeper exited ${c}; see ${statePath.replace(/\.json$/, "")}-keeper.log`)));
      });
      child.stdout!.destroy();
      child.unref();
      const msg = JSON.parse(line);
      if (msg.error) throw new Error(msg.error);
      console.log(JSON.stringify(msg, null, 2));
      return;
    }
    case "keep": {
      let h: Awaited<ReturnType<typeof startHosts>>;
      try {
        h = await startHosts({
          count: Number(arg(args, "count") ?? 1),
          namePrefix: arg(args, "prefix"),
          subnet: arg(args, "subnet"),
          cacheDir: arg(args, "cache-dir"),
          sudoUsers: sudoUsersArg(arg(args, "sudo-user")),
          log,
        });
      } catch (e) {
        process.stdout.write(JSON.stringify({ error: (e as Error).message }) + "\n");
        process.exit(1);
      }
      const run = readState(path.basename(h.runDir))!;
      const out = {
        hosts: h.hosts.map(({ privateKey: _omit, ...rest }) => rest),
        bridgeIp: h.bridgeIp,
        packageRepoUrl: h.packageRepoUrl,
        aptSourcesLine: h.aptSourcesLine,
        k3sBinaryUrl: h.k3sBinaryUrl,
        installerUrl: h.installerUrl,
        timings: h.timings,
        keeperPid: process.pid,
        run, // everything `down` needs without the keeper (PIDs, names, mounts, cgroups)
      };
      await fs.writeFile(statePath, JSON.stringify(out, null, 2) + "\n", { mode: 0o600 });
      let stopping = false;
      const onSignal = async () => {
        if (stopping) return;
        stopping = true;
        log("keeper: stopping hosts");
        await h.stop().catch((e) => log(`keeper: stop failed: ${e}`));
        process.exit(0);
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
      process.on("SIGHUP", () => {});
      process.stdout.write(JSON.stringify({ ...out, run: undefined, statePath }) + "\n");
      setInterval(() => {}, 1 << 30); // stay alive until `down`
      return;
    }
    case "down": {
      await down(statePath, arg(args, "prefix"));
      return;
    }
    case "status": {
      if (!existsSync(statePath)) {
        console.log("no hosts recorded");
        return;
      }
      const s = JSON.parse(await fs.readFile(statePath, "utf8"));
      console.log(JSON.stringify({ ...s, run: undefined }, null, 2));
      return;
    }
    default:
      console.error("usage: npm run hosts -- setup | up [--count N] [--prefix P] [--subnet CIDR] | down | status");
      process.exit(2);
  }
}

async function down(statePath: string, prefix: string | undefined) {
  let done = false;
  if (existsSync(statePath)) {
    const s = JSON.parse(await fs.readFile(statePath, "utf8")) as { run?: RunState; keeperPid?: number };
    const kp = s.keeperPid;
    if (kp && processAlive(kp) && (processCmdline(kp) ?? "").includes("cli.ts")) {
      process.kill(kp, "SIGTERM");
      for (let i = 0; i < 1200 && processAlive(kp); i++) await new Promise((r) => setTimeout(r, 50));
    }
    if (s.run) {
      // whatever the keeper did not remove (it crashed, was killed): by the recorded state.
      // The run dir's own state is newer if the run got further than the copy.
      const live = readState(s.run.prefix);
      await teardownRun(live ?? s.run);
      done = true;
    }
    await fs.rm(statePath, { force: true });
  }
  // after a crash during `up` the recorded copy may be missing: use the run dir's own state
  if (!done || prefix) await teardownPrefix(prefix ?? "hx");
  process.stderr.write("[hosts] down: done\n");
}


main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
