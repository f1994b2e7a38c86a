import assert from "node:assert/strict";
import { test } from "node:test";
import type { TaskSummary } from "@/server/tasks/store";
import { withLatestSeen } from "./task-progress";

const task = (id: string, progress: number, updatedAt: string, state: TaskSummary["state"] = "running"): TaskSummary => ({
  id,
  kind: "volume.upload",
  hostId: "local",
  targetKind: "volume",
  targetName: "pool/tray.iso",
  targetUuid: null,
  detail: null,
  userId: 1,
  username: "admin",
  state,
  progress,
  bytesDone: null,
  bytesTotal: null,
  cancellable: true,
  result: null,
  error: null,
  startedAt: "2026-11-28T10:00:00.000Z",
  updatedAt,
  endedAt: null,
});
const running = (t: TaskSummary) => t.state === "running";

test("a read answered after an event does not take the task back to what the read saw", () => {
  const seen = new Map([["a", task("a", 50, "2026-11-28T10:00:01.500Z")]]);
  const read = [task("a", 0, "2026-11-28T10:00:01.000Z"), task("b", 10, "2026-11-28T10:00:01.200Z")];
  assert.deepEqual(
    withLatestSeen(read, seen, running).map((t) => [t.id, t.progress]),
    [
      ["a", 50],
      ["b", 10],
    ],
  );
});

test("a read newer than the last event wins; an event at the same millisecond wins over the read", () => {
  const read = [task("a", 70, "2026-11-28T10:00:02.000Z")];
  assert.equal(withLatestSeen(read, new Map([["a", task("a", 50, "2026-11-28T10:00:01.500Z")]]), running)[0]!.progress, 70);
  assert.equal(withLatestSeen(read, new Map([["a", task("a", 75, "2026-11-28T10:00:02.000Z")]]), running)[0]!.progress, 75);
});

test("a task the events saw end leaves the list even when a late read still has it running", () => {
  const seen = new Map([["a", task("a", 100, "2026-11-28T10:00:03.000Z", "succeeded")]]);
  assert.deepEqual(withLatestSeen([task("a", 50, "2026-11-28T10:00:01.000Z")], seen, running), []);
});
