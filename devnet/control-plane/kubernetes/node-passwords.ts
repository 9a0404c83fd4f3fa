// Node passwords, as k3s keeps them (a `<node>.node-password.k3s` secret holding a scrypt hash):
// the first successful certificate request for a node name records the hash of the password the
// agent sent (/etc/rancher/node/password on its host); later requests for that name must send
// the same one. Only hashes are kept, in a 0600 file in the data dir, so a restart keeps them.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;

export class NodePasswords {
  private readonly hashes = new Map<string, string>();

  constructor(private readonly file: string) {
    if (existsSync(file)) {
      const j = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
      for (const [k, v] of Object.entries(j)) this.hashes.set(k, v);
    }
  }

  /** True when `password` is the node's recorded one, or none is recorded yet (then it is). */
  async verifyOrRecord(node: string, password: string): Promise<boolean> {
    const known = this.hashes.get(node);
    if (known) {
      const [saltHex, hashHex] = known.split(":");
      const want = Buffer.from(hashHex ?? "", "hex");
      const got = await scryptAsync(password, Buffer.from(saltHex ?? "", "hex"), want.length || 32);
      return want.length > 0 && timingSafeEqual(want, got);
    }
    const salt = randomBytes(16);
    const hash = await scryptAsync(password, salt, 32);
    // Two first requests racing: the first to get here wins, the other is checked against it.
    if (this.hashes.has(node)) return this.verifyOrRecord(node, password);
    this.hashes.set(node, `${salt.toString("hex")}:${hash.toString("hex")}`);
    this.save();
    return true;
  }

  /** A node that left (deregistered) or moved to a new host joins afresh with a new password. */
  forget(node: string): void {
    if (this.hashes.delete(node)) this.save();
  }

  has(node: string): boolean {
    return this.hashes.has(node);
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.hashes)), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
