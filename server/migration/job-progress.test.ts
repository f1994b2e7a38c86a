import { test } from "node:test";
import assert from "node:assert/strict";
import { describePass, jobFigures, jobProgress } from "./job-progress";

test("a running job's statistics become bytes done of total and the memory passes done (QEMU's first iteration is the start)", () => {
  assert.deepEqual(jobProgress({ type: 2, data_processed: 150n * 1048576n, data_total: 512n * 1048576n, memory_iteration: 1n }), {
    bytesDone: 150 * 1048576,
    bytesTotal: 512 * 1048576,
    passesDone: 0,
  });
  assert.equal(jobProgress({ memory_iteration: 3n }).passesDone, 2);
  assert.deepEqual(jobProgress({}), { bytesDone: null, bytesTotal: null, passesDone: null });
  assert.equal(describePass({ bytesDone: 150 * 1048576, bytesTotal: 512 * 1048576, passesDone: 2 }), "Memory pass 2 done: 150 of 512 MiB sent");
});

test("a completed job's figures: elapsed, downtime and data sent; missing ones are null", () => {
  assert.deepEqual(jobFigures({ time_elapsed: 1534n, downtime: 87n, data_processed: 40_000_000n }), { elapsedMs: 1534, downtimeMs: 87, dataBytes: 40_000_000 });
  assert.deepEqual(jobFigures({ time_elapsed: 12n }), { elapsedMs: 12, downtimeMs: null, dataBytes: null });
});
