import { test } from "node:test";
import assert from "node:assert/strict";
import { JobRunner, type JobClock } from "./runner";

/** A clock that moves only when told: planned runs fire as it passes their time. */
class FakeClock implements JobClock {
  time = 0;
  private timers = new Map<number, { at: number; run: () => void }>();
  private next = 1;
  now = () => this.time;
  setTimeout = (run: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, run });
    return id;
  };
  clearTimeout = (handle: unknown) => void this.timers.delete(handle as number);
  get pending() {
    return this.timers.size;
  }
  /** Fires every timer due by `ms` from now, letting each run's promise settle before the next. */
  async advance(ms: number) {
    const until = this.time + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].run();
    }
    this.time = until;
    await new Promise((r) => setImmediate(r));
  }
}

test("a job runs at start and then every interval; stop leaves no timer behind", async () => {
  const clock = new FakeClock();
  const runner = new JobRunner(clock);
  const at: number[] = [];
  runner.add({ name: "tick", intervalMs: 5000, run: () => void at.push(clock.now()) });
  runner.start();
  await clock.advance(15_000);
  assert.deepEqual(at, [0, 5000, 10_000, 15_000]);
  await runner.stop();
  assert.equal(clock.pending, 0);
  await clock.advance(20_000);
  assert.equal(at.length, 4, "no run after stop");
});

test("a slow run delays the next one and never overlaps it", async () => {
  const clock = new FakeClock();
  const runner = new JobRunner(clock);
  let active = 0;
  let maxActive = 0;
  const starts: number[] = [];
  let finish: (() => void) | null = null;
  runner.add({
    name: "slow",
    intervalMs: 1000,
    run: () => {
      starts.push(clock.now());
      active += 1;
      maxActive = Math.max(maxActive, active);
      return new Promise<void>((resolve) => {
        finish = () => {
          active -= 1;
          resolve();
        };
      });
    },
  });
  runner.start();
  await clock.advance(3500); // the first run is still going 3.5 s later
  assert.deepEqual(starts, [0]);
  finish!();
  await clock.advance(0); // it took longer than the interval: the next starts at once
  assert.deepEqual(starts, [0, 3500]);
  finish!(); // this one was quick: the next is planned one interval after it started
  await clock.advance(999);
  assert.deepEqual(starts, [0, 3500]);
  await clock.advance(1);
  assert.deepEqual(starts, [0, 3500, 4500]);
  assert.equal(maxActive, 1);
  const stopped = runner.stop();
  finish!();
  await stopped;
});

test("a failing run is logged with the job's name and counted; the job keeps running", async () => {
  const clock = new FakeClock();
  const logged: string[] = [];
  const runner = new JobRunner(clock, (message) => logged.push(message));
  let n = 0;
  runner.add({
    name: "flaky",
    intervalMs: 1000,
    run: () => {
      n += 1;
      if (n % 2 === 1) throw new Error(`boom ${n}`);
    },
  });
  runner.start();
  await clock.advance(3000);
  assert.equal(n, 4);
  assert.deepEqual(runner.stats("flaky"), { runs: 4, errors: 2, lastError: "boom 3", lastRunMs: 0 });
  assert.match(logged[0]!, /job "flaky" failed/);
  await runner.stop();
});

test("stop waits for the run in progress", async () => {
  const clock = new FakeClock();
  const runner = new JobRunner(clock);
  let finished = false;
  let release!: () => void;
  runner.add({ name: "long", intervalMs: 1000, run: () => new Promise<void>((r) => (release = r)).then(() => void (finished = true)) });
  runner.start();
  await clock.advance(0);
  const stopped = runner.stop();
  release();
  await stopped;
  assert.equal(finished, true);
  assert.equal(clock.pending, 0, "the finished run planned nothing after stop");
});

test("a job with firstRunAfterMs first runs that long after start, then every interval", async () => {
  const clock = new FakeClock();
  const runner = new JobRunner(clock);
  const at: number[] = [];
  runner.add({ name: "later", intervalMs: 10_000, firstRunAfterMs: 3000, run: () => void at.push(clock.now()) });
  runner.start();
  await clock.advance(2999);
  assert.deepEqual(at, []);
  await clock.advance(20_001);
  assert.deepEqual(at, [3000, 13_000, 23_000]);
  await runner.stop();
});
