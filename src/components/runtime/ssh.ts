// SSH for the dynamic providers (node-ssh), with the host key pinned: every connection accepts
// only the key recorded for the host (given in config or recorded on first use), and a host
// presenting another key is refused with both fingerprints, never reconnected to silently.
// Steps that need root run through `sudo -n` when the SSH user is not root.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { z } from "zod";

/** "type base64" of an OpenSSH public key (authorized_keys / known_hosts form, no comment). */
export const hostKeySchema = z
  .string()
  .transform((s) => s.trim().split(/\s+/).slice(0, 2).join(" "))
  .superRefine((s, ctx) => {
    if (!/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,3}$/.test(s)) {
      ctx.addIssue({ code: "custom", message: "must be an OpenSSH public host key: \"ssh-ed25519 AAAA...\"" });
    } else if (keyTypeOf(Buffer.from(s.split(" ")[1] ?? "", "base64")) !== s.split(" ")[0]) {
      ctx.addIssue({ code: "custom", message: "the key's type does not match its data" });
    }
  });

/** The inputs every node-ssh resource takes to reach its host (HostState, NodeRuntime). */
export const sshTargetShape = {
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1),
  /** SSH private key; must be a secret. */
  privateKey: z.string().includes("PRIVATE KEY", { message: "must be a PEM/OpenSSH private key" }),
  /** The host's pinned SSH host key ("type base64"); a host presenting another is refused. */
  hostKey: hostKeySchema,
  /** Destroy skips the host steps of a host that does not answer (after retries). Default false. */
  allowUnreachableHost: z.boolean(),
  /** SSH attempts before a host counts as unreachable. */
  connectRetries: z.number().int().min(1),
};

export interface SshTarget {
  /** Node id, to name the host in errors. */
  nodeId: string;
  host: string;
  port: number;
  user: string;
  privateKey: string;
  /** The pinned host key, "type base64". */
  hostKey: string;
}

/** The type named inside an SSH public key blob (its first string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return "";
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString("latin1");
}

/** OpenSSH's SHA256 fingerprint of a key ("SHA256:..." as `ssh-keygen -lf` prints it). */
export function fingerprint(hostKey: string): string {
  const blob = Buffer.from(hostKey.split(" ")[1] ?? "", "base64");
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Host-key algorithms that can present a key of this type (RSA keys sign with SHA-2 too). */
export function algorithmsFor(keyType: string): string[] {
  return keyType === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [keyType];
}

export class HostKeyMismatchError extends Error {
  override name = "HostKeyMismatchError";
  constructor(nodeId: string, host: string, port: number, expected: string, presented: string) {
    super(
      `host ${nodeId} (${host}:${port}) presented SSH host key ${fingerprint(presented)} (${presented.split(" ")[0]}), ` +
        `but ${fingerprint(expected)} (${expected.split(" ")[0]}) is pinned for it. Refusing to connect: the host was ` +
        `replaced or someone is in between. If the change is intended, set hosts[].hostKey to the new key ` +
        `(ssh-keyscan -t ${presented.split(" ")[0]} ${host}) and run up again.`,
    );
  }
}

export class UnreachableHostError extends Error {
  override name = "UnreachableHostError";
}

/**
 * The host key a server presents (trust on first use records it). With `keyType`, only that
 * type is asked for. No authentication takes place: the handshake stops at the host key.
 */
export async function scanHostKey(host: string, port: number, keyType?: string, timeoutMs = 10_000): Promise<string> {
  const { NodeSSH } = require("node-ssh") as typeof import("node-ssh");
  const ssh = new NodeSSH();
  let seen: string | undefined;
  try {
    await ssh.connect({
      host,
      port,
      username: "k3s-daas-hostkey-scan",
      readyTimeout: timeoutMs,
      ...(keyType ? { algorithms: { serverHostKey: algorithmsFor(keyType) as never } } : {}),
      hostVerifier: (key: Buffer) => {
        seen = `${keyTypeOf(key)} ${key.toString("base64")}`;
        return false; // stop here: only the key was wanted
      },
    });
  } catch (err) {
    if (seen) return seen;
    throw new UnreachableHostError(`no SSH host key from ${host}:${port}${keyType ? ` of type ${keyType}` : ""}: ${(err as Error).message}`);
  } finally {
    ssh.dispose();
  }
  throw new Error(`${host}:${port} accepted a connection without showing its host key`);
}

export interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a shell command on the host as root; stdin a string or a stream (e.g. a tarball). */
export type Run = (cmd: string, stdin?: string | Readable) => Promise<Exec>;

/** `cmd` as root: as is for root, else through passwordless sudo (never prompting). */
export function asRoot(user: string, cmd: string): string {
  return user === "root" ? cmd : `sudo -n sh -c ${shellQuote(cmd)}`;
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/**
 * Connects with the pinned host key (retrying `retries` times on network errors, never on a
 * key mismatch) and runs `fn` with a root shell runner.
 */
export async function withSsh<T>(t: SshTarget, retries: number, fn: (run: Run) => Promise<T>): Promise<T> {
  const { NodeSSH } = require("node-ssh") as typeof import("node-ssh");
  const keyType = t.hostKey.split(" ")[0]!;
  let lastErr: unknown;
  for (let attempt = 1; attempt <= retries; attempt++) {
    const ssh = new NodeSSH();
    let presented: string | undefined;
    try {
      await ssh.connect({
        host: t.host,
        port: t.port,
        username: t.user,
        privateKey: t.privateKey,
        readyTimeout: 10_000,
        algorithms: { serverHostKey: algorithmsFor(keyType) as never },
        hostVerifier: (key: Buffer) => {
          presented = `${keyTypeOf(key)} ${key.toString("base64")}`;
          return presented === t.hostKey;
        },
      });
    } catch (err) {
      ssh.dispose();
      if (presented !== undefined && presented !== t.hostKey) throw new HostKeyMismatchError(t.nodeId, t.host, t.port, t.hostKey, presented);
      lastErr = err;
      if (attempt < retries) await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 5000)));
      continue;
    }
    try {
      return await fn(async (cmd, stdin) => {
        const r = await ssh.execCommand(asRoot(t.user, cmd), stdin === undefined ? {} : { stdin });
        return { code: r.code, stdout: r.stdout, stderr: r.stderr };
      });
    } finally {
      ssh.dispose();
    }
  }
  throw new UnreachableHostError(`host ${t.nodeId} (${t.user}@${t.host}:${t.port}) did not answer SSH after ${retries} attempts: ${(lastErr as Error)?.message ?? lastErr}`);
}
