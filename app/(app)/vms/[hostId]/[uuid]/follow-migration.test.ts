import { test } from "node:test";
import assert from "node:assert/strict";
import { migratedTo, movedPath } from "./follow-migration";

const vm = { hostId: "local", uuid: "0b5f3c2e-1d4a-4e8b-9c7d-2a6f8e1b3c4d" };

test("a moved VM's page keeps its tab on the destination host", () => {
  assert.equal(movedPath(`/vms/local/${vm.uuid}/console`, vm, "b"), `/vms/b/${vm.uuid}/console`);
  assert.equal(movedPath(`/vms/local/${vm.uuid}`, vm, "host-b"), `/vms/host-b/${vm.uuid}`);
});

test("a page not under the VM's old address goes to the VM's new one", () => {
  assert.equal(movedPath("/vms", vm, "b"), `/vms/b/${vm.uuid}`);
});

test("only a succeeded migration task names where its VM went", () => {
  const result = { destHostId: "b", elapsedMs: 512, downtimeMs: 40, dataBytes: null };
  assert.equal(migratedTo({ kind: "vm.migrate", state: "succeeded", result }), "b");
  assert.equal(migratedTo({ kind: "vm.migrate", state: "running", result: null }), null);
  assert.equal(migratedTo({ kind: "vm.migrate", state: "failed", result: null }), null);
  assert.equal(migratedTo({ kind: "vm.clone", state: "succeeded", result }), null);
});
