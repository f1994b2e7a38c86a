import { test } from "node:test";
import assert from "node:assert/strict";
import { canDo, stateAfter, stateAfterEvent, vmStateName } from "./power";
import { assertTransition } from "./power-actions";

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

test("the state an action leaves: synchronous actions change it, requests to the guest do not", () => {
  assert.equal(stateAfter("forceOff", "running"), "shutoff");
  assert.equal(stateAfter("start", "shutoff"), "running");
  assert.equal(stateAfter("pause", "running"), "paused");
  assert.equal(stateAfter("shutdown", "running"), "running", "ACPI shutdown only asks the guest");
  assert.equal(stateAfter("reset", "paused"), "paused");
});

test("the power table is safe for the browser: it imports nothing", async () => {
  const { readFile } = await import("node:fs/promises");
  const source = await readFile(new URL("./power.ts", import.meta.url), "utf8");
  assert.doesNotMatch(source, /^import /m);
});

test("lifecycle events say the state they leave, where they do", () => {
  assert.equal(stateAfterEvent("stopped"), "shutoff");
  assert.equal(stateAfterEvent("shutdown"), "shutdown");
  assert.equal(stateAfterEvent("resumed"), "running");
  assert.equal(stateAfterEvent("defined"), null);
});

test("libvirt state numbers map to names, unknown ones to nostate", () => {
  assert.equal(vmStateName(1), "running");
  assert.equal(vmStateName(5), "shutoff");
  assert.equal(vmStateName(42), "nostate");
});
