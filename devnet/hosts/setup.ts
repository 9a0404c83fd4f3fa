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
export const BASE_VERSION = "bookworm-minbase-v3";
export const DEBIAN_SUITE = "bookworm";
export const DEBIAN_MIRROR = "http://deb.debian.org/debian";
export const MACHINE_PACKAGES = ["openssh-server", "debootstrap", "systemd-container", "dpkg-dev", "zstd"];
export const BASE_PACKAGES = [
  "systemd", "systemd-sysv", "dbus", "openssh-server", "iproute2", "procps", "ca-certificates", "curl",
  // v2: hosts may log in as a non-root user with passwordless sudo, as cloud images do.
  "sudo",
  // v3: the kubelet and CNI plugins expect iptables on a node (kube-proxy's and portmap's rules).
  "iptables",
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
  /** sha256 (hex) of each of those binaries: what an operator pins as k3s.binSha256. */
  k3sSha256s: Record<string, string>;
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

/**
 * The kernel settings a kubelet insists on (pkg/kubelet/cm/container_manager_linux.go,
 * setupKernelTunables) as seen from inside a host. /proc/sys is read-only in an nspawn container
 * and the machine's own values are not ours to change, so each one that differs is shown to the
 * host as a file holding the wanted value, bind-mounted over the /proc/sys entry. Test-host only.
 */
export const KUBELET_SYSCTLS: Readonly<Record<string, string>> = {
  "vm/overcommit_memory": "1",
  "vm/panic_on_oom": "0",
  "kernel/panic": "10",
  "kernel/panic_on_oops": "1",
  "kernel/keys/root_maxkeys": "1000000",
  "kernel/keys/root_maxbytes": "25000000",
};

/** The script SYSCTL_UNIT runs (a file: systemd would expand the shell's own variables). */
export const SYSCTL_SCRIPT = `#!/bin/sh
# k3s-daas test host: show the kubelet the kernel settings it wants (see devnet/hosts/setup.ts).
mkdir -p /run/k3s-daas-sysctl
for kv in ${Object.entries(KUBELET_SYSCTLS).map(([k, v]) => `${k}=${v}`).join(" ")}; do
  k=\${kv%%=*}; v=\${kv#*=}
  [ "$(cat /proc/sys/$k 2>/dev/null)" = "$v" ] && continue
  f=/run/k3s-daas-sysctl/$(echo "$k" | tr / .)
  echo "$v" >"$f"
  mount --bind "$f" "/proc/sys/$k" || echo "cannot show $k=$v to the kubelet" >&2
done
`;

export const SYSCTL_UNIT = `[Unit]
Description=Kernel settings a kubelet expects, as bind-mounted files (k3s-daas test host under systemd-nspawn)
Documentation=file:///etc/k3s-daas-test-host
DefaultDependencies=no
After=local-fs.target
Before=containerd.service k3s-agent.service sysinit.target
ConditionVirtualization=container

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/k3s-daas-sysctl.sh

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
    const wants = path.join(rootfs, "etc/systemd/system/sysinit.target.wants");
    await fs.mkdir(wants, { recursive: true });
    await fs.mkdir(path.join(rootfs, "usr/local/sbin"), { recursive: true });
    await fs.writeFile(path.join(rootfs, "usr/local/sbin/k3s-daas-sysctl.sh"), SYSCTL_SCRIPT, { mode: 0o755 });
    for (const [unit, text] of [["k3s-daas-cgroup-rw.service", CGROUP_RW_UNIT], ["k3s-daas-sysctl.service", SYSCTL_UNIT]] as const) {
      await fs.writeFile(path.join(rootfs, "etc/systemd/system", unit), text);
      await fs.symlink(`/etc/systemd/system/${unit}`, path.join(wants, unit));
    }
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

/** Every source of the stand-in (Go files at any depth, go.mod, go.sum), sorted by path. */
async function standinSources(dir = STANDIN_DIR, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await standinSources(dir, r)));
    else if (e.name.endsWith(".go") || e.name === "go.mod" || e.name === "go.sum") out.push(r);
  }
  return out.sort();
}

async function standinHash(): Promise<string> {
  const h = createHash("sha256");
  for (const f of await standinSources()) {
    h.update(f);
    h.update(await fs.readFile(path.join(STANDIN_DIR, f)));
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * The k3s releases the stand-in is built as: the config default first (what `k3sBinary` is),
 * then the upgrade target the day-2 tests roll to. Each build reports its own version and runs
 * the Kubernetes release that k3s release embeds.
 */
export const STANDIN_VERSIONS = ["v1.31.4+k3s1", "v1.32.1+k3s1"] as const;

/** The URL path segment a version is served under (no "+" in paths). */
export function standinVersionSlug(version: string): string {
  return version.replace(/\+/g, "-");
}

/** `v1.31.4+k3s1` embeds Kubernetes `v1.31.4` (k3s's versioning). */
export function kubernetesVersionOf(k3sVersion: string): string {
  const m = /^(v\d+\.\d+\.\d+)\+k3s\d+$/.exec(k3sVersion);
  if (!m) throw new Error(`not a k3s release: ${k3sVersion} (expected vX.Y.Z+k3sN)`);
  return m[1]!;
}

const goEnv = () => ({ ...process.env, CGO_ENABLED: "0", GOOS: "linux", GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" });
const goBin = () => (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go");

/**
 * go.mod for building against `k8sVersion`: derived from k8s.io/kubernetes's own go.mod at that
 * version, whose replaces point every k8s.io staging module at ./staging/src/...; each becomes
 * the served release of that module (v0.Y.Z for Kubernetes 1.Y.Z), which is how the module
 * proxy can serve a build of the kubelet at all (`go install k8s.io/kubernetes/...` is refused).
 */
export async function standinGoMod(k8sVersion: string, moduleName: string): Promise<string> {
  const dl = await run(goBin(), ["mod", "download", "-json", `k8s.io/kubernetes@${k8sVersion}`], { env: goEnv(), cwd: os.tmpdir() });
  const upstream = await fs.readFile((JSON.parse(dl.stdout) as { GoMod: string }).GoMod, "utf8");
  const staging = [...upstream.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]!);
  if (staging.length < 10) throw new Error(`k8s.io/kubernetes ${k8sVersion}'s go.mod names only ${staging.length} staging modules`);
  const stagingVersion = k8sVersion.replace(/^v1\./, "v0.");
  return [
    "// Generated by devnet/hosts/setup.ts (standinGoMod) from k8s.io/kubernetes's own go.mod: every",
    "// staging module replaced by its served release. Edit the generator, not this file.",
    `module ${moduleName}`, "", "go 1.22", "",
    `require k8s.io/kubernetes ${k8sVersion}`, "",
    "replace (",
    ...staging.map((m) => `\t${m} => ${m} ${stagingVersion}`),
    ")", "",
  ].join("\n");
}

/**
 * CNI plugins k3s would ship in its data dir, from Debian's containernetworking-plugins (flannel
 * itself is not obtainable here): a flat tar the stand-in embeds and extracts as k3s does.
 */
export const CNI_PLUGINS = ["bridge", "host-local", "loopback", "portmap", "bandwidth"] as const;

async function ensureCniTarball(cacheDir: string, log: Log): Promise<string> {
  const dir = path.join(cacheDir, "cni-plugins-debian");
  const tarball = path.join(dir, "cni-plugins.tar");
  if (existsSync(tarball)) return tarball;
  log("fetching Debian's containernetworking-plugins for the stand-in's CNI binaries ...");
  const work = `${dir}.build-${process.pid}`;
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(path.join(work, "x"), { recursive: true });
  try {
    await run("apt-get", ["download", "containernetworking-plugins"], { cwd: work });
    const deb = (await fs.readdir(work)).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error("apt-get download containernetworking-plugins left no .deb");
    await run("dpkg-deb", ["-x", deb, "x"], { cwd: work });
    const flat = path.join(work, "flat");
    await fs.mkdir(flat);
    for (const p of CNI_PLUGINS) await fs.copyFile(path.join(work, "x/usr/lib/cni", p), path.join(flat, p));
    await run("tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", flat, "-cf", path.join(work, "cni-plugins.tar"), ...CNI_PLUGINS]);
    await fs.writeFile(path.join(work, "SOURCE"), `${deb}\n`);
    await fs.rm(path.join(work, "x"), { recursive: true, force: true });
    await fs.rm(flat, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(work, dir);
  } catch (e) {
    await fs.rm(work, { recursive: true, force: true });
    throw e;
  }
  return tarball;
}

async function buildStandin(cacheDir: string, version: string, log: Log): Promise<{ bin: string; built: boolean }> {
  const hash = await standinHash();
  const dir = path.join(cacheDir, `k3s-standin-${hash}-${standinVersionSlug(version)}`);
  const bin = path.join(dir, "k3s");
  if (existsSync(bin)) return { bin, built: false };
  const k8s = kubernetesVersionOf(version);
  log(`building the stand-in k3s ${version} with the real Kubernetes ${k8s} (kubelet, API server, ...; cold: several minutes) ...`);
  const cni = await ensureCniTarball(cacheDir, log);
  const tmp = `${dir}.build-${process.pid}`;
  const src = path.join(tmp, "src");
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(src, { recursive: true });
  try {
    for (const f of await standinSources()) {
      await fs.mkdir(path.join(src, path.dirname(f)), { recursive: true });
      await fs.copyFile(path.join(STANDIN_DIR, f), path.join(src, f));
    }
    await fs.copyFile(cni, path.join(src, "agent", "cni-plugins.tar"));
    const committed = await fs.readFile(path.join(src, "go.mod"), "utf8");
    const moduleName = /^module\s+(\S+)/m.exec(committed)![1]!;
    if (!committed.includes(`require k8s.io/kubernetes ${k8s}`)) {
      // Another release than the committed go.mod's: its own module graph (go.sum regenerated).
      await fs.writeFile(path.join(src, "go.mod"), await standinGoMod(k8s, moduleName));
      await fs.rm(path.join(src, "go.sum"), { force: true });
    }
    const [major, minor] = k8s.slice(1).split(".");
    const pkgVersion = (pkg: string) => [`-X ${pkg}.gitVersion=${version}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`, `-X ${pkg}.gitCommit=k3s-daas-standin`];
    const ldflags = ["-s", "-w", `-X main.k3sVersion=${version}`,
      ...pkgVersion("k8s.io/component-base/version"), ...pkgVersion("k8s.io/client-go/pkg/version")].join(" ");
    await run(goBin(), ["build", "-trimpath", "-ldflags", ldflags, "-o", path.join(tmp, "k3s"), "."], { cwd: src, env: goEnv() });
    await fs.rm(src, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(tmp, dir);
    // Builds of this release from older sources are 130 MB each: keep only the current one.
    for (const e of await fs.readdir(cacheDir)) {
      if (e !== path.basename(dir) && e.startsWith("k3s-standin-") && e.endsWith(`-${standinVersionSlug(version)}`)) {
        await fs.rm(path.join(cacheDir, e), { recursive: true, force: true });
      }
    }
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return { bin, built: true };
}

/** A binary's sha256, computed once and kept beside it (`<bin>.sha256`). */
async function binarySha256(bin: string): Promise<string> {
  const file = `${bin}.sha256`;
  if (existsSync(file)) return (await fs.readFile(file, "utf8")).trim();
  const sha = createHash("sha256").update(await fs.readFile(bin)).digest("hex");
  await fs.writeFile(file, `${sha}\n`);
  return sha;
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
    const k3sSha256s: Record<string, string> = {};
    for (const v of STANDIN_VERSIONS) {
      const standin = await buildStandin(cacheDir, v, log);
      if (standin.built) cold.push(`standin ${v}`);
      k3sBinaries[v] = standin.bin;
      k3sSha256s[v] = await binarySha256(standin.bin);
    }
    const t3 = Date.now();
    return {
      cacheDir,
      baseTarball: path.join(versionDir, "base.tar.zst"),
      aptRepoDir: path.join(versionDir, "apt"),
      k3sBinary: k3sBinaries[STANDIN_VERSIONS[0]]!,
      k3sBinaries,
      k3sSha256s,
      installerScript: INSTALLER_SCRIPT,
      timings: { packagesMs: t1 - t0, baseMs: t2 - t1, standinMs: t3 - t2, totalMs: t3 - t0, cold },
    };
  });
}
