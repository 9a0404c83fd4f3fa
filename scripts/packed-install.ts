// The package as another program gets it: `npm pack` (its prepack builds it), then installed into
// that program from the tarball. The program gets a package-lock.json with every package at the
// version this checkout's own lock pins and the tarball as a file: dependency, so `npm ci
// --offline` installs from npm's cache alone (the checkout's `npm ci` filled it): without a lock
// npm would want the registry's full metadata for every dependency, which `npm ci` does not cache.
// No install scripts: the command plugin is this machine's build (setup), never a download.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** `npm pack` of the checkout into `dest`; returns the tarball's path. */
export function packPackage(checkout: string, dest: string): string {
  const { version } = JSON.parse(readFileSync(join(checkout, "package.json"), "utf8")) as { version: string };
  execFileSync("npm", ["pack", "--silent", "--pack-destination", dest], { cwd: checkout, stdio: ["ignore", "ignore", "inherit"] });
  const tarball = join(dest, `k3s-daas-fleet-${version}.tgz`);
  if (!existsSync(tarball)) throw new Error(`npm pack made no ${tarball}`);
  return tarball;
}

/** Installs `tarball` into the program at `appDir` (its package.json names it), offline. */
export function installPacked(checkout: string, appDir: string, tarball: string): void {
  const pkgFile = join(appDir, "package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { dependencies: Record<string, string> };
  pkg.dependencies["k3s-daas-fleet"] = `file:${tarball}`;
  writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  writeExampleLock(checkout, appDir, `file:${tarball}`);
  execFileSync("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: appDir, stdio: ["ignore", "ignore", "inherit"] });
}

interface LockEntry { version?: string; resolved?: string; dev?: boolean; devOptional?: boolean; dependencies?: Record<string, string>; [k: string]: unknown }

function writeExampleLock(checkout: string, appDir: string, tarballSpec: string): void {
  const lock = JSON.parse(readFileSync(join(checkout, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const lib = JSON.parse(readFileSync(join(checkout, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string> };
  const app = JSON.parse(readFileSync(join(appDir, "package.json"), "utf8")) as { name: string; version: string; dependencies: Record<string, string>; devDependencies?: Record<string, string> };
  const packages: Record<string, LockEntry> = {
    "": { name: app.name, version: app.version, dependencies: app.dependencies, devDependencies: app.devDependencies ?? {} },
    // No integrity for a file: tarball: a repacked one installs without a new lock.
    "node_modules/k3s-daas-fleet": { version: lib.version, resolved: tarballSpec, dependencies: lib.dependencies },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || entry.dev) continue;
    const { dev: _d, devOptional: _o, ...rest } = entry;
    packages[path] = rest;
  }
  writeFileSync(join(appDir, "package-lock.json"), JSON.stringify({ name: app.name, version: app.version, lockfileVersion: 3, requires: true, packages }, null, 2) + "\n");
}
