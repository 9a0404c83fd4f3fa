// The self-rescheduling loop: no overlap, exponential backoff with a cap, reset on success.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Loop } from "../../agent/src/loop";

test("backoff doubles per failure up to the cap, and jitter stays in bounds", () => {
  const loop = new Loop({ intervalMs: 100, jitter: 0, maxBackoffMs: 1000, run: async () => true });
  const delays = [0, 1, 2, 3, 4, 5].map((f) => ((loop.failures = f), loop.nextDelay()));
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
  const lo = new Loop({ intervalMs: 100, jitter: 0.1, maxBackoffMs: 1000, run: async () => true, random: () => 0 });
  const hi = new Loop({ intervalMs: 100, jitter: 0.1, maxBackoffMs: 1000, run: async () => true, random: () => 1 });
  assert.deepEqual([lo.nextDelay(), hi.nextDelay()], [90, 110]);
});

test("iterations never overlap and stop() waits for the one in flight", async () => {
  let active = 0, maxActive = 0, runs = 0;
  let release!: () => void;
  const third = new Promise<void>((r) => (release = r));
  const loop = new Loop({
    intervalMs: 1, jitter: 0, maxBackoffMs: 1,
    run: async () => {
      active++; maxActive = Math.max(maxActive, active); runs++;
      await new Promise((r) => setTimeout(r, 5));
      active--;
      if (runs === 3) release();
      return runs % 2 === 0; // alternate failure/success
    },
  });
  loop.start();
  await third;
  await loop.stop();
  const after = runs;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(maxActive, 1);
  assert.equal(runs, after, "no iteration after stop()");
  assert.equal(active, 0);
});
