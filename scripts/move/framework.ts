// The Sui framework sources (MoveStdlib and Sui) the Move package compiles against, taken from
// the crates.io crate `moverox-sui`, which ships them under move/move-stdlib and
// move/sui-framework. Fetched once with cargo (a throwaway manifest + `cargo fetch`), checked,
// and copied into ~/.cache/k3s-daas by crate version. Nothing of it is committed.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";

/** The crate and its exact version. Newest on crates.io when pinned (checked 2026-12-02). */
export const FRAMEWORK_CRATE = "moverox-sui";
export const FRAMEWORK_CRATE_VERSION = "0.4.0";
/**
 * The Sui release its sources were copied from: moverox's move/pull-packages.sh at the crate's
 * commit says SUI_TAG=mainnet-v1.64.2 (the crate itself does not record it; 0.2.2 and 0.4.0
 * carry identical Move sources).
 */
export const FRAMEWORK_SUI_TAG = "mainnet-v1.64.2";

export const FRAMEWORK_PACKAGES = ["move-stdlib", "sui-framework"] as const;
export type FrameworkPackage = (typeof FRAMEWORK_PACKAGES)[number];

const cacheRoot = () => process.env.K3S_DAAS_CACHE ?? join(homedir(), ".cache", "k3s-daas");
export const frameworkDir = () => join(cacheRoot(), `sui-framework-${FRAMEWORK_CRATE}-${FRAMEWORK_CRATE_VERSION}`);
const MARKER = ".complete";

/** Files of one framework package as { relative path: text } (Move.toml and .move sources). */
export function readFrameworkPackage(pkg: FrameworkPackage): Record<string, string> {
  return readTree(join(ensureFramework(), pkg));
}

export function readTree(root: string, keep: (rel: string) => boolean = isPackageFile): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const rel = relative(root, p);
        if (keep(rel)) out[rel] = readFileSync(p, "utf8");
      }
    }
  };
  walk(root);
  return out;
}

const isPackageFile = (rel: string) => rel === "Move.toml" || rel.endsWith(".move");

/** The cached framework directory; fetches and verifies it first when missing. Idempotent. */
export function ensureFramework(log: (m: string) => void = () => undefined): string {
  const dir = frameworkDir();
  if (existsSync(join(dir, MARKER))) return dir;
  log(`[move] fetching ${FRAMEWORK_CRATE} ${FRAMEWORK_CRATE_VERSION} from crates.io with cargo`);
  const crate = fetchCrate();
  const work = `${dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  for (const pkg of FRAMEWORK_PACKAGES) {
    const src = join(crate, "move", pkg);
    if (!existsSync(src)) throw new Error(`${FRAMEWORK_CRATE} ${FRAMEWORK_CRATE_VERSION} has no move/${pkg} (looked in ${crate})`);
    cpSync(src, join(work, pkg), { recursive: true, filter: (p) => statSync(p).isDirectory() || isPackageFile(relative(src, p)) });
  }
  const digest = verify(work);
  writeFileSync(join(work, MARKER), `${FRAMEWORK_CRATE} ${FRAMEWORK_CRATE_VERSION} (Sui ${FRAMEWORK_SUI_TAG}) sha256 ${digest}\n`);
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  log(`[move] framework sources cached in ${dir}`);
  return dir;
}

/** cargo on PATH, else rustup's default place (npm scripts may run without ~/.cargo/bin on PATH). */
function cargoBin(): string {
  const rustup = join(homedir(), ".cargo", "bin", "cargo");
  try {
    execFileSync("cargo", ["--version"], { stdio: "ignore" });
    return "cargo";
  } catch {
    return existsSync(rustup) ? rustup : "cargo";
  }
}

/** `cargo fetch` on a throwaway manifest, then `cargo metadata` to find the unpacked crate. */
function fetchCrate(): string {
  const manifestDir = join(cacheRoot(), `.cargo-fetch-${FRAMEWORK_CRATE}-${FRAMEWORK_CRATE_VERSION}`);
  mkdirSync(join(manifestDir, "src"), { recursive: true });
  writeFileSync(join(manifestDir, "Cargo.toml"),
    `[package]\nname = "k3s-daas-framework-fetch"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n` +
    `[dependencies]\n${FRAMEWORK_CRATE} = "=${FRAMEWORK_CRATE_VERSION}"\n`);
  writeFileSync(join(manifestDir, "src", "lib.rs"), "");
  const manifest = join(manifestDir, "Cargo.toml");
  const cargo = cargoBin();
  try {
    execFileSync(cargo, ["fetch", "--manifest-path", manifest], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === "ENOENT") throw new Error("cargo is not installed: it is needed once to fetch the Sui framework sources from crates.io");
    throw new Error(`cargo fetch of ${FRAMEWORK_CRATE} ${FRAMEWORK_CRATE_VERSION} failed:\n${err.stderr?.toString() ?? e}`);
  }
  const meta = JSON.parse(execFileSync(cargo, ["metadata", "--format-version", "1", "--manifest-path", manifest, "--offline"],
    { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 }).toString()) as { packages: { name: string; version: string; manifest_path: string }[] };
  const pkg = meta.packages.find((p) => p.name === FRAMEWORK_CRATE && p.version === FRAMEWORK_CRATE_VERSION);
  if (!pkg) throw new Error(`cargo metadata does not list ${FRAMEWORK_CRATE} ${FRAMEWORK_CRATE_VERSION}`);
  return dirname(pkg.manifest_path);
}

/** The crate must hold what the compiler needs: both packages, named as the Sui repo names them. */
function verify(dir: string): string {
  const need: [FrameworkPackage, string, string[]][] = [
    ["move-stdlib", 'name = "MoveStdlib"', ["sources/string.move", "sources/option.move", "sources/vector.move"]],
    ["sui-framework", 'name = "Sui"', ["sources/object.move", "sources/coin.move", "sources/table.move", "sources/test/test_scenario.move"]],
  ];
  const h = createHash("sha256");
  for (const [pkg, name, files] of need) {
    const toml = readFileSync(join(dir, pkg, "Move.toml"), "utf8");
    if (!toml.includes(name)) throw new Error(`${FRAMEWORK_CRATE} ${FRAMEWORK_CRATE_VERSION}: move/${pkg}/Move.toml does not declare ${name}`);
    for (const f of files) if (!existsSync(join(dir, pkg, f))) throw new Error(`${FRAMEWORK_CRATE} ${FRAMEWORK_CRATE_VERSION}: move/${pkg}/${f} is missing`);
    for (const [rel, text] of Object.entries(readTree(join(dir, pkg)))) h.update(`${pkg}/${rel}\0${text}\0`);
  }
  if (!readFileSync(join(dir, "sui-framework", "Move.toml"), "utf8").includes('MoveStdlib = { local = "../move-stdlib" }')) {
    throw new Error(`${FRAMEWORK_CRATE} ${FRAMEWORK_CRATE_VERSION}: sui-framework does not depend on ../move-stdlib`);
  }
  return h.digest("hex");
}
