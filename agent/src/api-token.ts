// The bearer token for the agent's mutating endpoints lives in a 0600 file. The installer
// writes it; when absent (manual installs, tests) the agent creates one so the POSTs are never
// left open.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export function loadOrCreateApiToken(path: string): string {
  try {
    const token = readFileSync(path, "utf8").trim();
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    if (token.length < 16) throw new Error(`API token file ${path} holds fewer than 16 characters`);
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("hex");
  writeFileSync(path, token + "\n", { mode: 0o600, flag: "wx" });
  return token;
}

/** Constant-time check of an Authorization header against the token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  // Hash both sides so the compare is constant-time regardless of the presented length.
  const a = createHash("sha256").update(m?.[1] ?? "").digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b) && m !== null;
}
