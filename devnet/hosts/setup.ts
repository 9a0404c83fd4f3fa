// One-time (cached) preparation for test hosts:
//  - machine packages (openssh-server debootstrap systemd-container dpkg-dev)
//  - base root filesystem (debootstrap minbase bookworm + systemd ...), cached as a zstd tarball
//  - a local apt repository with containerd and its dependencies (for air-gapped hosts)
//  - the stand-in k3s executable (static Go binary)
// Everything is cached OUTSIDE the repository, by default in ~/.cache/k3s-daas/hosts/.
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { run, runLogged, sleep } from "./exec";

/** Bump when the base image recipe below changes: the cache is keyed by it. */
export const BASE_VERSION = "bookworm-minbase-v2";
export const DEBIAN_SUITE = "bookworm";
export const DEBIAN_MIRROR = "http://deb.debian.org/debian";
export const MACHINE_PACKAGES = ["openssh-server", "debootstrap", "systemd-container", "dpkg-dev", "zstd"];
export const BASE_PACKAGES = [
  "systemd", "systemd-sysv", "dbus", "openssh-server", "iproute2", "procps", "ca-certificates", "curl",
  // v2: hosts may log in as a non-root user with passwordless sudo, as cloud images do.
  "sudo",
];
/** Packages served by the local apt repository (with all their dependencies). */
export const REPO_PACKAGES = ["containerd"];

export const STANDIN_DIR = path.join(__dirname, "k3s-standin");
export const INSTALLER_SCRIPT = path.resolve(__dirname, "../../src/components/scripts/install-k3s-agent.sh");

export function defaultCacheDir(): string {
  return process.env.K3S_DAAS_HOSTS_CACHE ?? path.join(os.homedir(), ".cache", "k3s-daas", "hosts");
}

export interface SetupResult {
  cacheDir: string;
  /** zstd tarball of the base root filesystem */
  baseTarball: string;
  /** flat apt repository directory (Packages, Packages.gz, *.deb) */
  aptRepoDir: string;
  /** the stand-in k3s executable (the first of STANDIN_VERSIONS) */
  k3sBinary: string;
  /** one stand-in build per version in STANDIN_VERSIONS */
  k3sBinaries: Record<string, string>;
  installerScript: string;
  timings: { packagesMs: number; baseMs: number; standinMs: number; totalMs: number; cold: string[] };
}

type Log = (msg: string) => void;

/** Unit baked into the base image: lets containerd create cgroups inside an nspawn host. */
export const CGROUP_RW_UNIT = `[Unit]
Description=Remount cgroup controllers read-write (k3s-daas test host under systemd-nspawn)
Documentation=file:///etc/k3s-daas-test-host
DefaultDependencies=no
After=local-fs.target
Before=containerd.service k3s-agent.service sysinit.target
ConditionVirtualization=container

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'for c in /sys/fs/cgroup/*; do [ -d "$c" ] && [ ! -L "$c" ] || continue; mount -o remount,bind,rw "$c" || true; done'

[Install]
WantedBy=sysinit.target
`;

async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, "pid"), String(process.pid));
      break;
    } catch (e: any) {
      if (e.code !== "EEXIST") throw e;
      // stale lock from a crashed run?
      const pid = Number(await fs.readFile(path.join(dir, "pid"), "utf8").catch(() => "0"));
      let alive = pid > 0;
      if (alive) {
        try { process.kill(pid, 0); } catch { alive = false; }
      }
      if (!alive && i > 2) {
        await fs.rm(dir, { recursive: true, force: true });
        continue;
      }
      if (i > 3600) throw new Error(`timed out waiting for setup lock ${dir}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function missingMachinePackages(): Promise<string[]> {
  const missing: string[] = [];
  for (const p of MACHINE_PACKAGES) {
    const r = await run("dpkg-query", ["-W", "-f=${Status}", p], { allowFail: true });
    if (!r.stdout.includes("install ok installed")) missing.push(p);
  }
  return missing;
}

async function ensureMachinePackages(log: Log): Promise<boolean> {
  const missing = await missingMachinePackages();
  if (missing.length === 0) return false;
  log(`installing machine packages: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const r = await run("apt-get", ["install", "-y", "-q", ...missing], { env, allowFail: true });
  if (r.code !== 0) {
    await run("apt-get", ["update", "-q"], { env });
    await run("apt-get", ["install", "-y", "-q", ...missing], { env });
  }
  return true;
}

async function buildBase(versionDir: string, log: Log): Promise<void> {
  const work = `${versionDir}.build-${process.pid}`;
  await fs.rm(work, { recursive: true, force: true });
  const rootfs = path.join(work, "rootfs");
  await fs.mkdir(rootfs, { recursive: true });
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C" };
  try {
    log(`debootstrap ${DEBIAN_SUITE} (minbase) ...`);
    await runLogged("debootstrap", ["--variant=minbase", DEBIAN_SUITE, rootfs, DEBIAN_MIRROR], () => {}, { env });
    const policy = path.join(rootfs, "usr/sbin/policy-rc.d");
    await fs.writeFile(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
    log(`installing ${BASE_PACKAGES.join(" ")} into the base ...`);
    await runLogged(
      "chroot",
      [rootfs, "sh", "-c",
        `apt-get update -q && apt-get install -y -q --no-install-recommends ${BASE_PACKAGES.join(" ")} && apt-get clean`],
      () => {}, { env },
    );
    // local apt repository: containerd and everything it needs that the base does not have
    log(`downloading ${REPO_PACKAGES.join(" ")} .debs for the local package source ...`);
    await runLogged(
      "chroot",
      [rootfs, "sh", "-c", `apt-get install -y -q --download-only --no-install-recommends ${REPO_PACKAGES.join(" ")}`],
      () => {}, { env },
    );
    const aptDir = path.join(work, "apt");
    await fs.mkdir(aptDir);
    const archives = path.join(rootfs, "var/cache/apt/archives");
    for (const f of await fs.readdir(archives)) {
      if (f.endsWith(".deb")) await fs.copyFile(path.join(archives, f), path.join(aptDir, f));
    }
    const scan = await run("dpkg-scanpackages", ["--multiversion", "."], { cwd: aptDir });
    await fs.writeFile(path.join(aptDir, "Packages"), scan.stdout);
    await run("gzip", ["-9", "-k", "Packages"], { cwd: aptDir });
    await run("chroot", [rootfs, "sh", "-c", "apt-get clean; rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin"], { env });

    // host configuration
    await fs.rm(policy);
    for (const f of await fs.readdir(path.join(rootfs, "etc/ssh"))) {
      if (f.startsWith("ssh_host_")) await fs.rm(path.join(rootfs, "etc/ssh", f));
    }
    await fs.writeFile(path.join(rootfs, "etc/machine-id"), "");
    await fs.mkdir(path.join(rootfs, "var/lib/dbus"), { recursive: true });
    await fs.rm(path.join(rootfs, "var/lib/dbus/machine-id"), { force: true });
    await fs.symlink("/etc/machine-id", path.join(rootfs, "var/lib/dbus/machine-id"));
    // hosts have no internet: no default package sources (an operator step adds the local one)
    await fs.rm(path.join(rootfs, "etc/apt/sources.list.d/debian.sources"), { force: true });
    await fs.writeFile(
      path.join(rootfs, "etc/apt/sources.list"),
      "# k3s-daas test host: no internet. Package sources are configured by the installer step\n" +
        "# (a local repository on the harness bridge, e.g. deb [trusted=yes] http://10.99.0.1:PORT/apt ./).\n",
    );
    await fs.writeFile(path.join(rootfs, "etc/resolv.conf"), "# k3s-daas test host: no DNS\n");
    await fs.writeFile(path.join(rootfs, "etc/hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    await fs.writeFile(
      path.join(rootfs, "etc/ssh/sshd_config.d/k3s-daas-test-host.conf"),
      "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n",
    );
    await fs.mkdir(path.join(rootfs, "root/.ssh"), { recursive: true, mode: 0o700 });
    await fs.writeFile(
      path.join(rootfs, "etc/k3s-daas-test-host"),
      `k3s-daas test host, base ${BASE_VERSION}. A test fixture booted under systemd-nspawn, not a sandbox.\n`,
    );
    const unit = "k3s-daas-cgroup-rw.service";
    await fs.writeFile(path.join(rootfs, "etc/systemd/system", unit), CGROUP_RW_UNIT);
    const wants = path.join(rootfs, "etc/systemd/system/sysinit.target.wants");
    await fs.mkdir(wants, { recursive: true });
    await fs.symlink(`/etc/systemd/system/${unit}`, path.join(wants, unit));
    // units that cannot work in a container without a system bus from outside / are noise
    for (const u of ["systemd-networkd-wait-online.service"]) {
      await fs.rm(path.join(rootfs, "etc/systemd/system/network-online.target.wants", u), { force: true });
    }

    log("packing the base root filesystem ...");
    await run("sh", ["-c",
      `tar -C "${rootfs}" --numeric-owner --xattrs --xattrs-include='*' -cf - . | zstd -q -T0 -3 -o "${work}/base.tar.zst"`]);
    await fs.writeFile(path.join(work, "VERSION"), `${BASE_VERSION}\n`);
    await fs.rm(rootfs, { recursive: true, force: true });
    await fs.rm(versionDir, { recursive: true, force: true });
    await fs.rename(work, versionDir);
  } catch (e) {
    await fs.rm(work, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}

async function standinHash(): Promise<string> {
  const h = createHash("sha256");
  for (const f of (await fs.readdir(STANDIN_DIR)).sort()) {
    if (f.endsWith(".go") || f === "go.mod") {
      h.update(f);
      h.update(await fs.readFile(path.join(STANDIN_DIR, f)));
    }
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * The k3s releases the stand-in is built as: the config default first (what `k3sBinary` is),
 * then the upgrade target the day-2 tests roll to. Each build reports its own version.
 */
export const STANDIN_VERSIONS = ["v1.31.4+k3s1", "v1.32.1+k3s1"] as const;

/** The URL path segment a version is served under (no "+" in paths). */
export function standinVersionSlug(version: string): string {
  return version.replace(/\+/g, "-");
}

async function buildStandin(cacheDir: string, version: string, log: Log): Promise<{ bin: string; built: boolean }> {
  const hash = await standinHash();
  const dir = path.join(cacheDir, `k3s-standin-${hash}-${standinVersionSlug(version)}`);
  const bin = path.join(dir, "k3s");
  if (existsSync(bin)) return { bin, built: false };
  log(`building the stand-in k3s ${version} (static Go binary) ...`);
  const tmp = `${dir}.build-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  const goBin = existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";
  await run(goBin, ["build", "-trimpath", "-ldflags", `-s -w -X main.k3sVersion=${version}`, "-o", path.join(tmp, "k3s"), "."], {
    cwd: STANDIN_DIR,
    env: { ...process.env, CGO_ENABLED: "0", GOOS: "linux", GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" },
  });
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(tmp, dir);
  return { bin, built: true };
}

/** Idempotent, fast when warm (a few dpkg-query calls and stats). */
export async function ensureSetup(opts: { cacheDir?: string; log?: Log } = {}): Promise<SetupResult> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const log = opts.log ?? ((m: string) => process.stderr.write(`[hosts setup] ${m}\n`));
  const t0 = Date.now();
  const cold: string[] = [];
  await fs.mkdir(cacheDir, { recursive: true });
  return withLock(path.join(cacheDir, ".lock"), async () => {
    if (await ensureMachinePackages(log)) cold.push("packages");
    const t1 = Date.now();
    const versionDir = path.join(cacheDir, BASE_VERSION);
    if (!existsSync(path.join(versionDir, "VERSION"))) {
      await buildBase(versionDir, log);
      cold.push("base");
    }
    const t2 = Date.now();
    const k3sBinaries: Record<string, string> = {};
    for (const v of STANDIN_VERSIONS) {
      const standin = await buildStandin(cacheDir, v, log);
      if (standin.built) cold.push(`standin ${v}`);
      k3sBinaries[v] = standin.bin;
    }
    const t3 = Date.now();
    return {
      cacheDir,
      baseTarball: path.join(versionDir, "base.tar.zst"),
      aptRepoDir: path.join(versionDir, "apt"),
      k3sBinary: k3sBinaries[STANDIN_VERSIONS[0]]!,
      k3sBinaries,
      installerScript: INSTALLER_SCRIPT,
      timings: { packagesMs: t1 - t0, baseMs: t2 - t1, standinMs: t3 - t2, totalMs: t3 - t0, cold },
    };
  });
}
