// A private CA and a certificate it signed for one IP address, made with openssl: what an
// operator's own PKI gives a private full node. Stand-in material for TLS tests and the TLS
// front of the devnet (StartDevnetOptions.tls); throwaway keys, never for anything real.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificates {
  /** Path of the CA's PEM certificate (what a client is told to trust). */
  ca: string;
  /** The node's private key and certificate, PEM. */
  key: string;
  cert: string;
}

/** Makes the CA and the certificate for `ip` in `dir` (files ca.pem, node.key, node.pem). */
export function makeCertificates(dir: string, ip = "127.0.0.1"): TestCertificates {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=k3s-daas test CA");
  run("req", ...ec, "-keyout", "node.key", "-out", "node.csr", "-subj", `/CN=${ip}`);
  writeFileSync(join(dir, "san.ext"), `subjectAltName=IP:${ip}\n`);
  run("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "node.pem", "-days", "2", "-extfile", "san.ext");
  return { ca: join(dir, "ca.pem"), key: readFileSync(join(dir, "node.key"), "utf8"), cert: readFileSync(join(dir, "node.pem"), "utf8") };
}
