// What the host's containerd needs for a k3s agent, rendered here (pure, no I/O) and installed by
// scripts/configure-containerd.sh. k3s configures nothing in an external containerd: with
// --container-runtime-endpoint it only waits for the CRI socket (pkg/daemons/executor/embed.go);
// the CNI dirs, the sandbox image, SystemdCgroup and the registries.yaml mirrors are written only
// for its embedded containerd (pkg/agent/containerd). Debian's containerd keeps its own CNI dirs
// (/usr/lib/cni, /etc/cni/net.d) and pulls registry.k8s.io/pause, so a node would stay NotReady
// ("cni plugin not initialized", k3s#3520) and an air-gapped one could start no pod at all.
import { z } from "zod";

/** The header every file we manage starts with; the script only replaces or removes those. */
export const MANAGED_HEADER = "# Managed by k3s-daas";
/** k3s's default sandbox image for the releases we install (pkg/cli/cmds/agent.go, --pause-image). */
export const DEFAULT_PAUSE_IMAGE = "docker.io/rancher/mirrored-pause:3.6";
/** Where flannel (and our stand-in's bridge) writes the CNI config: <data-dir>/agent/etc/cni/net.d. */
export const K3S_CNI_CONF_DIR = "/var/lib/rancher/k3s/agent/etc/cni/net.d";
/** k3s's stable CNI bin dir (k3s PR #10868): symlinks that survive an upgrade. */
export const K3S_CNI_BIN_DIR_STATIC = "/var/lib/rancher/k3s/data/cni";
/** Before that PR the plugins were only in the data dir of the running release. */
export const K3S_CNI_BIN_DIR_CURRENT = "/var/lib/rancher/k3s/data/current/bin";
/** containerd's registry hosts directory (config_path). */
export const CONTAINERD_CERTS_DIR = "/etc/containerd/certs.d";

/**
 * The first patch release of each minor that has data/cni: PR #10868 was merged for 1.32 and
 * backported to 1.28-1.31 (k3s#10928-#10931, validated 2024-10-23), shipping in the releases of
 * 2024-10-26 (v1.31.2, v1.30.6, v1.29.10, v1.28.15). Every 1.32 release has it.
 */
const FIRST_STATIC_CNI_PATCH: Readonly<Record<number, number>> = { 28: 15, 29: 10, 30: 6, 31: 2 };

/** The CNI bin dir k3s lays out for `version` (`vX.Y.Z+k3sN`); a release not named: the stable dir. */
export function k3sCniBinDir(version?: string): string {
  const m = /^v(\d+)\.(\d+)\.(\d+)/.exec(version ?? "");
  if (!m) return K3S_CNI_BIN_DIR_STATIC;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major > 1 || minor >= 32) return K3S_CNI_BIN_DIR_STATIC;
  const first = FIRST_STATIC_CNI_PATCH[minor];
  return first !== undefined && patch >= first ? K3S_CNI_BIN_DIR_STATIC : K3S_CNI_BIN_DIR_CURRENT;
}

// An image reference as docker/distribution's grammar has it (reference/regexp.go): optional
// domain (with port), lower-case path components, then a tag and/or a digest.
const DOMAIN = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?";
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE_REF = new RegExp(`^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$`);

/**
 * The fully qualified form containerd's CRI resolves a reference to (docker.io/library/...,
 * ":latest" when neither tag nor digest is given), or undefined if `ref` is not an image reference.
 */
export function normalizeImageRef(ref: string): string | undefined {
  if (ref.length > 255) return undefined;
  const m = IMAGE_REF.exec(ref);
  if (!m) return undefined;
  let [, domain, path] = m as unknown as [string, string | undefined, string];
  const [, , , tag, digest] = m;
  // As docker does: the first component is a domain only if it has a dot or port, or is localhost.
  if (domain !== undefined && !/[.:]/.test(domain) && domain !== "localhost" && domain === domain.toLowerCase()) {
    path = `${domain}/${path}`;
    domain = undefined;
  }
  if (domain === undefined || domain === "index.docker.io") domain = "docker.io";
  if (domain === "docker.io" && !path.includes("/")) path = `library/${path}`;
  return `${domain}/${path}${tag ? `:${tag}` : digest ? "" : ":latest"}${digest ? `@${digest}` : ""}`;
}

export const imageRefSchema = z.string().refine((s) => normalizeImageRef(s) !== undefined, "must be an image reference, like docker.io/rancher/mirrored-pause:3.6");

// ---------------------------------------------------------------- registries (k3s's registries.yaml)

const printable = z.string().regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");
const registryName = z.string().regex(/^(\*|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?)$/, "must be a registry host name (host or host:port), or *");
const endpointUrl = z
  .string()
  .refine((s) => /^https?:\/\/[A-Za-z0-9.\-\[\]:]+(\/[A-Za-z0-9._~\/-]*)?$/.test(s) && URL.canParse(s), "must be an http(s) URL (http://host:port or https://host/path)");
const hostPath = z.string().regex(/^\/[A-Za-z0-9._\/-]+$/, "must be an absolute path on the host");

export const registriesSchema = z
  .object({
    // mirrors.<registry>.endpoint[]: where pulls of <registry> go first (then the registry itself).
    mirrors: z
      .record(
        registryName,
        z.object({ endpoint: z.array(endpointUrl).min(1, "must list at least one endpoint"), rewrite: z.record(printable, printable).optional() }).strict(),
      )
      .optional(),
    // configs.<host>.tls: how to trust a registry or mirror host (files already on the host).
    // Credentials (configs.<host>.auth) are not taken: they would be secrets in a plain file.
    configs: z
      .record(
        registryName,
        z
          .object({
            tls: z
              .object({ ca_file: hostPath.optional(), cert_file: hostPath.optional(), key_file: hostPath.optional(), insecure_skip_verify: z.boolean().optional() })
              .strict()
              .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), "cert_file and key_file go together")
              .optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export type Registries = z.infer<typeof registriesSchema>;
type Tls = NonNullable<NonNullable<NonNullable<Registries["configs"]>[string]>["tls"]>;

const q = (s: string) => JSON.stringify(s); // a TOML basic string / YAML double-quoted scalar

/** registry-1.docker.io for docker.io, as containerd's DefaultHost. */
function defaultHost(host: string): string {
  return host === "docker.io" ? "registry-1.docker.io" : host;
}

/** An endpoint as k3s normalizes it (pkg/agent/containerd/config.go normalizeEndpointAddress). */
function normalizeEndpoint(endpoint: string): { registry: string; url: string; overridePath: boolean } {
  const u = new URL(endpoint);
  const host = defaultHost(u.host);
  const registry = host === "registry-1.docker.io" ? "docker.io" : u.host;
  const custom = !["", "/", "/v2"].includes(u.pathname);
  return { registry, url: `${u.protocol}//${host}${custom ? u.pathname : "/v2"}`, overridePath: custom };
}

/** The registry's own endpoint (`server`): https, or http for localhost on another port than 443. */
function serverOf(registry: string): string {
  const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)$/.exec(registry);
  const scheme = local && local[2] !== ":443" ? "http" : "https";
  return `${scheme}://${defaultHost(registry)}/v2`;
}

function tlsLines(tls: Tls | undefined, indent: string): string[] {
  if (!tls) return [];
  return [
    ...(tls.ca_file ? [`${indent}ca = [${q(tls.ca_file)}]`] : []),
    ...(tls.cert_file && tls.key_file ? [`${indent}client = [[${q(tls.cert_file)}, ${q(tls.key_file)}]]`] : []),
    ...(tls.insecure_skip_verify ? [`${indent}skip_verify = true`] : []),
  ];
}

/**
 * containerd hosts.toml files (certs.d/<dir>/hosts.toml), one per mirrored or configured
 * registry, as k3s renders them from registries.yaml for its embedded containerd.
 */
export function renderRegistryHosts(r: Registries | undefined): Record<string, string> {
  const configs = r?.configs ?? {};
  const tlsFor = (host: string) => configs[host]?.tls ?? (host === "docker.io" ? configs["registry-1.docker.io"]?.tls : undefined);
  const out: Record<string, string> = {};
  const names = [...new Set([...Object.keys(r?.mirrors ?? {}), ...Object.keys(configs).filter((h) => tlsLines(configs[h]?.tls, "").length > 0)])].sort();
  for (const name of names) {
    const lines = [`${MANAGED_HEADER} from k3s.registries (k3s's registries.yaml). DO NOT EDIT.`];
    if (name !== "*") lines.push(`server = ${q(serverOf(name))}`, ...tlsLines(tlsFor(name), ""));
    const mirror = r?.mirrors?.[name];
    const seen = new Set<string>();
    for (const endpoint of mirror?.endpoint ?? []) {
      const e = normalizeEndpoint(endpoint);
      if (seen.has(e.url)) continue;
      seen.add(e.url);
      lines.push("", `[host.${q(e.url)}]`, `  capabilities = ["pull", "resolve"]`);
      if (e.overridePath) lines.push("  override_path = true");
      lines.push(...tlsLines(tlsFor(e.registry), "  "));
      const rewrites = Object.entries(mirror?.rewrite ?? {});
      if (rewrites.length) lines.push(`  [host.${q(e.url)}.rewrite]`, ...rewrites.map(([k, v]) => `    ${q(k)} = ${q(v)}`));
    }
    out[name === "*" ? "_default" : name] = lines.join("\n") + "\n";
  }
  return out;
}

/** /etc/rancher/k3s/registries.yaml as k3s keeps it (mirrors, configs), from the same settings. */
export function renderRegistriesYaml(r: Registries): string {
  const lines = [`${MANAGED_HEADER}: k3s reads it only for its embedded containerd; the mirrors are in ${CONTAINERD_CERTS_DIR}.`];
  const mirrors = Object.entries(r.mirrors ?? {});
  if (mirrors.length) {
    lines.push("mirrors:");
    for (const [name, m] of mirrors) {
      lines.push(`  ${q(name)}:`, "    endpoint:", ...m.endpoint.map((e) => `      - ${q(e)}`));
      const rw = Object.entries(m.rewrite ?? {});
      if (rw.length) lines.push("    rewrite:", ...rw.map(([k, v]) => `      ${q(k)}: ${q(v)}`));
    }
  }
  const configs = Object.entries(r.configs ?? {});
  if (configs.length) {
    lines.push("configs:");
    for (const [name, c] of configs) {
      const tls = c.tls ? Object.entries(c.tls) : undefined;
      if (!tls) lines.push(`  ${q(name)}: {}`);
      else if (!tls.length) lines.push(`  ${q(name)}:`, "    tls: {}");
      else lines.push(`  ${q(name)}:`, "    tls:", ...tls.map(([k, v]) => `      ${k}: ${typeof v === "boolean" ? String(v) : q(v)}`));
    }
  }
  return lines.join("\n") + "\n";
}

export interface ContainerdConfigOptions {
  /** The sandbox image (normalized). */
  pauseImage: string;
  cniBinDir: string;
  /** Whether registry hosts files are written (config_path set). */
  registryHosts: boolean;
}

/**
 * /etc/containerd/config.toml for containerd 1.6/1.7 (version 2). Everything not set here keeps
 * containerd's compiled-in default, as in the stock file.
 */
export function renderContainerdConfig(o: ContainerdConfigOptions): string {
  return [
    `${MANAGED_HEADER} (configure-containerd.sh): containerd set up for the k3s agent.`,
    "# A hand edit shows as drift on `pulumi refresh` and the next `pulumi up` puts this file back;",
    "# the file it replaced is kept as config.toml.k3s-daas-orig and restored on uninstall.",
    "version = 2",
    "",
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = ${q(o.pauseImage)}`,
    "# No container's OOM score below containerd's own. A no-op where containerd runs at Debian's",
    "# OOMScoreAdjust=-999 (the kubelet asks for -998 at the lowest); where it cannot (a host that",
    "# is itself a container: LXC, systemd-nspawn, no CAP_SYS_RESOURCE) runc would otherwise fail",
    "# every pod sandbox with \"can't get final child's PID from pipe\".",
    "  restrict_oom_score_adj = true",
    "",
    "# Where k3s puts the CNI plugins for its release and flannel writes its config.",
    '[plugins."io.containerd.grpc.v1.cri".cni]',
    `  bin_dir = ${q(o.cniBinDir)}`,
    `  conf_dir = ${q(K3S_CNI_CONF_DIR)}`,
    "",
    "# cgroupfs, as the kubelet k3s runs next to an external containerd (pkg/daemons/agent/agent_linux.go).",
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '  runtime_type = "io.containerd.runc.v2"',
    "",
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    "  SystemdCgroup = false",
    ...(o.registryHosts ? ["", "# Registry mirrors: one hosts.toml per registry.", '[plugins."io.containerd.grpc.v1.cri".registry]', `  config_path = ${q(CONTAINERD_CERTS_DIR)}`] : []),
    "",
    "# As Debian's own file has it (containerd's compiled-in /opt/containerd is not where Debian keeps state).",
    '[plugins."io.containerd.internal.v1.opt"]',
    '  path = "/var/lib/containerd/opt"',
    "",
  ].join("\n");
}

export interface RuntimeSetup {
  runtime: "containerd" | "docker";
  /** config.toml (containerd only). */
  containerdConfig?: string;
  /** certs.d directory name -> hosts.toml. */
  registryHosts: Record<string, string>;
  registriesYaml?: string;
  /** Tarballs already uploaded to the airgap dir, by file name, with their sha256. */
  images: readonly { file: string; sha256: string }[];
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** configure-containerd.sh's stdin: one item a line, file contents in base64. */
export function runtimeSetupManifest(s: RuntimeSetup): string {
  return [
    ...(s.containerdConfig !== undefined ? [`config ${b64(s.containerdConfig)}`] : []),
    ...Object.entries(s.registryHosts).map(([dir, text]) => `hosts ${dir} ${b64(text)}`),
    ...(s.registriesYaml !== undefined ? [`registries ${b64(s.registriesYaml)}`] : []),
    ...s.images.map((i) => `image ${i.sha256} ${i.file}`),
  ].join("\n") + "\n";
}
