import { test } from "node:test";
import assert from "node:assert/strict";
import { batchSnapshotName, mapBounded } from "./batch";

test("mapBounded keeps at most the limit in flight and answers in the items' order", async () => {
  let inFlight = 0;
  let most = 0;
  const gates: (() => void)[] = [];
  const running = mapBounded([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise<void>((resolve) => gates.push(resolve));
    inFlight--;
    return n * 10;
  });
  // Release the waiting calls newest first, so a result that came back early is still put in its place.
  while (gates.length > 0 || inFlight > 0) {
    await new Promise((resolve) => setImmediate(resolve));
    gates.pop()?.();
  }
  assert.deepEqual(await running, [10, 20, 30, 40, 50, 60, 70]);
  assert.equal(most, 3);
});

test("mapBounded of no items answers at once", async () => {
  assert.deepEqual(await mapBounded([], 8, async () => 1), []);
});

test("a batch snapshot's generated name is the UTC date and time, a valid snapshot name", () => {
  assert.equal(batchSnapshotName(new Date("2026-11-27T07:05:09.123Z")), "batch-20261127-070509");
});
