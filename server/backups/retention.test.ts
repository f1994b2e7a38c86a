import assert from "node:assert/strict";
import { test } from "node:test";
import { applyRetention, type RetainedBackup } from "./retention";

const at = (iso: string) => Date.parse(iso);
const NOW = at("2026-11-28T12:00:00Z"); // a Saturday

function full(id: string, iso: string): RetainedBackup {
  return { id, parentId: null, at: at(iso) };
}
function inc(id: string, parentId: string, iso: string): RetainedBackup {
  return { id, parentId, at: at(iso) };
}

test("keepLast keeps the newest n, whatever order they come in", () => {
  const list = [full("a", "2026-11-20T01:00:00Z"), full("c", "2026-11-22T01:00:00Z"), full("b", "2026-11-21T01:00:00Z")];
  assert.deepEqual(applyRetention(list, { keepLast: 2 }, NOW), { keep: ["c", "b"], remove: ["a"] });
});

test("daily keeps the newest backup of each of the last n UTC days, today included", () => {
  const list = [
    full("today-late", "2026-11-28T10:00:00Z"),
    full("today-early", "2026-11-28T01:00:00Z"),
    full("yesterday", "2026-11-27T23:59:00Z"),
    full("two-days", "2026-11-26T05:00:00Z"),
    full("three-days", "2026-11-25T05:00:00Z"),
  ];
  assert.deepEqual(applyRetention(list, { daily: 3 }, NOW), { keep: ["today-late", "yesterday", "two-days"], remove: ["today-early", "three-days"] });
});

test("weekly counts ISO weeks starting on Monday; monthly counts calendar months", () => {
  const list = [
    full("sat", "2026-11-28T01:00:00Z"),
    full("mon", "2026-11-23T01:00:00Z"),
    full("sun-before", "2026-11-22T23:00:00Z"),
    full("oct", "2026-10-15T00:00:00Z"),
    full("oct-early", "2026-10-01T00:00:00Z"),
    full("aug", "2026-08-01T00:00:00Z"),
  ];
  assert.deepEqual(applyRetention(list, { weekly: 2 }, NOW).keep, ["sat", "sun-before"]);
  assert.deepEqual(applyRetention(list, { monthly: 3 }, NOW).keep, ["sat", "oct"]);
});

test("a kept incremental backup keeps its whole chain, however old its parents are", () => {
  const list = [
    full("f1", "2026-01-01T00:00:00Z"),
    inc("i1", "f1", "2026-01-02T00:00:00Z"),
    inc("i2", "i1", "2026-11-28T01:00:00Z"),
    full("f0", "2025-12-01T00:00:00Z"),
  ];
  assert.deepEqual(applyRetention(list, { keepLast: 1 }, NOW), { keep: ["i2", "i1", "f1"], remove: ["f0"] });
});

test("a policy that keeps nothing, or counts that are not whole numbers, are refused", () => {
  assert.throws(() => applyRetention([], {}, NOW), /at least one/);
  assert.throws(() => applyRetention([], { keepLast: 0, daily: 0 }, NOW), /at least one/);
  assert.throws(() => applyRetention([], { daily: 1.5 }, NOW), /whole numbers/);
  assert.throws(() => applyRetention([], { weekly: -1 }, NOW), /whole numbers/);
});
