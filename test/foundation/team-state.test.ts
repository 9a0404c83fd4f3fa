// Team state: two operators, each with their own checkout of the project and their own Pulumi home
// (two machines), run `pulumi up` on one stack at once against Pulumi's PostgreSQL state backend
// (`postgres://`, the diy backend's postgres scheme) on a real PostgreSQL server: Debian's, unpacked
// by scripts/setup-postgresql.sh and started here from initdb in a temporary directory, on
// loopback only, and stopped by its PID. The second up is refused by the stack's lock, and the
// refusal names the holder; the first completes; the state, read from the database's table, holds
// the resource once; a third up changes nothing. And where the database password ends up: in
// plain text in the Pulumi home when it is in the URL, nowhere when it comes from PGPASSWORD.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir, userInfo } from "node:os";
import { join, relative, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack, type UpResult } from "@pulumi/pulumi/automation";
import { freePort } from "../support/sshd";
import { waitFor } from "../support/wait";

const ROOT = resolve(__dirname, "../..");
const PROGRAM = resolve(__dirname, "../fixtures/team-state-program");
const PROJECT = "team-state";
const STACK = "fleet";
const DB = "fleet_state";
const TEAM_ROLE = "pulumi";
const TEAM_PASSWORD = randomBytes(12).toString("hex");
const ADMIN_PASSWORD = randomBytes(12).toString("hex");

interface Postgres {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Debian's PostgreSQL server from initdb in a temporary directory, listening on 127.0.0.1 only. */
async function startPostgres(cacheBin: string): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), "k3s-daas-pg-"));
  chmodSync(dir, 0o755);
  // initdb and postgres refuse to run as root. As root they run as nobody, which cannot reach
  // root's cache (~ is 0700), so they get their own links to the unpacked package (a copy when
  // the temporary directory is on another filesystem); the binaries find share/ and lib/ relative
  // to themselves.
  const asRoot = process.getuid?.() === 0;
  let bin = cacheBin;
  if (asRoot) {
    const usr = resolve(cacheBin, "../../../.."); // <cache>/postgresql-<version>/usr
    const own = join(dir, "usr");
    try {
      execFileSync("cp", ["-al", usr, own], { stdio: "pipe" });
    } catch {
      rmSync(own, { recursive: true, force: true });
      execFileSync("cp", ["-a", usr, own], { stdio: "pipe" });
    }
    bin = join(own, relative(usr, cacheBin));
  }
  const unprivileged = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ["setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", cmd, ...args]] : [cmd, args];
  const env = { ...process.env, LC_ALL: "C" };

  const data = join(dir, "data");
  mkdirSync(data, { mode: 0o700 });
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, ADMIN_PASSWORD + "\n", { mode: 0o600 });
  if (asRoot) {
    chownSync(data, 65534, 65534);
    chownSync(pwfile, 65534, 65534);
  }
  execFileSync(
    ...unprivileged(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${pwfile}`, "-E", "UTF8", "--no-locale", "--no-sync"]),
    { env, stdio: "pipe" },
  );
  rmSync(pwfile);

  const port = await freePort();
  const [cmd, args] = unprivileged(join(bin, "postgres"), [
    "-D", data, "-p", String(port),
    "-c", "listen_addresses=127.0.0.1", // loopback only
    "-c", "unix_socket_directories=", // no socket file: TCP on loopback is the only way in
    "-c", "jit=off", // the JIT module needs libllvm, which scripts/setup-postgresql.sh does not install
  ]);
  const child: ChildProcess = spawn(cmd, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!running()) throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}): ${log}`);
    try {
      psqlAs(cacheBin, port, "postgres", ADMIN_PASSWORD, "postgres", "SELECT 1");
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`postgres did not accept connections on 127.0.0.1:${port}: ${(err as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    port,
    pid: child.pid!,
    async stop() {
      if (running()) {
        child.kill("SIGINT"); // fast shutdown: the postmaster ends its backends and exits
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** psql (the client runs as any user) on loopback; one column out. */
function psqlAs(bin: string, port: number, user: string, password: string, db: string, ...commands: string[]): string {
  const args = ["-X", "-Atq", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", db];
  for (const c of commands) args.push("-c", c);
  return execFileSync(join(bin, "psql"), args, {
    encoding: "utf8",
    stdio: "pipe",
    env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "10" },
  }).trim();
}

let pgBin: string;
let pg: Postgres;
let scratch: string;
let gateDir: string;
/** The team's backend: Alice puts the password in the URL, Bob gives it in PGPASSWORD. */
let aliceUrl: string;
let bobUrl: string;
let alice: Operator;
let bob: Operator;

/** The rows of Pulumi's table whose key matches a LIKE pattern, each blob decoded to text. */
function stateRows(pattern: string): { key: string; text: string }[] {
  const out = psqlAs(
    pgBin, pg.port, TEAM_ROLE, TEAM_PASSWORD, DB,
    `SELECT coalesce(json_agg(json_build_object('key', key, 'text', convert_from(decode(data->>'data', 'base64'), 'UTF8')) ORDER BY key), '[]')
       FROM pulumi_state WHERE key LIKE '${pattern}'`,
  );
  return JSON.parse(out) as { key: string; text: string }[];
}

interface Operator {
  readonly name: string;
  readonly checkout: string;
  readonly home: string;
  readonly stack: Stack;
}

/**
 * An operator's machine: a checkout of the program (node_modules linked from the repo) with the
 * stack file the team commits, its own Pulumi home, and the team's backend URL and passphrase.
 */
async function operator(name: string, backend: { url: string; env?: Record<string, string> }, stackFile?: Buffer): Promise<Operator> {
  const checkout = join(scratch, name, "checkout");
  const home = join(scratch, name, "pulumi-home");
  mkdirSync(checkout, { recursive: true });
  mkdirSync(home, { recursive: true });
  for (const f of ["Pulumi.yaml", "index.ts"]) copyFileSync(join(PROGRAM, f), join(checkout, f));
  symlinkSync(join(ROOT, "node_modules"), join(checkout, "node_modules"));
  if (stackFile) writeFileSync(join(checkout, `Pulumi.${STACK}.yaml`), stackFile);
  const pulumiCommand = await PulumiCommand.get({ root: resolve(process.env.K3S_DAAS_PULUMI_BIN!, "..") });
  const opts = {
    pulumiCommand,
    pulumiHome: home,
    envVars: {
      PULUMI_BACKEND_URL: backend.url,
      ...backend.env,
      PULUMI_CONFIG_PASSPHRASE: "the team's passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
  };
  const stack = stackFile
    ? await LocalWorkspace.selectStack({ stackName: STACK, workDir: checkout }, opts)
    : await LocalWorkspace.createStack({ stackName: STACK, workDir: checkout }, opts);
  return { name, checkout, home, stack };
}

before(async () => {
  if (!process.env.K3S_DAAS_PULUMI_BIN) throw new Error("K3S_DAAS_PULUMI_BIN is not set: run the tests through `npm test` (it sources scripts/env.sh)");
  pgBin = execFileSync("bash", [join(ROOT, "scripts", "setup-postgresql.sh")], { encoding: "utf8" }).trim();
  pg = await startPostgres(pgBin);
  // What a team's database administrator does once: a role for Pulumi and a database it owns.
  psqlAs(pgBin, pg.port, "postgres", ADMIN_PASSWORD, "postgres",
    `CREATE ROLE ${TEAM_ROLE} LOGIN PASSWORD '${TEAM_PASSWORD}'`,
    `CREATE DATABASE ${DB} OWNER ${TEAM_ROLE}`);
  aliceUrl = `postgres://${TEAM_ROLE}:${TEAM_PASSWORD}@127.0.0.1:${pg.port}/${DB}?sslmode=disable`;
  bobUrl = `postgres://${TEAM_ROLE}@127.0.0.1:${pg.port}/${DB}?sslmode=disable`;
  scratch = mkdtempSync(join(tmpdir(), "k3s-daas-team-state-"));
  gateDir = join(scratch, "gate");
  mkdirSync(gateDir);
});

after(async () => {
  await pg?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test("the locally built CLI keeps a stack on the postgres:// backend, in the database's pulumi_state table", async () => {
  alice = await operator("alice", { url: aliceUrl });
  await alice.stack.setAllConfig({ gateDir: { value: gateDir }, value: { value: "v1" } });
  const keys = stateRows("%").map((r) => r.key);
  // The diy layout, under the URL's path (the database name) as a prefix.
  assert.ok(keys.includes(`${DB}/.pulumi/meta.yaml`), JSON.stringify(keys));
  assert.ok(keys.includes(`${DB}/.pulumi/stacks/${PROJECT}/${STACK}.json`), JSON.stringify(keys));
  // Bob's machine: his own checkout with the stack file the team commits (its encryption salt),
  // his own Pulumi home, the password from PGPASSWORD; he selects the stack Alice made.
  bob = await operator("bob", { url: bobUrl, env: { PGPASSWORD: TEAM_PASSWORD } }, readFileSync(join(alice.checkout, `Pulumi.${STACK}.yaml`)));
  assert.deepEqual((await bob.stack.workspace.listStacks()).map((s) => s.name), [STACK]);
});

let lockHolder: { pid: number; username: string; hostname: string; timestamp: string };
let refusal: Error;
let first: UpResult;

test("two ups on one stack at once: the second is refused by the lock, naming the holder; the first completes", async (t) => {
  let firstSettled = false;
  const firstUp = alice.stack.up().finally(() => (firstSettled = true));
  firstUp.catch(() => undefined); // awaited below
  const log = join(gateDir, "log");
  const release = () => existsSync(join(gateDir, "release")) || writeFileSync(join(gateDir, "release"), "");
  try {
    // Alice's resource is being created: her up holds the lock, and waits for the release.
    await waitFor("alice's up to start creating the resource", () => firstSettled || (existsSync(log) && readFileSync(log, "utf8").includes("creating")), 180_000, 100);
    if (firstSettled) assert.fail(`alice's up ended before creating anything: ${await firstUp.then(() => "succeeded", (e: Error) => e.message)}`);

    // The lock is a row in the table, saying who holds it: Alice's `pulumi up`, in her checkout.
    const locks = stateRows("%/.pulumi/locks/%");
    assert.equal(locks.length, 1, JSON.stringify(locks));
    const lock = locks[0]!;
    assert.match(lock.key, new RegExp(`^${DB}/\\.pulumi/locks/organization/${PROJECT}/${STACK}/[0-9a-f-]{36}\\.json$`));
    lockHolder = JSON.parse(lock.text);
    assert.equal(lockHolder.username, userInfo().username);
    assert.equal(lockHolder.hostname, hostname());
    assert.equal(readlinkSync(`/proc/${lockHolder.pid}/cwd`), realpathSync(alice.checkout), "the holder is the CLI running in alice's checkout");
    assert.ok(readFileSync(`/proc/${lockHolder.pid}/cmdline`, "utf8").split("\0").includes("up"));

    // Bob's up, meanwhile, from his machine.
    const started = Date.now();
    refusal = await bob.stack.up().then(
      (r) => assert.fail(`bob's up ran while alice held the lock: ${JSON.stringify(r.summary)}`),
      (e: Error) => e,
    );
    assert.equal(firstSettled, false, "alice's up was still running when bob's was refused");
    const seconds = (Date.now() - started) / 1000;
    // Pulumi's message (pkg/backend/diy/lock.go): the number of locks, what to do, and per lock its
    // URL (credentials masked) and who made it: user@host, pid, and when (RFC 3339, to the second).
    const when = lockHolder.timestamp.replace(/\.\d+/, "");
    const expected = [
      "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
      `  postgres://****:****@127.0.0.1:${pg.port}/${lock.key}`,
      `: created by ${lockHolder.username}@${lockHolder.hostname} (pid ${lockHolder.pid}) at ${when}`,
    ];
    for (const part of expected) assert.ok(refusal.message.includes(part), `missing ${JSON.stringify(part)} in:\n${refusal.message}`);
    assert.equal(refusal.message.includes(TEAM_PASSWORD), false, "the password is not in the message");
    const said = [...new Set(refusal.message.split("\n").filter((l) => /locked by|created by/.test(l)))];
    t.diagnostic(`bob's up refused in ${seconds.toFixed(1)} s:\n${said.join("\n")}`);
    // Bob's up never ran the program: the resource is being created once, by Alice.
    assert.deepEqual(readFileSync(log, "utf8").trim().split("\n"), ["creating v1"]);

    // Alice's up completes once released, and leaves no lock behind.
    release();
    first = await firstUp;
    assert.equal(first.summary.result, "succeeded");
    assert.deepEqual(first.summary.resourceChanges, { create: 2 });
    assert.equal(first.outputs.value?.value, "v1");
    assert.deepEqual(stateRows("%/.pulumi/locks/%"), []);
  } finally {
    release(); // on a failure too: alice's up ends now rather than at the gate's deadline
    await firstUp.catch(() => undefined);
  }
});

test("nothing lost: the state in PostgreSQL holds the resource once, and a third up, from bob's machine, changes nothing", async () => {
  assert.ok(first, "the concurrent ups ran");
  const [checkpoint] = stateRows(`${DB}/.pulumi/stacks/${PROJECT}/${STACK}.json`);
  const resources = JSON.parse(checkpoint!.text).checkpoint.latest.resources as { urn: string; outputs?: { value?: string } }[];
  const gates = resources.filter((r) => r.urn === `urn:pulumi:${STACK}::${PROJECT}::pulumi-nodejs:dynamic:Resource::gate`);
  assert.equal(gates.length, 1, JSON.stringify(resources.map((r) => r.urn)));
  assert.equal(gates[0]!.outputs?.value, "v1");
  // The CLI reads the same state back from the database, on bob's machine.
  const exported = (await bob.stack.exportStack()).deployment.resources as { urn: string }[];
  assert.deepEqual(exported.map((r) => r.urn), resources.map((r) => r.urn));

  const third = await bob.stack.up();
  assert.equal(third.summary.result, "succeeded");
  assert.deepEqual(third.summary.resourceChanges, { same: 2 });
  assert.equal(third.outputs.value?.value, "v1");
  assert.deepEqual(readFileSync(join(gateDir, "log"), "utf8").trim().split("\n"), ["creating v1", "created v1"]);
  // The refused up left no trace: the history (rows in the table too) is alice's up and bob's third.
  const history = await bob.stack.history();
  assert.deepEqual(history.map((h) => [h.kind, h.result]), [["update", "succeeded"], ["update", "succeeded"]]);
  assert.ok(stateRows(`${DB}/.pulumi/history/${PROJECT}/${STACK}/%`).length >= 2);
  assert.deepEqual(stateRows("%/.pulumi/locks/%"), []);
});

test("a password in the backend URL is kept in plain text in the Pulumi home; one from PGPASSWORD is not", () => {
  // The CLI records the backend URL as given (workspaces/*.json, the stack selected per backend).
  const files = (dir: string) =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => ({ path: join(e.parentPath, e.name), text: readFileSync(join(e.parentPath, e.name), "utf8") }));
  const holding = (dir: string) => files(dir).filter((f) => f.text.includes(TEAM_PASSWORD)).map((f) => relative(dir, f.path));
  assert.ok(holding(alice.home).some((p) => p.startsWith("workspaces/")), JSON.stringify(files(alice.home).map((f) => relative(alice.home, f.path))));
  assert.deepEqual(holding(bob.home), []);
  assert.ok(files(bob.home).some((f) => f.text.includes(bobUrl)), "bob's home names the backend, without the password");
});
