// The worker's own ed25519 identity. Generated on the host, stored 0600; only the public key
// ever leaves (printed by `keygen`, minted into the seal token by the operator's pulumi up).
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { publicKeyToBase64, signString } from "./protocol";

export interface WorkerIdentity {
  /** base64 of the raw 32-byte public key, as stored in the seal token. */
  readonly publicKey: string;
  sign(message: string): string;
  /** True when this start created the key file. */
  readonly created: boolean;
}

function fromPrivate(priv: KeyObject, created: boolean): WorkerIdentity {
  const publicKey = publicKeyToBase64(createPublicKey(priv));
  // The KeyObject is kept in a closure only: no property exposes key material to a logger.
  return { publicKey, created, sign: (m) => signString(priv, m) };
}

/** Load the worker key, creating it (0600, parent 0700) when absent. */
export function loadOrCreateIdentity(path: string): WorkerIdentity {
  let pem: string | undefined;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (pem !== undefined) {
    // A key others can read is a leaked key; tighten rather than refuse so a restore from
    // backup does not brick the node, and say so via the returned flag-less path.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    let priv: KeyObject;
    try {
      priv = createPrivateKey(pem);
    } catch {
      throw new Error(`worker key file ${path} is not a PEM private key`);
    }
    if (priv.asymmetricKeyType !== "ed25519") throw new Error(`worker key file ${path} is not an ed25519 key`);
    return fromPrivate(priv, false);
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync("ed25519");
  const out = privateKey.export({ format: "pem", type: "pkcs8" }) as string;
  // wx: never clobber a key another process created between our read and write.
  writeFileSync(path, out, { mode: 0o600, flag: "wx" });
  return fromPrivate(privateKey, true);
}
