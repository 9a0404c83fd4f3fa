// keypairFromSecret: accepts sui keytool's bech32 export, refuses anything else without ever
// echoing the input (error messages reach logs and Pulumi output).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Ed25519Keypair } from "@mysten/sui/keypairs/ed25519";
import { Secp256k1Keypair } from "@mysten/sui/keypairs/secp256k1";
import { keypairFromSecret } from "../../src/sui/index.js";

test("keypairFromSecret round-trips an ed25519 suiprivkey", () => {
  const kp = Ed25519Keypair.generate();
  assert.equal(keypairFromSecret(kp.getSecretKey()).toSuiAddress(), kp.toSuiAddress());
});

test("keypairFromSecret errors never contain the input", () => {
  const good = Ed25519Keypair.generate().getSecretKey();
  const corrupted = good.slice(0, -3) + (good.endsWith("qqq") ? "ppp" : "qqq");
  const bad = [corrupted, "0x" + "ab".repeat(32), good.slice(0, 30), Secp256k1Keypair.generate().getSecretKey()];
  for (const input of bad) {
    assert.throws(() => keypairFromSecret(input), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.ok(!e.message.includes(input), "message must not echo the key");
      assert.ok(!e.message.includes(input.slice(11, 30)), "message must not echo part of the key");
      return true;
    });
  }
});
