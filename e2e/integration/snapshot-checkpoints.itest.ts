import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { resolveHost } from "@/server/hosts/connection";
import { ensureLocalHost } from "@/server/hosts/service";
import { resolveVm } from "@/server/domains/lookup";
import { closeAllConnections } from "@/server/libvirt/registry";
import { createSnapshot } from "@/server/snapshots/service";
import { ServiceError } from "@/server/errors";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";

/**
 * A shut-off VM with a checkpoint — what every backup of a running VM leaves for the next,
 * incremental one — cannot be snapshotted by libvirt 9.0, nor its checkpoint deleted while it is off.
 * The manager says so in its own words, naming the VM, instead of passing libvirt's on.
 */

let dom: IdleDomain;

before(async () => {
  await ensureLibvirtd();
  dom = await defineIdleDomain(`kvmm-test-ckpt-${randomBytes(3).toString("hex")}`);
});

after(async () => {
  await virsh(["destroy", dom.name]).catch(() => undefined);
  await virsh(["undefine", dom.name, "--checkpoints-metadata"]).catch(() => undefined);
  await dom?.remove();
  await closeAllConnections();
});

test("a snapshot of a shut-off VM that has a backup checkpoint is refused in words that say why and what to do", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    ensureLocalHost(db, libvirtUri());
    const admin = await addUser(db, "ada", "admin");
    const vm = await resolveVm(resolveHost(db, "local"), admin, dom.uuid);
    // Without a checkpoint the same snapshot is taken: the refusal is about the checkpoint, not the VM.
    await createSnapshot(vm, { name: "before", memory: false });
    await virsh(["snapshot-delete", dom.name, "before"]);
    await virsh(["start", dom.name]);
    await virsh(["checkpoint-create-as", dom.name, "kvmm-backup-1"]);
    await virsh(["destroy", dom.name]);
    await assert.rejects(createSnapshot(vm, { name: "after", memory: false }), (err: unknown) => {
      assert.ok(err instanceof ServiceError && err.kind === "conflict", String(err));
      assert.equal(
        err.message,
        `VM "${dom.name}" on host "local": snapshot "after": libvirt cannot snapshot this VM while it is shut off, because its backups keep 1 checkpoint(s) in it for incremental backups; start the VM and take the snapshot with its memory`,
      );
      return true;
    });
    assert.deepEqual(await dom.snapshots(), []);
  } finally {
    cleanup();
  }
});
