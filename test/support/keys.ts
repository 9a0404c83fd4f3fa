// Keys for tests, made at run time: no key material is ever committed.
import { generateKeyPairSync } from "node:crypto";

/** A real ed25519 private key (PKCS#8 PEM) and its secret body line, for leak checks. */
export function runtimeSshKey(): { pem: string; body: string } {
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  return { pem, body: pem.split("\n")[1]! };
}
