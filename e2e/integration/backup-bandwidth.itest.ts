import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rmdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Db } from "../../server/db/client";
import { ensureLocalHost } from "../../server/hosts/service";
import { resolveHost } from "../../server/hosts/connection";
import { resolveVm } from "../../server/domains/lookup";
import { closeAllConnections } from "../../server/libvirt/registry";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import type { SessionUser } from "../../server/users/service";
import { runBackup, setBackupTarget } from "../../server/backups/service";
import { backupById } from "../../server/backups/store";
import { taskRunner } from "../../server/tasks/runner";
import { getTask } from "../../server/tasks/store";
import type { Quiesced } from "../../server/guest/quiesce";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { writeImageBytes } from "../fixtures/disk-bytes";
import { kvmmCacheDir } from "../fixtures/paths";
import { TEST_DOMAIN_PREFIX, ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

/**
 * A backup's bandwidth limit on libvirt 9.0 / QEMU 7.2, and a cancel of a push backup job while it
 * copies: an idle domain (SeaBIOS, no guest boots) with 1 GiB of random data on its qcow2 disk,
 * backed up at 4 MiB/s. The job's first moments run unlimited (libvirt takes no speed in
 * domainBackupBegin), at ~1.5 GiB/s here: 256 MiB were copied in ~170 ms, before the limit applied,
 * in a landing run whose machine was loaded by other work; 1 GiB gives the limit ~0.7 s to land. libvirt reports the limit on the disk's job, the task's progress moves
 * through values between 0 and 1, and a cancel aborts the job and leaves neither files nor a
 * checkpoint. Under the manager's umask (077), which once kept QEMU out of the backup's directory.
 */

const HOST = "local";
const RUN = randomBytes(3).toString("hex");
const POOL = `${TEST_DOMAIN_PREFIX}bkbw-${RUN}`;
// Not under the run root: the fixtures' clean-up removes directories there that have no live owner.
const POOL_DIR = join(kvmmCacheDir(), `backup-bandwidth-itest-${RUN}`);
const MiB = 1024 ** 2;
const DATA_MIB = 1024;
const CHUNK_MIB = 128;

let db: Db;
let cleanupDb: () => void;
let admin: SessionUser;
let vm: IdleDomain | undefined;

const noQuiesce = async (): Promise<Quiesced> => ({ method: "none", reason: "no agent in an idle domain", frozen: [], thaw: async () => undefined });

before(async () => {
  await ensureLibvirtd();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  admin = await addUser(db, "ada", "admin");
  await mkdir(POOL_DIR, { recursive: true, mode: 0o755 });
  await virsh(["pool-create-as", POOL, "dir", "--target", POOL_DIR]);
  await setBackupTarget(db, resolveHost(db, HOST), POOL, admin);
  vm = await defineIdleDomain(`${TEST_DOMAIN_PREFIX}bkbw-${RUN}`, { diskMiB: DATA_MIB + 1 });
  // From 1 MiB on: sector 0 stays empty, so SeaBIOS finds nothing to boot. One random chunk written
  // again and again: QEMU copies every cluster whatever it holds, and only zeroes would be skipped.
  const chunk = randomBytes(CHUNK_MIB * MiB);
  for (let at = 0; at < DATA_MIB; at += CHUNK_MIB) await writeImageBytes(vm.disk!, "qcow2", MiB + at * MiB, chunk);
  await virsh(["start", vm.name]);
});

after(async () => {
  if (vm) {
    await virsh(["destroy", vm.name]).catch(() => undefined);
    await virsh(["undefine", vm.name, "--checkpoints-metadata"]).catch(() => undefined);
    await vm.remove();
  }
  await virsh(["pool-destroy", POOL]).catch(() => undefined);
  // What a failed run may leave: a backup's files, by name.
  for (const entry of await readdir(POOL_DIR).catch(() => [])) {
    if (!entry.startsWith("kvmm-backup-")) continue;
    for (const f of ["vda.qcow2", "domain.xml", "manifest.json"]) await unlink(join(POOL_DIR, entry, f)).catch(() => undefined);
    await rmdir(join(POOL_DIR, entry)).catch(() => undefined);
  }
  await rmdir(POOL_DIR).catch(() => undefined);
  await closeAllConnections();
  cleanupDb?.();
});

test("a backup limited to 4 MiB/s runs at that limit with its progress moving, and a cancel mid-copy aborts the job and leaves nothing", async () => {
  // As the manager runs (server/main.ts): what it creates is private unless it says otherwise.
  process.umask(0o077);
  const started = runBackup(db, await resolveVm(resolveHost(db, HOST), admin, vm!.uuid), { user: admin, quiesce: noQuiesce, bandwidthMiBs: 4 });
  const rejected = started.done.then(
    () => null,
    (err: Error) => err,
  );
  await waitFor(
    async () => {
      const out = await virsh(["blockjob", vm!.name, "vda", "--info", "--bytes"]).catch(() => "");
      return /Bandwidth limit: 4194304 bytes\/s/.test(out);
    },
    { timeoutMs: 15_000, intervalMs: 50, what: "libvirt to report the backup job of vda limited to 4 MiB/s" },
  );
  const seen = new Set<number>();
  await waitFor(
    async () => {
      const p = (await getTask(db, admin, started.taskId, () => libvirtUri()))?.progress;
      if (typeof p === "number" && p > 0 && p < 1) seen.add(p);
      return seen.size >= 2;
    },
    { timeoutMs: 15_000, intervalMs: 100, what: "two progress values between 0 and 1 while the job copies" },
  );
  taskRunner(db).handle(started.taskId)!.requestCancel();
  const err = await rejected;
  assert.match(err?.message ?? "no error", /cancelled; its files were removed/);
  const row = backupById(db, started.backupId)!;
  assert.equal(row.state, "cancelled");
  await assert.rejects(stat(row.dir), { code: "ENOENT" });
  assert.deepEqual(
    (await readdir(POOL_DIR)).filter((f) => f.startsWith("kvmm-backup-")),
    [],
  );
  assert.equal((await getTask(db, admin, started.taskId, () => libvirtUri()))?.state, "cancelled");
  assert.equal(await virsh(["checkpoint-list", vm!.name, "--name"]), "");
  assert.equal(await vm!.state(), "running");
});
