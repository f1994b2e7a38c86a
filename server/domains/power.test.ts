import { test } from "node:test";
import assert from "node:assert/strict";
import { assertTransition, canDo, vmStateName } from "./power";

test("power actions are allowed only from states where they make sense", () => {
  assert.ok(canDo("start", "shutoff"));
  assert.ok(!canDo("start", "running"));
  assert.ok(canDo("resume", "paused"));
  assert.ok(!canDo("pause", "paused"));
  assert.ok(canDo("forceOff", "paused"));
  assert.ok(!canDo("shutdown", "shutoff"));
});

test("a refused transition names the VM, the action and the state", () => {
  assert.throws(() => assertTransition('VM "web-1" on host "local"', "pause", "shutoff"), /VM "web-1" on host "local": cannot pause while it is shut off/);
});

test("libvirt state numbers map to names, unknown ones to nostate", () => {
  assert.equal(vmStateName(1), "running");
  assert.equal(vmStateName(5), "shutoff");
  assert.equal(vmStateName(42), "nostate");
});
