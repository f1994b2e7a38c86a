import { test } from "node:test";
import assert from "node:assert/strict";
import { scheduleCoversHost } from "./host-filter";

const UUID = "11111111-2222-3333-4444-555555555555";

test("a VM schedule belongs to the host its VM is on, and to no other", () => {
  assert.equal(scheduleCoversHost({ kind: "vm", hostId: "rack-b", uuid: UUID }, "rack-b"), true);
  assert.equal(scheduleCoversHost({ kind: "vm", hostId: "rack-b", uuid: UUID }, "local"), false);
});

test("a host schedule belongs to its host only", () => {
  assert.equal(scheduleCoversHost({ kind: "host", hostId: "local" }, "local"), true);
  assert.equal(scheduleCoversHost({ kind: "host", hostId: "local" }, "rack-b"), false);
});

test("a tag schedule on one host belongs to that host; one on every host belongs to each", () => {
  assert.equal(scheduleCoversHost({ kind: "tag", tag: "web", hostId: "rack-b" }, "rack-b"), true);
  assert.equal(scheduleCoversHost({ kind: "tag", tag: "web", hostId: "rack-b" }, "local"), false);
  assert.equal(scheduleCoversHost({ kind: "tag", tag: "web", hostId: null }, "local"), true);
  assert.equal(scheduleCoversHost({ kind: "tag", tag: "web", hostId: null }, "rack-b"), true);
});
