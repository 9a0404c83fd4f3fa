// The containerd runtime's pod counting and kills run in the flow and slash tests (stand-in ctr
// from helpers.ts); this covers what they do not look at: every ctr call goes to the configured
// socket (or k3s' own) in the k8s.io namespace, and a missing ctr is a clear error.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { countRunningPods, createRuntime } from "../../agent/src/runtime";
import { writeFakeCtr } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "agent-ctr-"));
const ctr = writeFakeCtr(dir);
const argv = () => readFileSync(join(dir, "argv"), "utf8").trim().split("\n");
after(() => rmSync(dir, { recursive: true, force: true }));

test("every ctr call names the socket and the k8s.io namespace", async () => {
  const sock = join(dir, "containerd.sock");
  const rt = createRuntime({ type: "containerd", binary: ctr, socket: sock, commandTimeoutMs: 5_000 });
  assert.equal(await countRunningPods(rt), 2);
  assert.equal(await rt.stopAll(), 3);
  const calls = argv();
  assert.ok(calls.some((c) => c.endsWith("tasks kill --all --signal SIGKILL app-a")));
  for (const c of calls) assert.ok(c.startsWith(`--address ${sock} -n k8s.io `), c);

  // No socket configured: k3s' embedded containerd, not the system one.
  await createRuntime({ type: "containerd", binary: ctr, commandTimeoutMs: 5_000 }).list();
  assert.ok(argv().at(-1)!.startsWith("--address /run/k3s/containerd/containerd.sock -n k8s.io "));
});

test("a missing ctr is a CommandError naming the command", async () => {
  const missing = join(dir, "no-such", "ctr");
  const rt = createRuntime({ type: "containerd", binary: missing, commandTimeoutMs: 5_000 });
  await assert.rejects(rt.list(), { name: "CommandError", message: `${missing} tasks: not found` });
  await assert.rejects(countRunningPods(rt), { name: "CommandError" });
});

test("a steady node costs one ctr per list; a new task asks for the sandbox labels again", async () => {
  const d = mkdtempSync(join(tmpdir(), "agent-ctr-steady-"));
  try {
    const bin = writeFakeCtr(d);
    const calls = () => readFileSync(join(d, "argv"), "utf8").trim().split("\n").filter(Boolean);
    const rt = createRuntime({ type: "containerd", binary: bin, socket: join(d, "containerd.sock"), commandTimeoutMs: 5_000 });
    assert.equal(await countRunningPods(rt), 2);
    assert.equal(calls().length, 2, "first list: tasks + sandbox labels");
    assert.equal(await countRunningPods(rt), 2);
    assert.equal(await countRunningPods(rt), 2);
    assert.equal(calls().length, 4, "then one `tasks list` each");
    assert.ok(calls().slice(2).every((c) => c.endsWith("tasks list")));
    // A new pod sandbox appears: its kind is unknown, so the labels are read again.
    writeFileSync(join(d, "tasks"), readFileSync(join(d, "tasks"), "utf8") + "sb-d 4105 RUNNING\n");
    writeFileSync(join(d, "sandboxes"), readFileSync(join(d, "sandboxes"), "utf8") + "sb-d\n");
    assert.equal(await countRunningPods(rt), 3);
    assert.equal(calls().length, 6);
    assert.match(calls().at(-1)!, /containers list -q/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
