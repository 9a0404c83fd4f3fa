// Test hosts: real Debian systems booted with systemd under systemd-nspawn, each in its own
// network namespace on a private bridge created here, reachable over SSH with a key generated
// here. Everything created is recorded in a state file before it is created, and removed by
// stop() / `npm run hosts -- down` (processes by their own PID, mounts, netns, veths, bridge,
// cgroup dirs). See devnet/hosts/README.md.
import { spawn } from "node:child_process";
import { existsSync, openSync, closeSync, promises as fs, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { processAlive, processCmdline, run, sleep } from "./exec";
import { ensureSetup, standinVersionSlug, type SetupResult } from "./setup";

export const RUNS_DIR = process.env.K3S_DAAS_HOSTS_RUNS ?? "/var/tmp/k3s-daas-hosts";
export const CGROUP_ROOT = "/sys/fs/cgroup";
export const CGROUP_PARENT = "k3s-daas-hosts";
const STATIC_SERVER = path.join(__dirname, "static-server.js");

export interface HostState {
  name: string;
  ip: string;
  dir: string;
  merged: string;
  veth: string;
  netns: string;
  /** cgroup path below each hierarchy in /sys/fs/cgroup/<h>/ */
  cgroup: string;
  pid?: number;
  killed?: boolean;
  bootMs?: number;
  /** SSH user when not root (root login disabled). */
  user?: string;
}

export interface RunState {
  version: 1;
  prefix: string;
  runDir: string;
  subnet: string;
  bridge: string;
  bridgeIp: string;
  hierarchies: string[];
  ownerPid: number;
  createdAt: string;
  privateKeyPath: string;
  serverPid?: number;
  serverPort?: number;
  packageRepoUrl?: string;
  aptSourcesLine?: string;
  k3sBinaryUrl?: string;
  installerUrl?: string;
  hosts: HostState[];
}

export interface TestHost {
  name: string;
  ip: string;
  port: 22;
  /** root, or the host's sudo user (StartHostsOptions.sudoUsers) when root login is disabled. */
  user: string;
  /** OpenSSH-format (PEM-armoured) ed25519 private key */
  privateKey: string;
  privateKeyPath: string;
  bootMs: number;
}

export interface StartHostsOptions {
  count: number;
  /** lowercase letters/digits, at most 8 characters; hosts are named <prefix>-1, <prefix>-2 ... */
  namePrefix?: string;
  /** IPv4 CIDR for the bridge; the bridge takes .1, hosts .2 upwards */
  subnet?: string;
  cacheDir?: string;
  log?: (msg: string) => void;
  /**
   * Hosts that log in like a cloud image: host name -> a user with passwordless sudo (ubuntu,
   * admin, debian ...) holding the harness key, root login disabled in sshd.
   */
  sudoUsers?: Record<string, string>;
}

export interface Hosts {
  hosts: TestHost[];
  bridgeIp: string;
  /** http://<bridgeIp>:<port>/apt (a flat repository: `deb [trusted=yes] <url> ./`) */
  packageRepoUrl: string;
  /** the exact sources.list line for the local package source */
  aptSourcesLine: string;
  /** the stand-in k3s executable, for INSTALL_K3S_BIN_URL */
  k3sBinaryUrl: string;
  /** the stand-in built as `version` (one of STANDIN_VERSIONS), for upgrades */
  k3sBinaryUrlFor(version: string): string;
  /** The stand-in release `version` laid out as on GitHub (k3s, sha256sum-amd64.txt), for INSTALL_K3S_RELEASE_URL. */
  k3sReleaseUrlFor(version: string): string;
  /** The sha256 of the stand-in built as `version` (k3s.binSha256: an http mirror needs one). */
  k3sSha256For(version: string): string;
  /** the k3s agent installer script (src/components/scripts/install-k3s-agent.sh) */
  installerUrl: string;
  statePath: string;
  runDir: string;
  setup: SetupResult;
  timings: { setupMs: number; prepareMs: number; bootMs: number; totalMs: number };
  /** hard-kill one host (power cut: all its processes SIGKILLed, its network removed) */
  kill(name: string): Promise<void>;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------- helpers

function ipToInt(ip: string): number {
  const p = ip.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad IPv4 ${ip}`);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}
function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
export function parseSubnet(cidr: string): { base: number; bits: number; size: number } {
  const [ip, b] = cidr.split("/");
  const bits = Number(b);
  if (!ip || !Number.isInteger(bits) || bits < 8 || bits > 29) throw new Error(`bad subnet ${cidr}`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipToInt(ip) & mask) >>> 0, bits, size: 2 ** (32 - bits) };
}
function inSubnet(ip: string, s: { base: number; bits: number }): boolean {
  const mask = (0xffffffff << (32 - s.bits)) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === s.base;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function runDirFor(prefix: string): string {
  return path.join(RUNS_DIR, prefix);
}
function statePathFor(prefix: string): string {
  return path.join(runDirFor(prefix), "state.json");
}
function saveState(st: RunState): void {
  writeFileSync(statePathFor(st.prefix) + ".tmp", JSON.stringify(st, null, 2));
  require("node:fs").renameSync(statePathFor(st.prefix) + ".tmp", statePathFor(st.prefix));
}

export async function cgroupHierarchies(): Promise<string[]> {
  const mounts = await fs.readFile("/proc/self/mountinfo", "utf8");
  const out: string[] = [];
  for (const line of mounts.split("\n")) {
    const f = line.split(" ");
    const mp = f[4];
    const sep = f.indexOf("-");
    const fstype = f[sep + 1];
    if (!mp || !mp.startsWith(CGROUP_ROOT + "/")) continue;
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    const h = mp.slice(CGROUP_ROOT.length + 1);
    if (!h.includes("/") && !out.includes(h)) out.push(h);
  }
  return out;
}

async function waitExit(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!processAlive(pid)) return true;
    // reap if it is our child zombie: kill(0) still succeeds on zombies
    const stat = (() => {
      try {
        return readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        return "";
      }
    })();
    if (stat === "" || / Z /.test(stat.slice(stat.lastIndexOf(")")))) return true;
    await sleep(50);
  }
  return !processAlive(pid);
}

/** All PIDs in a cgroup subtree (v1 or v2), deepest dirs included. */
async function cgroupPids(dir: string): Promise<number[]> {
  const pids: number[] = [];
  const walk = async (d: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const l of (await fs.readFile(path.join(d, "cgroup.procs"), "utf8")).split("\n")) if (l) pids.push(Number(l));
    } catch {}
    for (const e of entries) if (e.isDirectory()) await walk(path.join(d, e.name));
  };
  await walk(dir);
  return [...new Set(pids)];
}

async function rmdirCgroupTree(dir: string): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) await rmdirCgroupTree(path.join(dir, e.name));
  for (let i = 0; i < 40; i++) {
    try {
      await fs.rmdir(dir);
      return;
    } catch (e: any) {
      if (e.code === "ENOENT") return;
      if (i === 39) throw new Error(`cannot remove cgroup ${dir}: ${e.code}`);
      await sleep(50);
    }
  }
}

/** SIGKILL every process in a host's cgroups (frozen first so nothing forks meanwhile). */
async function killCgroup(hierarchies: string[], rel: string): Promise<void> {
  const freezer = hierarchies.includes("freezer") ? path.join(CGROUP_ROOT, "freezer", rel) : null;
  const dirs = hierarchies.map((h) => path.join(CGROUP_ROOT, h, rel));
  for (let round = 0; round < 20; round++) {
    const pids = new Set<number>();
    for (const d of dirs) for (const p of await cgroupPids(d)) pids.add(p);
    if (pids.size === 0) return;
    if (freezer && existsSync(freezer)) await fs.writeFile(path.join(freezer, "freezer.state"), "FROZEN").catch(() => {});
    for (const p of pids) {
      try {
        process.kill(p, "SIGKILL");
      } catch {}
    }
    if (freezer && existsSync(freezer)) await fs.writeFile(path.join(freezer, "freezer.state"), "THAWED").catch(() => {});
    await sleep(100);
  }
}

async function mountsUnder(dir: string): Promise<string[]> {
  const info = await fs.readFile("/proc/self/mountinfo", "utf8");
  const out: string[] = [];
  for (const line of info.split("\n")) {
    const mp = line.split(" ")[4];
    if (!mp) continue;
    const m = mp.replace(/\\040/g, " ");
    if (m === dir || m.startsWith(dir + "/")) out.push(m);
  }
  return out.sort((a, b) => b.length - a.length);
}
async function umountAll(dir: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const ms = await mountsUnder(dir);
    if (ms.length === 0) return;
    for (const m of ms) {
      const r = await run("umount", [m], { allowFail: true });
      if (r.code !== 0 && i >= 2) await run("umount", ["-l", m], { allowFail: true });
    }
  }
}

async function linkExists(name: string): Promise<boolean> {
  return (await run("ip", ["link", "show", "dev", name], { allowFail: true })).code === 0;
}
async function netnsList(): Promise<string[]> {
  const r = await run("ip", ["netns", "list"], { allowFail: true });
  return r.stdout.split("\n").map((l) => l.split(" ")[0]!).filter(Boolean);
}

// ---------------------------------------------------------------- teardown

async function teardownHost(st: RunState, h: HostState, graceful: boolean): Promise<void> {
  if (h.pid && processAlive(h.pid)) {
    const cmd = processCmdline(h.pid) ?? "";
    // the PID must still be our nspawn (or the shell that is about to exec it)
    if (cmd.includes(`--machine=${h.name}`) || cmd.includes(h.dir)) {
      if (graceful) {
        try {
          process.kill(h.pid, "SIGTERM");
        } catch {}
        await waitExit(h.pid, 15000);
      }
    }
  }
  // whatever is left in the host's own cgroups (including a nspawn that did not stop) dies now
  await killCgroup(st.hierarchies, h.cgroup);
  if (h.pid) await waitExit(h.pid, 5000);
  await umountAll(h.dir);
  if ((await netnsList()).includes(h.netns)) await run("ip", ["netns", "del", h.netns], { allowFail: true });
  if (await linkExists(h.veth)) await run("ip", ["link", "del", h.veth], { allowFail: true });
  for (const hier of st.hierarchies) await rmdirCgroupTree(path.join(CGROUP_ROOT, hier, h.cgroup));
}

/** Remove everything a run recorded (also after a crash), then any leftover named after its prefix. */
export async function teardownRun(st: RunState): Promise<void> {
  await Promise.all(st.hosts.map((h) => teardownHost(st, h, !h.killed)));
  if (st.serverPid && processAlive(st.serverPid) && (processCmdline(st.serverPid) ?? "").includes("static-server.js")) {
    try {
      process.kill(st.serverPid, "SIGTERM");
    } catch {}
    if (!(await waitExit(st.serverPid, 3000))) {
      try {
        process.kill(st.serverPid, "SIGKILL");
      } catch {}
    }
  }
  await sweepPrefix(st.prefix, st.hierarchies);
}

/** Clean leftovers of a crashed run with this prefix even without (or beyond) its state file. */
export async function sweepPrefix(prefix: string, hierarchies?: string[]): Promise<void> {
  const hier = hierarchies ?? (await cgroupHierarchies());
  const runDir = runDirFor(prefix);
  const rel = path.join(CGROUP_PARENT, prefix);
  // processes: everything in this prefix's cgroups is ours
  await killCgroup(hier, rel);
  // nspawn processes started on this run dir that somehow escaped the cgroup (should not happen)
  for (const d of await fs.readdir("/proc")) {
    const pid = Number(d);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmd = processCmdline(pid);
    if (cmd && cmd.startsWith("systemd-nspawn") && cmd.includes(` -D ${runDir}/`)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
  const re = new RegExp(`^${prefix}-\\d+$`);
  for (const ns of await netnsList()) if (re.test(ns)) await run("ip", ["netns", "del", ns], { allowFail: true });
  const links = await run("ip", ["-o", "link", "show"], { allowFail: true });
  for (const line of links.stdout.split("\n")) {
    const name = line.split(":")[1]?.trim().split("@")[0];
    if (name && (name === bridgeName(prefix) || new RegExp(`^hv-${prefix}-\\d+$`).test(name))) {
      await run("ip", ["link", "del", name], { allowFail: true });
    }
  }
  if (existsSync(runDir)) await umountAll(runDir);
  for (const h of hier) {
    await rmdirCgroupTree(path.join(CGROUP_ROOT, h, rel));
    await fs.rmdir(path.join(CGROUP_ROOT, h, CGROUP_PARENT)).catch(() => {}); // only if empty
  }
  if ((await mountsUnder(runDir)).length === 0) await fs.rm(runDir, { recursive: true, force: true });
  else throw new Error(`mounts remain under ${runDir}`);
}

export async function teardownPrefix(prefix: string): Promise<void> {
  const sp = statePathFor(prefix);
  if (existsSync(sp)) {
    const st = JSON.parse(await fs.readFile(sp, "utf8")) as RunState;
    await teardownRun(st);
  } else {
    await sweepPrefix(prefix);
  }
}

function bridgeName(prefix: string): string {
  return `hb-${prefix}`;
}

/** mkdir a cgroup path level by level (cpuset: cpus/mems copied down); retried if another run's
 *  teardown removes the shared, empty parent meanwhile. Returns the full path. */
async function ensureCgroup(hier: string, rel: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      let cur = path.join(CGROUP_ROOT, hier);
      for (const part of rel.split("/")) {
        const next = path.join(cur, part);
        try {
          await fs.mkdir(next);
          if (hier === "cpuset") {
            for (const f of ["cpuset.cpus", "cpuset.mems"]) {
              await fs.writeFile(path.join(next, f), (await fs.readFile(path.join(cur, f), "utf8")).trim() || "\n");
            }
          }
        } catch (e: any) {
          if (e.code !== "EEXIST") throw e;
        }
        cur = next;
      }
      return cur;
    } catch (e: any) {
      if (e.code !== "ENOENT" || attempt >= 5) throw e;
      await sleep(20);
    }
  }
}

// ---------------------------------------------------------------- start

async function waitSshBanner(ip: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: ip, port: 22, timeout: 1000 });
      let buf = "";
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.on("data", (d) => {
        buf += d.toString("latin1");
        if (buf.startsWith("SSH-")) done(true);
      });
      s.on("timeout", () => done(false));
      s.on("error", () => done(false));
      s.on("close", () => done(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`host ${ip}: no SSH banner within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * A login user with passwordless sudo, as on cloud images, and root login disabled: written into
 * the host's root filesystem before it boots (useradd --root, a sudoers drop-in, an sshd drop-in).
 */
async function addSudoUser(root: string, user: string, publicKey: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user) || user === "root") throw new Error(`sudo user must be a login name other than root: ${user}`);
  await run("useradd", ["--root", root, "--create-home", "--user-group", "--shell", "/bin/bash", user]);
  const passwd = await fs.readFile(`${root}/etc/passwd`, "utf8");
  const entry = passwd.split("\n").find((l) => l.startsWith(`${user}:`))!.split(":");
  const [uid, gid] = [Number(entry[2]), Number(entry[3])];
  const ssh = `${root}/home/${user}/.ssh`;
  await fs.mkdir(ssh, { mode: 0o700 });
  await fs.writeFile(`${ssh}/authorized_keys`, publicKey, { mode: 0o600 });
  for (const p of [ssh, `${ssh}/authorized_keys`]) await fs.chown(p, uid, gid);
  await fs.writeFile(`${root}/etc/sudoers.d/90-${user}`, `${user} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
  // Read before the base image's drop-in (sshd takes the first value it sees).
  await fs.writeFile(`${root}/etc/ssh/sshd_config.d/00-k3s-daas-no-root.conf`, "PermitRootLogin no\n");
  await fs.rm(`${root}/root/.ssh/authorized_keys`, { force: true });
}

async function sshTrue(ip: string, privateKey: string, user: string): Promise<void> {
  const { NodeSSH } = require("node-ssh") as typeof import("node-ssh");
  const ssh = new NodeSSH();
  await ssh.connect({ host: ip, port: 22, username: user, privateKey, readyTimeout: 10000 });
  try {
    const r = await ssh.execCommand("true");
    if (r.code !== 0) throw new Error(`ssh true failed on ${ip}: ${r.stderr}`);
  } finally {
    ssh.dispose();
  }
}

export async function startHosts(opts: StartHostsOptions): Promise<Hosts> {
  const t0 = Date.now();
  const log = opts.log ?? (() => {});
  const prefix = opts.namePrefix ?? "hx";
  if (!/^[a-z][a-z0-9]{0,7}$/.test(prefix)) throw new Error(`namePrefix must match [a-z][a-z0-9]{0,7}: ${prefix}`);
  const count = opts.count;
  if (!Number.isInteger(count) || count < 1 || count > 50) throw new Error(`count must be 1..50`);
  const subnet = opts.subnet ?? "10.99.0.0/24";
  const sn = parseSubnet(subnet);
  if (count + 2 > sn.size - 1) throw new Error(`subnet ${subnet} too small for ${count} hosts`);
  const bridgeIp = intToIp(sn.base + 1);

  const setup = await ensureSetup({ cacheDir: opts.cacheDir, log });
  const tSetup = Date.now();

  // leftovers from a crashed run with the same prefix
  await teardownPrefix(prefix);

  // the subnet must not be in use on this machine
  const addrs = await run("ip", ["-o", "-4", "addr", "show"]);
  for (const line of addrs.stdout.split("\n")) {
    const m = line.match(/^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//);
    if (m && inSubnet(m[2]!, sn)) throw new Error(`subnet ${subnet} is already used by ${m[1]} (${m[2]})`);
  }

  const runDir = runDirFor(prefix);
  await fs.mkdir(runDir, { recursive: true, mode: 0o700 });
  const hierarchies = await cgroupHierarchies();
  const st: RunState = {
    version: 1,
    prefix,
    runDir,
    subnet,
    bridge: bridgeName(prefix),
    bridgeIp,
    hierarchies,
    ownerPid: process.pid,
    createdAt: new Date().toISOString(),
    privateKeyPath: path.join(runDir, "id_ed25519"),
    hosts: [],
  };
  saveState(st);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await teardownRun(st);
  };
  try {
    // key
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `k3s-daas-test-hosts-${prefix}`, "-f", st.privateKeyPath]);
    const privateKey = await fs.readFile(st.privateKeyPath, "utf8");
    const publicKey = await fs.readFile(st.privateKeyPath + ".pub", "utf8");

    // base rootfs, unpacked once per run
    const base = path.join(runDir, "base");
    await fs.mkdir(base);
    await run("sh", ["-c", `zstd -q -dc ${q(setup.baseTarball)} | tar -C ${q(base)} --numeric-owner --xattrs --xattrs-include='*' -xf -`]);

    // bridge
    await run("ip", ["link", "add", st.bridge, "type", "bridge"]);
    await run("ip", ["addr", "add", `${bridgeIp}/${sn.bits}`, "dev", st.bridge]);
    await run("ip", ["link", "set", st.bridge, "up"]);

    // package source + k3s download server on the bridge address
    // Each stand-in release is also laid out as k3s publishes one on GitHub: the binary beside a
    // sha256sum-amd64.txt naming it, for the installer's release download (INSTALL_K3S_RELEASE_URL).
    const hashFiles = Object.entries(setup.k3sSha256s).map(([v, sha]) => {
      const file = path.join(runDir, `sha256sum-${standinVersionSlug(v)}.txt`);
      writeFileSync(file, `${sha}  k3s\n`);
      return `/k3s/${standinVersionSlug(v)}/sha256sum-amd64.txt=${file}`;
    });
    const serverLog = openSync(path.join(runDir, "static-server.log"), "a");
    const server = spawn(
      process.execPath,
      [STATIC_SERVER, bridgeIp, "0", `/apt=${setup.aptRepoDir}`, `/k3s/k3s=${setup.k3sBinary}`,
        ...Object.entries(setup.k3sBinaries).map(([v, bin]) => `/k3s/${standinVersionSlug(v)}/k3s=${bin}`), ...hashFiles,
        `/install-k3s-agent.sh=${setup.installerScript}`],
      { detached: true, stdio: ["ignore", "pipe", serverLog] },
    );
    closeSync(serverLog);
    st.serverPid = server.pid;
    saveState(st);
    const port = await new Promise<number>((resolve, reject) => {
      let buf = "";
      server.stdout!.on("data", (d) => {
        buf += d;
        const nl = buf.indexOf("\n");
        if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)).port);
      });
      server.on("exit", (c) => reject(new Error(`static server exited ${c}`)));
      setTimeout(() => reject(new Error("static server did not start")), 10000);
    });
    server.stdout!.destroy();
    server.unref();
    st.serverPort = port;
    st.packageRepoUrl = `http://${bridgeIp}:${port}/apt`;
    st.aptSourcesLine = `deb [trusted=yes] ${st.packageRepoUrl} ./`;
    st.k3sBinaryUrl = `http://${bridgeIp}:${port}/k3s/k3s`;
    st.installerUrl = `http://${bridgeIp}:${port}/install-k3s-agent.sh`;
    saveState(st);

    // hosts
    const tPrep = Date.now();
    const spawnedAt = new Map<string, number>();
    const boots: (() => void)[] = [];
    for (let i = 1; i <= count; i++) {
      const name = `${prefix}-${i}`;
      const h: HostState = {
        name,
        ip: intToIp(sn.base + 1 + i),
        dir: path.join(runDir, name),
        merged: path.join(runDir, name, "merged"),
        veth: `hv-${name}`,
        netns: name,
        cgroup: path.join(CGROUP_PARENT, prefix, name),
      };
      st.hosts.push(h);
      saveState(st);
      for (const d of ["upper", "work", "merged", "data/containerd"]) await fs.mkdir(path.join(h.dir, d), { recursive: true });
      await run("mount", ["-t", "overlay", "overlay", "-o",
        `lowerdir=${base},upperdir=${h.dir}/upper,workdir=${h.dir}/work`, h.merged]);
      const m = h.merged;
      await fs.writeFile(`${m}/etc/hostname`, `${name}\n`);
      await fs.appendFile(`${m}/etc/hosts`, `${h.ip}\t${name}\n${bridgeIp}\tk3s-daas-harness\n`);
      await fs.writeFile(`${m}/etc/machine-id`, "");
      await run("systemd-machine-id-setup", [`--root=${m}`]);
      // host keys (ed25519 + ecdsa; RSA generation alone would take ~1 s per host)
      await Promise.all(["ed25519", "ecdsa"].map((t) =>
        run("ssh-keygen", ["-q", "-t", t, "-N", "", "-C", `root@${name}`, "-f", `${m}/etc/ssh/ssh_host_${t}_key`])));
      const sudoUser = opts.sudoUsers?.[name];
      if (sudoUser) {
        await addSudoUser(m, sudoUser, publicKey);
        h.user = sudoUser;
      } else {
        await fs.mkdir(`${m}/root/.ssh`, { recursive: true, mode: 0o700 });
        await fs.writeFile(`${m}/root/.ssh/authorized_keys`, publicKey, { mode: 0o600 });
      }
      // network namespace + veth on the bridge
      await run("ip", ["netns", "add", h.netns]);
      await run("ip", ["link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.netns]);
      await run("ip", ["link", "set", h.veth, "master", st.bridge, "up"]);
      await run("ip", ["-n", h.netns, "addr", "add", `${h.ip}/${sn.bits}`, "dev", "eth0"]);
      await run("ip", ["-n", h.netns, "link", "set", "eth0", "up"]);
      await run("ip", ["-n", h.netns, "link", "set", "lo", "up"]);
      await run("ip", ["-n", h.netns, "route", "add", "default", "via", bridgeIp]);
      // own cgroup in every hierarchy (cpuset needs cpus/mems copied down each level)
      const procsFiles: string[] = [];
      for (const hier of hierarchies) procsFiles.push(path.join(await ensureCgroup(hier, h.cgroup), "cgroup.procs"));
      // boot: a shell joins the cgroups, then execs nspawn (same PID)
      const nspawnArgs = [
        "systemd-nspawn", "-D", m, "--boot", `--machine=${name}`,
        `--network-namespace-path=/run/netns/${h.netns}`, "--register=no", "--keep-unit",
        "--console=read-only", "--capability=all", "--system-call-filter=@keyring",
        "--bind=/dev/kmsg", `--bind=${h.dir}/data/containerd:/var/lib/containerd`,
        "--resolv-conf=off", "--timezone=off", "--link-journal=no",
      ];
      const script =
        `for f in ${procsFiles.map(q).join(" ")}; do echo $$ > "$f" || exit 97; done; ` +
        `exec env SYSTEMD_NSPAWN_API_VFS_WRITABLE=network ${nspawnArgs.map(q).join(" ")}`;
      boots.push(() => {
        const logFd = openSync(path.join(h.dir, "console.log"), "a");
        const child = spawn("sh", ["-c", script], { detached: true, stdio: ["ignore", logFd, logFd] });
        closeSync(logFd);
        h.pid = child.pid;
        child.unref();
        spawnedAt.set(name, Date.now());
        saveState(st);
      });
    }
    const tBoot = Date.now();
    for (const b of boots) b();
    log(`prepared ${count} host(s) in ${tBoot - tPrep} ms; booting`);
    await Promise.all(
      st.hosts.map(async (h) => {
        try {
          await waitSshBanner(h.ip, 180000);
          await sshTrue(h.ip, privateKey, h.user ?? "root");
        } catch (e) {
          const tail = await fs.readFile(path.join(h.dir, "console.log"), "utf8").catch(() => "");
          throw new Error(`${(e as Error).message}\n--- console of ${h.name} ---\n${tail.slice(-3000)}`);
        }
        h.bootMs = Date.now() - spawnedAt.get(h.name)!;
      }),
    );
    saveState(st);
    const tEnd = Date.now();
    log(`booted ${count} host(s) in ${tEnd - tBoot} ms`);

    const kill = async (name: string) => {
      const h = st.hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no host ${name}`);
      if (h.killed) return;
      h.killed = true;
      saveState(st);
      await killCgroup(st.hierarchies, h.cgroup);
      if (h.pid) await waitExit(h.pid, 5000);
      // its network goes with it (unplugged), so SSH to it fails
      await teardownHost(st, h, false);
    };

    return {
      hosts: st.hosts.map((h) => ({
        name: h.name, ip: h.ip, port: 22 as const, user: h.user ?? "root",
        privateKey, privateKeyPath: st.privateKeyPath, bootMs: h.bootMs!,
      })),
      bridgeIp,
      packageRepoUrl: st.packageRepoUrl!,
      aptSourcesLine: st.aptSourcesLine!,
      k3sBinaryUrl: st.k3sBinaryUrl!,
      k3sSha256For(version: string) {
        const sha = setup.k3sSha256s[version];
        if (!sha) throw new Error(`no stand-in k3s is built as ${version}; built: ${Object.keys(setup.k3sSha256s).join(", ")}`);
        return sha;
      },
      k3sReleaseUrlFor(version: string) {
        if (!setup.k3sBinaries[version]) throw new Error(`no stand-in k3s is built as ${version}; built: ${Object.keys(setup.k3sBinaries).join(", ")}`);
        return st.k3sBinaryUrl!.replace(/\/k3s\/k3s$/, `/k3s/${standinVersionSlug(version)}`);
      },
      k3sBinaryUrlFor(version: string) {
        if (!setup.k3sBinaries[version]) throw new Error(`no stand-in k3s is built as ${version}; built: ${Object.keys(setup.k3sBinaries).join(", ")}`);
        return st.k3sBinaryUrl!.replace(/\/k3s\/k3s$/, `/k3s/${standinVersionSlug(version)}/k3s`);
      },
      installerUrl: st.installerUrl!,
      statePath: statePathFor(prefix),
      runDir,
      setup,
      timings: { setupMs: tSetup - t0, prepareMs: tBoot - tPrep, bootMs: tEnd - tBoot, totalMs: tEnd - t0 },
      kill,
      stop,
    };
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}

export function readState(prefix: string): RunState | null {
  const sp = statePathFor(prefix);
  return existsSync(sp) ? (JSON.parse(readFileSync(sp, "utf8")) as RunState) : null;
}
