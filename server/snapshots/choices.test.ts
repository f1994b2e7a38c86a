import { test } from "node:test";
import assert from "node:assert/strict";
import { refuseSnapshot, snapshotChoice } from "./choices";

const qcow2 = { device: "disk", target: "vda", format: "qcow2", readonly: false };
const raw = { device: "disk", target: "vdb", format: "raw", readonly: false };
const iso = { device: "cdrom", target: "sda", format: "raw", readonly: true };

test("a running VM is offered disk+memory only, a stopped VM disk only, each with its reason", () => {
  assert.equal(snapshotChoice(true, [qcow2, iso]).kind, "memory");
  assert.deepEqual(snapshotChoice(true, [qcow2]).reason, { code: "running" });
  assert.equal(snapshotChoice(false, [qcow2, iso]).kind, "disk");
  assert.deepEqual(snapshotChoice(false, [qcow2]).reason, { code: "shutOff" });
});

test("nothing is offered without a writable disk or with one that is not qcow2, and the form says which", () => {
  assert.deepEqual(snapshotChoice(false, [iso]), { kind: null, reason: { code: "noWritableDisk" } });
  assert.equal(refuseSnapshot(false, [iso], "disk"), "the VM has no writable disk to snapshot");
  const withRaw = snapshotChoice(true, [qcow2, raw]);
  assert.equal(withRaw.kind, null);
  assert.deepEqual(withRaw.reason, { code: "notQcow2", disks: [{ target: "vdb", format: "raw" }] });
});

test("the server refuses a disk-only snapshot of a running VM, saying what to do instead", () => {
  assert.match(refuseSnapshot(true, [qcow2], "disk") ?? "", /shut the VM down for a disk-only snapshot, or take a disk\+memory snapshot/);
  assert.equal(refuseSnapshot(true, [qcow2], "memory"), null);
  assert.equal(refuseSnapshot(false, [qcow2], "disk"), null);
  assert.match(refuseSnapshot(false, [qcow2], "memory") ?? "", /^the VM is not running/);
  assert.equal(refuseSnapshot(false, [raw], "disk"), "snapshots are kept inside qcow2 disks, and vdb (raw) is not qcow2");
});
