// The cluster's PKI, laid out and named as k3s's server lays it out (pkg/daemons/control/deps):
// a server CA (serving certificates; its PEM is what /cacerts serves and the join token pins), a
// client CA (every client certificate the apiserver accepts), a request-header CA (the front
// proxy's certificate, i.e. the supervisor's), an etcd CA, and the service-account key. Keys are
// EC P-256 as k3s makes them, written 0600 from the start (made with node:crypto so no file ever
// exists with a wider mode); certificates are made and signed with the openssl CLI, in the style
// of devnet/chain/certificates.ts. Everything is loaded when already present, so a restart with
// the same dataDir keeps the CA (and with it the token's hash and every issued certificate).
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const CA_DAYS = 3650;
const LEAF_DAYS = 365;

/** A certificate and its key, as files. */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  serverCa: CertFiles;
  clientCa: CertFiles;
  requestHeaderCa: CertFiles;
  etcdCa: CertFiles;
  /** Service-account signing key (private; the apiserver derives the public half). */
  serviceKey: string;
  /** kube-apiserver's serving certificate (server CA), also the supervisor's. */
  servingApiserver: CertFiles;
  servingControllerManager: CertFiles;
  servingScheduler: CertFiles;
  /** The apiserver's certificate towards kubelets (client CA, system:masters as in k3s). */
  clientKubeApiserver: CertFiles;
  clientAdmin: CertFiles;
  clientController: CertFiles;
  clientScheduler: CertFiles;
  clientKubeProxy: CertFiles;
  /** The supervisor's front-proxy certificate: CN system:auth-proxy, request-header CA. */
  clientAuthProxy: CertFiles;
  etcdServer: CertFiles;
  etcdClient: CertFiles;
}

/** k3s's RequestHeaderCN: the only name the apiserver accepts request headers from. */
export const REQUEST_HEADER_CN = "system:auth-proxy";

/** A fresh EC P-256 key in SEC1 PEM ("EC PRIVATE KEY", as k3s writes them), mode 0600. */
export function writeNewKey(path: string): void {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  writeFileSync(path, privateKey.export({ format: "pem", type: "sec1" }) as string, { mode: 0o600, flag: "wx" });
}

function subject(cn: string, orgs: string[] = []): string {
  // -subj treats "/" and "=" (and "\\", "+") as syntax; every name here is a fixed string or a
  // DNS-1123 node name, but refuse anything else rather than escape it.
  for (const v of [cn, ...orgs]) {
    if (!/^[A-Za-z0-9:._@ -]+$/.test(v)) throw new Error(`unsafe certificate name ${JSON.stringify(v)}`);
  }
  return orgs.map((o) => `/O=${o}`).join("") + `/CN=${cn}`;
}

function sanLine(sans: string[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const s of sans) {
    if (seen.has(s)) continue;
    seen.add(s);
    if (isIP(s)) parts.push(`IP:${s}`);
    else if (/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(s)) parts.push(`DNS:${s}`);
    else throw new Error(`unsafe subject alternative name ${JSON.stringify(s)}`);
  }
  return parts.length ? `subjectAltName=${parts.join(",")}\n` : "";
}

type Usage = "ca" | "client" | "server" | "server-client";

function extensions(usage: Usage, sans: string[]): string {
  if (usage === "ca") {
    return "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyEncipherment,keyCertSign\nsubjectKeyIdentifier=hash\n";
  }
  const eku = usage === "client" ? "clientAuth" : usage === "server" ? "serverAuth" : "serverAuth,clientAuth";
  return "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
    + `extendedKeyUsage=${eku}\nauthorityKeyIdentifier=keyid\n` + sanLine(sans);
}

/**
 * Signs a certificate for `keyFile` with the CA (or self-signed when `ca` is absent) into
 * `certFile`. The serial is random per certificate: no shared serial file, so concurrent
 * issuance (two agents joining at once) cannot race on it.
 */
async function sign(opts: {
  keyFile: string; certFile: string; cn: string; orgs?: string[]; usage: Usage; sans?: string[]; ca?: CertFiles; days: number;
}): Promise<void> {
  const tmp = mkdtempSync(join(opts.ca ? join(opts.ca.cert, "..") : join(opts.certFile, ".."), ".sign-"));
  try {
    const csr = join(tmp, "req.csr"), ext = join(tmp, "ext.cnf");
    writeFileSync(ext, extensions(opts.usage, opts.sans ?? []));
    await run("openssl", ["req", "-new", "-key", opts.keyFile, "-subj", subject(opts.cn, opts.orgs), "-out", csr]);
    const signer = opts.ca ? ["-CA", opts.ca.cert, "-CAkey", opts.ca.key] : ["-signkey", opts.keyFile];
    const serial = "0x" + randomBytes(16).toString("hex");
    await run("openssl", [
      "x509", "-req", "-in", csr, ...signer, "-set_serial", serial, "-days", String(opts.days), "-extfile", ext,
      "-sha256", "-out", opts.certFile,
    ]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function ensure(dir: string, name: string, spec: Omit<Parameters<typeof sign>[0], "keyFile" | "certFile" | "days">): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  if (existsSync(files.cert) && existsSync(files.key)) return files;
  rmSync(files.key, { force: true });
  writeNewKey(files.key);
  await sign({ ...spec, keyFile: files.key, certFile: files.cert, days: spec.usage === "ca" ? CA_DAYS : LEAF_DAYS });
  return files;
}

/** The serving names of the apiserver and the supervisor (k3s's, plus the given ones). */
export function servingSans(serviceIp: string, extra: string[]): string[] {
  return [
    "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
    "localhost", "127.0.0.1", serviceIp, ...extra,
  ];
}

/** Loads or creates the whole server-side PKI under `dir` (k3s's server/tls). */
export async function ensurePki(dir: string, opts: { sans: string[] }): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = Math.floor(Date.now() / 1000);
  const serverCa = await ensure(dir, "server-ca", { cn: `k3s-server-ca@${now}`, usage: "ca" });
  const clientCa = await ensure(dir, "client-ca", { cn: `k3s-client-ca@${now}`, usage: "ca" });
  const requestHeaderCa = await ensure(dir, "request-header-ca", { cn: `k3s-request-header-ca@${now}`, usage: "ca" });
  const etcdCa = await ensure(dir, "etcd-server-ca", { cn: `etcd-server-ca@${now}`, usage: "ca" });
  const serviceKey = join(dir, "service.key");
  if (!existsSync(serviceKey)) writeNewKey(serviceKey);
  const client = (name: string, cn: string, orgs: string[] = []) => ensure(dir, name, { cn, orgs, usage: "client", ca: clientCa });
  const loopback = ["127.0.0.1", "localhost"];
  // The supervisor's address may change between runs (another bridge): reissue the serving
  // certificate when its names are not the ones asked for.
  const servingApiserver = { cert: join(dir, "serving-kube-apiserver.crt"), key: join(dir, "serving-kube-apiserver.key") };
  const sansFile = join(dir, "serving-kube-apiserver.sans");
  const wanted = JSON.stringify(opts.sans);
  if (!existsSync(sansFile) || readFileSync(sansFile, "utf8") !== wanted) rmSync(servingApiserver.cert, { force: true });
  await ensure(dir, "serving-kube-apiserver", { cn: "kube-apiserver", usage: "server", sans: opts.sans, ca: serverCa });
  writeFileSync(sansFile, wanted);
  return {
    dir,
    serverCa,
    clientCa,
    requestHeaderCa,
    etcdCa,
    serviceKey,
    servingApiserver,
    servingControllerManager: await ensure(dir, "serving-kube-controller", { cn: "kube-controller-manager", usage: "server", sans: loopback, ca: serverCa }),
    servingScheduler: await ensure(dir, "serving-kube-scheduler", { cn: "kube-scheduler", usage: "server", sans: loopback, ca: serverCa }),
    clientKubeApiserver: await client("client-kube-apiserver", "system:kube-apiserver", ["system:masters"]),
    clientAdmin: await client("client-admin", "system:admin", ["system:masters"]),
    clientController: await client("client-controller", "system:kube-controller-manager"),
    clientScheduler: await client("client-scheduler", "system:kube-scheduler"),
    clientKubeProxy: await client("client-kube-proxy", "system:kube-proxy"),
    clientAuthProxy: await ensure(dir, "client-auth-proxy", { cn: REQUEST_HEADER_CN, usage: "client", ca: requestHeaderCa }),
    etcdServer: await ensure(dir, "etcd-server", { cn: "etcd-server", usage: "server-client", sans: loopback, ca: etcdCa }),
    etcdClient: await ensure(dir, "etcd-client", { cn: "etcd-client", usage: "client", ca: etcdCa }),
  };
}

/** A certificate issued on demand (a node's): PEM strings, never written outside a temp dir. */
export interface IssuedCert {
  certPem: string;
  keyPem: string;
}

/** Issues a fresh key and certificate signed by `ca`; the temp files are removed at once. */
export async function issue(ca: CertFiles, spec: { cn: string; orgs?: string[]; usage: "client" | "server"; sans?: string[] }): Promise<IssuedCert> {
  const tmp = mkdtempSync(join(ca.cert, "..", ".issue-"));
  try {
    const keyFile = join(tmp, "leaf.key"), certFile = join(tmp, "leaf.crt");
    writeNewKey(keyFile);
    await sign({ ...spec, keyFile, certFile, ca, days: LEAF_DAYS });
    return { certPem: readFileSync(certFile, "utf8"), keyPem: readFileSync(keyFile, "utf8") };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
