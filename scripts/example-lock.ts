// A package-lock.json for a program that installs the packed k3s-daas-fleet tarball: every
// package at the version this checkout's own lock pins, the tarball as a file: dependency. With it
// `npm ci --offline` installs from npm's cache alone (the checkout's `npm ci` filled it): without a
// lock npm would want the registry's full metadata for every dependency, which `npm ci` does not cache.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface LockEntry { version?: string; resolved?: string; dev?: boolean; devOptional?: boolean; dependencies?: Record<string, string>; [k: string]: unknown }

export function writeExampleLock(checkout: string, appDir: string, tarballSpec: string): void {
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
