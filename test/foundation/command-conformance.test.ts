// The command provider the tests run on (toolchain's build; or upstream's, when PULUMI_HOME holds
// it) against upstream @pulumi/command 1.2.1's published schema and documented behaviour.
// Resources are declared raw (test/fixtures/command-conformance-program) so the SDK's own
// defaults and secret marking do not hide what the provider does; a real sshd on loopback
// (no AcceptEnv) is the host. command-schema-1.2.1.json holds the schema facts checked, and is
// itself checked against the installed @pulumi/command package generated from that schema.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { startSshd, type Sshd } from "../support/sshd";
import { createTestStack, type TestStack } from "../support/engine";

const SCHEMA = JSON.parse(readFileSync(join(__dirname, "command-schema-1.2.1.json"), "utf8"));
const SDK = resolve(__dirname, "../../node_modules/@pulumi/command");
const programDir = resolve(__dirname, "../fixtures/command-conformance-program");
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

let sshd: Sshd;
let ts: TestStack;
let dir: string;
let ecdsaHostKey: string;

interface Item {
  kind: "command" | "copy";
  name: string;
  args?: Record<string, unknown>;
  connection?: Record<string, unknown>;
  noKey?: boolean;
  source?: { text?: string; file?: string; archive?: string };
}

before(async () => {
  sshd = await startSshd();
  // A second host key of a type the client does not prefer: pinning it needs the algorithm pinned.
  execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", join(sshd.dir, "host_ecdsa")]);
  appendFileSync(join(sshd.dir, "sshd_config"), `HostKey ${join(sshd.dir, "host_ecdsa")}\n`);
  process.kill(Number(readFileSync(join(sshd.dir, "sshd.pid"), "utf8")), "SIGHUP");
  ecdsaHostKey = readFileSync(join(sshd.dir, "host_ecdsa.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
  dir = mkdtempSync(join(tmpdir(), "k3s-daas-conformance-"));
  ts = await createTestStack(programDir, {
    sshHost: { value: sshd.host },
    sshPort: { value: String(sshd.port) },
    sshUser: { value: sshd.user },
    sshPrivateKey: { value: sshd.privateKey, secret: true },
    spec: { value: "[]" },
  });
  await new Promise((r) => setTimeout(r, 300)); // sshd re-executes on SIGHUP
});

after(async () => {
  try {
    await ts?.stack.destroy().catch(() => {});
    await ts?.dispose();
  } finally {
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

async function up(items: Item[], events?: EngineEvent[]) {
  await ts.stack.setConfig("spec", { value: JSON.stringify(items.map((i) => ({ args: {}, ...i }))) });
  return ts.stack.up({ onEvent: events ? (e) => events.push(e) : undefined });
}

async function upFails(items: Item[], events?: EngineEvent[]): Promise<string> {
  const err = await up(items, events).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, "up must fail");
  return err.message;
}

/** The state with secrets decrypted (the CLI's own export), by resource name. */
function decryptedState(): Record<string, { inputs: Record<string, any>; outputs: Record<string, any> }> {
  const out = execFileSync("pulumi", ["stack", "export", "--show-secrets", "--stack", "test"], {
    cwd: programDir,
    encoding: "utf8",
    env: { ...process.env, PULUMI_BACKEND_URL: `file://${ts.backendDir}`, PULUMI_CONFIG_PASSPHRASE: "test-passphrase" },
  });
  return byName(reveal(JSON.parse(out).deployment.resources));
}

/** A decrypted export keeps each secret's envelope with its value as JSON in `plaintext`. */
function reveal(v: any): any {
  if (isSecret(v) && typeof v.plaintext === "string") return reveal(JSON.parse(v.plaintext));
  if (Array.isArray(v)) return v.map(reveal);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  return v;
}

async function encryptedState() {
  return byName((await ts.stack.exportStack()).deployment.resources);
}

function byName(resources: { urn: string; inputs?: object; outputs?: object }[]) {
  return Object.fromEntries(resources.map((r) => [r.urn.split("::").pop()!, { inputs: (r.inputs ?? {}) as Record<string, any>, outputs: (r.outputs ?? {}) as Record<string, any> }]));
}

const isSecret = (v: unknown) => typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;

test("the schema excerpt agrees with the published @pulumi/command 1.2.1 package generated from the schema", () => {
  assert.equal(JSON.parse(readFileSync(join(SDK, "package.json"), "utf8")).version, "1.2.1");
  for (const [token, file] of [["command:remote:Command", "remote/command.js"], ["command:remote:CopyToRemote", "remote/copyToRemote.js"]] as const) {
    const js = readFileSync(join(SDK, file), "utf8");
    const r = SCHEMA.resources[token];
    const inputs = [...js.matchAll(/resourceInputs\["(\w+)"\] = args\?\.\w+/g), ...js.matchAll(/resourceInputs\["(\w+)"\] = args\?\.\w+ \?/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(inputs)].sort(), [...r.inputs].sort(), `${token} inputs`);
    const state = js.slice(js.indexOf("else {", js.indexOf("if (!opts.id)")));
    const outputs = [...state.matchAll(/resourceInputs\["(\w+)"\] = undefined/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(outputs)].sort(), [...r.outputs].sort(), `${token} outputs`);
    const required = [...js.matchAll(/Missing required property '(\w+)'/g)].map((m) => m[1]);
    assert.deepEqual(required.sort(), [...r.requiredInputs].sort(), `${token} required inputs`);
    assert.ok(js.includes(`additionalSecretOutputs: ${JSON.stringify(r.secret)}`), `${token} secret outputs`);
    assert.ok(js.includes(`pulumi.secret((args.connection`), `${token}: the SDK marks the whole connection secret too`);
    if (js.includes("replaceOnChanges:")) assert.ok(js.includes(`replaceOnChanges: ["triggers[*]"]`), `${token} replaceOnChanges`);
  }
  const input = readFileSync(join(SDK, "types/input.js"), "utf8");
  const defaults = input.slice(input.indexOf("function connectionArgsProvideDefaults"), input.indexOf("remote.connectionArgsProvideDefaults ="));
  for (const [k, v] of Object.entries(SCHEMA.types["command:remote:Connection"].defaults)) {
    assert.ok(defaults.includes(`${k}: (val.${k}) ?? ${JSON.stringify(v)}`), `default ${k}`);
  }
  const dts = readFileSync(join(SDK, "types/input.d.ts"), "utf8");
  const conn = dts.slice(dts.indexOf("interface ConnectionArgs"), dts.indexOf("}", dts.indexOf("interface ConnectionArgs")));
  const props = [...conn.matchAll(/^\s+(\w+)\??: /gm)].map((m) => m[1]);
  assert.deepEqual(props.sort(), [...SCHEMA.types["command:remote:Connection"].properties].sort());
  const enums = readFileSync(join(SDK, "types/enums/remote/index.js"), "utf8");
  for (const v of SCHEMA.types["command:remote:Logging"].enum) assert.ok(enums.includes(`"${v}"`), `logging ${v}`);
});

test("check fills the connection's defaults and the whole connection is secret, given without either", async () => {
  const res = await up([{ kind: "command", name: "plain", args: { create: "echo hi" } }]);
  assert.equal(res.summary.result, "succeeded");
  const enc = (await encryptedState()).plain!;
  assert.ok(isSecret(enc.inputs.connection), "connection input is secret as a whole");
  assert.ok(isSecret(enc.outputs.connection), "connection output is secret as a whole");
  const dec = decryptedState().plain!;
  const { dialErrorLimit, perDialTimeout, user, port } = dec.inputs.connection;
  assert.deepEqual({ dialErrorLimit, perDialTimeout, user, port }, { ...SCHEMA.types["command:remote:Connection"].defaults, user: sshd.user, port: sshd.port });
  for (const k of SCHEMA.resources["command:remote:Command"].requiredOutputs) assert.ok(k in dec.outputs, `output ${k}`);
  assert.equal(dec.outputs.stdout, "hi");
});

test("stdout and stderr are always outputs, and an update without a command keeps them", async () => {
  await up([{ kind: "command", name: "plain", args: { create: "echo one; echo two >&2" } }, { kind: "command", name: "none", args: { delete: "true" } }]);
  let s = decryptedState();
  assert.deepEqual([s.none!.outputs.stdout, s.none!.outputs.stderr], ["", ""], "no create: empty outputs, present");
  assert.deepEqual([s.plain!.outputs.stdout, s.plain!.outputs.stderr], ["one", "two"]);
  const res = await up([{ kind: "command", name: "plain", args: { delete: "true" } }, { kind: "command", name: "none", args: { delete: "true" } }]);
  assert.deepEqual(res.summary.resourceChanges, { same: 2, update: 1 });
  s = decryptedState();
  assert.deepEqual([s.plain!.outputs.stdout, s.plain!.outputs.stderr], ["one", "two"], "kept from the last run");
});

test("triggers: the provider replaces when they appear; an element's change is an update (the SDK's replaceOnChanges triggers[*] replaces)", async () => {
  await up([{ kind: "command", name: "trig", args: { create: "echo a" } }]);
  let res = await up([{ kind: "command", name: "trig", args: { create: "echo a", triggers: ["1"] } }]);
  assert.equal(res.summary.resourceChanges?.replace, 1, JSON.stringify(res.summary.resourceChanges));
  res = await up([{ kind: "command", name: "trig", args: { create: "echo a", triggers: ["2"] } }]);
  assert.equal(res.summary.resourceChanges?.update, 1, JSON.stringify(res.summary.resourceChanges));
  res = await up([{ kind: "command", name: "trig", args: { create: "echo b", triggers: ["2"] } }]);
  assert.equal(res.summary.resourceChanges?.update, 1, JSON.stringify(res.summary.resourceChanges));
});

test("an environment variable the server refuses is an error naming it", async () => {
  const msg = await upFails([{ kind: "command", name: "env", args: { create: "echo $FOO", environment: { FOO: "bar" } } }]);
  assert.match(msg, /could not set environment variable "FOO"/);
  assert.match(msg, /Unable to set 'FOO'/);
});

test("previous output is passed only when non-empty: no warning after an empty stdout", async () => {
  await up([{ kind: "command", name: "quiet", args: { create: "cat > /dev/null", stdin: "one" } }]);
  const events: EngineEvent[] = [];
  const res = await up([{ kind: "command", name: "quiet", args: { create: "cat > /dev/null", stdin: "two" } }], events);
  assert.equal(res.summary.resourceChanges?.update, 1);
  const warnings = events.filter((e) => e.diagnosticEvent?.severity === "warning");
  assert.deepEqual(warnings, [], "nothing to pass, nothing refused");
});

test("dial: limit+1 attempts, the retries as passing status lines, then an error", async () => {
  const events: EngineEvent[] = [];
  const msg = await upFails([{ kind: "command", name: "closed", args: { create: "true" }, connection: { port: 9, dialErrorLimit: 2 } }], events);
  assert.match(msg, /after 2 failed attempts/);
  const status = events.filter((e) => /Dial \d\/2 failed: retrying/.test(e.diagnosticEvent?.message ?? "")).map((e) => e.diagnosticEvent!);
  assert.deepEqual(status.map((d) => d.message.trim()), ["Dial 1/2 failed: retrying", "Dial 2/2 failed: retrying"]);
  assert.ok(status.every((d) => d.ephemeral));
});

test("hostKey: a key of a non-preferred type works (the algorithm is pinned); a wrong key is refused", async () => {
  const res = await up([{ kind: "command", name: "pinned", args: { create: "echo pinned" }, connection: { hostKey: ecdsaHostKey, dialErrorLimit: 0 } }]);
  assert.equal(res.summary.result, "succeeded");
  const wrong = readFileSync(join(sshd.dir, "client_ed25519.pub"), "utf8").trim();
  const msg = await upFails([{ kind: "command", name: "pinned", args: { create: "echo again" }, connection: { hostKey: wrong, dialErrorLimit: 0 } }]);
  assert.match(msg, /host key mismatch/);
});

test("without a key, the agent at $SSH_AUTH_SOCK authenticates (upstream's default)", async () => {
  const sock = join(dir, "agent.sock");
  const agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
  try {
    for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    execFileSync("ssh-add", ["-q", join(sshd.dir, "client_ed25519")], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: "ignore" });
    process.env.SSH_AUTH_SOCK = sock; // the CLI, and the provider it starts, inherit it
    const res = await up([{ kind: "command", name: "by-agent", args: { create: "echo agent" }, noKey: true }]);
    assert.equal(res.summary.result, "succeeded");
    assert.equal(decryptedState()["by-agent"]!.outputs.stdout, "agent");
    assert.equal("privateKey" in decryptedState()["by-agent"]!.inputs.connection, false);
  } finally {
    delete process.env.SSH_AUTH_SOCK;
    const exited = new Promise((r) => agent.once("exit", r));
    if (agent.exitCode === null) process.kill(agent.pid!, "SIGTERM");
    await exited;
  }
});

test("CopyToRemote: archives copied as they are, the dir vs dir/ rule, files into an existing directory", async () => {
  const src = join(dir, "src");
  mkdirSync(join(src, "payload/sub"), { recursive: true });
  writeFileSync(join(src, "payload/a.txt"), "A");
  writeFileSync(join(src, "payload/sub/b.txt"), "B");
  writeFileSync(join(src, "file.txt"), "F");
  execFileSync("tar", ["-czf", join(src, "payload.tgz"), "-C", src, "payload"]);
  const dest = join(dir, "dest");
  mkdirSync(join(dest, "existing"), { recursive: true });
  const res = await up([
    { kind: "copy", name: "tgz", args: { remotePath: join(dest, "x/payload.tgz") }, source: { archive: join(src, "payload.tgz") } },
    { kind: "copy", name: "dir", args: { remotePath: join(dest, "asdir") }, source: { archive: join(src, "payload") } },
    { kind: "copy", name: "dir-slash", args: { remotePath: join(dest, "contents") }, source: { archive: join(src, "payload") + "/" } },
    { kind: "copy", name: "file-in-dir", args: { remotePath: join(dest, "existing") }, source: { file: join(src, "file.txt") } },
  ]);
  assert.equal(res.summary.result, "succeeded");
  assert.deepEqual(readFileSync(join(dest, "x/payload.tgz")), readFileSync(join(src, "payload.tgz")), "not unpacked");
  assert.equal(readFileSync(join(dest, "asdir/payload/sub/b.txt"), "utf8"), "B", "dir lands in remote/dir");
  assert.equal(readFileSync(join(dest, "contents/a.txt"), "utf8"), "A", "dir/ lands as remote/<entries>");
  assert.equal(existsSync(join(dest, "contents/payload")), false);
  assert.equal(readFileSync(join(dest, "existing/file.txt"), "utf8"), "F", "a file goes into an existing directory");
  const msg = await upFails([{ kind: "copy", name: "text-to-dir", args: { remotePath: join(dest, "existing") }, source: { text: "T" } }]);
  assert.match(msg, /is a directory; when using a text asset, remotePath must be a file path/);
});

test("CopyToRemote copies again only when the source's hash or the remote path changes", async () => {
  const target = join(dir, "dest/once.txt");
  await up([{ kind: "copy", name: "once", args: { remotePath: target }, source: { text: "v1" } }]);
  writeFileSync(target, "changed by hand");
  // A connection change updates the resource but copies nothing.
  let res = await up([{ kind: "copy", name: "once", args: { remotePath: target }, source: { text: "v1" }, connection: { perDialTimeout: 20 } }]);
  assert.equal(res.summary.resourceChanges?.update, 1, JSON.stringify(res.summary.resourceChanges));
  assert.equal(readFileSync(target, "utf8"), "changed by hand");
  res = await up([{ kind: "copy", name: "once", args: { remotePath: target }, source: { text: "v2" }, connection: { perDialTimeout: 20 } }]);
  assert.equal(readFileSync(target, "utf8"), "v2");
});

test("CopyToRemote check: missing source or remotePath are refused before anything runs", async () => {
  const msg = await upFails([{ kind: "copy", name: "nosource", args: { remotePath: join(dir, "dest/never.txt") } }]);
  assert.match(msg, /property asset value \{<nil>\} has a problem: either asset or archive must be set/);
  assert.equal(existsSync(join(dir, "dest/never.txt")), false);
});
