import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, open, rmdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createCallerFactory, router } from "../../server/api/trpc";
import { backupsRouter } from "../../server/api/routers/backups";
import type { Db } from "../../server/db/client";
import { ensureLocalHost } from "../../server/hosts/service";
import { resolveHost } from "../../server/hosts/connection";
import { resolveVm } from "../../server/domains/lookup";
import { closeAllConnections } from "../../server/libvirt/registry";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import type { SessionUser } from "../../server/users/service";
import { startGuestHub, stopGuestHub, type GuestHub } from "../../server/guest";
import { guestExec } from "../../server/guest/service";
import { bootAgentGuest } from "../../server/guest/testing/agent-guest";
import { quiesce, type QuiesceFn } from "../../server/guest/quiesce";
import { runBackup } from "../../server/backups/service";
import { backupById } from "../../server/backups/store";
import { taskRunner } from "../../server/tasks/runner";
import { getTask } from "../../server/tasks/store";
import { kvmmCacheDir } from "../fixtures/paths";
import { run } from "../fixtures/run";
import { TEST_DOMAIN_PREFIX, cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, virsh, type TestDomain } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

/**
 * Backups against the real libvirtd (9.0) and QEMU (7.2, TCG) with one booted test guest whose
 * agent writes numbered 512-byte records to its qcow2 disk /dev/vda, one per sector, each synced
 * before the next, for the whole run. Then: a full and an incremental backup while it runs; a
 * corrupted file found by verify; a cancelled backup that leaves nothing; and the chain restored as
 * a new VM that boots (after the original is switched off: one TCG guest at a time) and holds every
 * record the writer had synced before the incremental backup began.
 */

const HOST = "local";
const RUN = randomBytes(3).toString("hex");
const POOL = `${TEST_DOMAIN_PREFIX}backups-${RUN}`;
// Not under the run root: the fixtures' clean-up removes directories there that have no live owner.
const POOL_DIR = join(kvmmCacheDir(), `backups-itest-${RUN}`);
const DISK = join(POOL_DIR, "source-vda.qcow2");
const RESTORED = `${TEST_DOMAIN_PREFIX}restored-${RUN}`;
const MiB = 1024 ** 2;

/** The writer: record i at sector i, "kvmm-rec <8 digits>" padded with NULs, synced; /tmp/written holds the last synced i. */
const WRITER = [
  "i=0",
  "while :; do",
  "  printf 'kvmm-rec %08d\\n' $i | dd of=/dev/vda bs=512 seek=$i conv=notrunc,sync,fsync 2>/dev/null || exit 1",
  "  echo $i > /tmp/written.new && mv /tmp/written.new /tmp/written",
  "  i=$((i+1))",
  "done",
  "",
].join("\n");

let db: Db;
let cleanupDb: () => void;
let admin: SessionUser;
let guest: TestDomain;
let hub: GuestHub;
let restoredUuid: string | null = null;
const made: { full?: string; incremental?: string; syncedBeforeIncremental?: number; randomSha?: string } = {};

const caller = createCallerFactory(router({ backups: backupsRouter }));
const api = () => caller({ db, user: admin, clientIp: "192.0.2.12" }).backups;
const hosts = () => [{ id: HOST, uri: libvirtUri() }];

async function vmOf(uuid: string) {
  return resolveVm(resolveHost(db, HOST), admin, uuid);
}

async function exec(uuid: string, script: string, timeoutMs = 60_000): Promise<string> {
  const result = await guestExec(await vmOf(uuid), { command: "sh", args: ["-c", script], timeoutMs }, hub);
  assert.equal(result.exit_code, 0, `guest: ${script}: ${result.stderr}`);
  return result.stdout;
}

async function agentConnected(uuid: string): Promise<void> {
  await waitFor(() => hub.status(HOST, uuid)?.agent.state === "connected" || null, { timeoutMs: 120_000, intervalMs: 250, what: `the agent of ${uuid}` });
}

async function written(): Promise<number> {
  return Number((await exec(guest.uuid, "cat /tmp/written")).trim());
}

async function waitWritten(atLeast: number): Promise<number> {
  return waitFor(async () => ((await written()) >= atLeast ? written() : null), {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: `the guest to sync record ${atLeast}`,
  });
}

async function fileBytes(dir: string, names: string[]): Promise<number> {
  let total = 0;
  for (const n of names) total += (await stat(join(dir, n))).size;
  return total;
}

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  admin = await addUser(db, "ada", "admin");
  await mkdir(POOL_DIR, { recursive: true, mode: 0o755 });
  await virsh(["pool-create-as", POOL, "dir", "--target", POOL_DIR]);
  await run("qemu-img", ["create", "-q", "-f", "qcow2", DISK, "64M"]);
  ({ guest } = await bootAgentGuest({ label: "backups", dataDisk: DISK }));
  hub = await startGuestHub({ hosts });
  await agentConnected(guest.uuid);
  // 8 MiB of random data at 32 MiB: what a full backup copies and an incremental one must not.
  made.randomSha = (
    await exec(
      guest.uuid,
      "dd if=/dev/urandom of=/dev/vda bs=1M seek=32 count=8 conv=fsync 2>/dev/null && dd if=/dev/vda bs=1M skip=32 count=8 2>/dev/null | sha256sum",
    )
  ).split(" ")[0];
  await exec(guest.uuid, `cat > /tmp/writer.sh <<'EOF'\n${WRITER}EOF\nsetsid sh /tmp/writer.sh </dev/null >/dev/null 2>&1 &`);
  await waitWritten(5);
});

after(async () => {
  await stopGuestHub();
  if (restoredUuid) {
    await virsh(["destroy", RESTORED]).catch(() => undefined);
    await virsh(["undefine", RESTORED, "--checkpoints-metadata"]).catch(() => undefined);
  }
  if (guest) {
    // Its checkpoints' metadata must go before the fixture can undefine it.
    await virsh(["destroy", guest.name]).catch(() => undefined);
    await virsh(["undefine", guest.name, "--checkpoints-metadata"]).catch(() => undefined);
    await guest.destroy();
  }
  for (const id of [made.incremental, made.full]) {
    const b = id && backupById(db, id);
    if (b)
      await api()
        .delete({ id: b.id })
        .catch(() => undefined);
  }
  for (const f of [DISK, join(POOL_DIR, `${RESTORED}-vda.qcow2`)]) await unlink(f).catch(() => undefined);
  await virsh(["pool-destroy", POOL]).catch(() => undefined);
  await rmdir(POOL_DIR).catch(() => undefined);
  await closeAllConnections();
  cleanupDb?.();
});

test("a running qcow2 guest is backed up in full while it writes, keeps running, and the backup is crash-consistent with the reason", async () => {
  await api().setTarget({ hostId: HOST, pool: POOL });
  assert.deepEqual(
    (await api().targets()).map((t) => [t.hostId, t.pool, t.path]),
    [[HOST, POOL, POOL_DIR]],
  );
  const before = await written();
  const started = runBackup(db, await vmOf(guest.uuid), { user: admin, quiesce, hub });
  const full = await started.done;
  made.full = full.id;
  assert.equal(full.state, "succeeded");
  assert.equal(full.kind, "full");
  assert.equal(full.parentId, null);
  assert.equal(full.checkpoint, `kvmm-${full.id}`);
  assert.equal(full.consistency, "crash-consistent");
  assert.equal(full.quiesceMethod, "none");
  // Our agent answers, but this guest's disk is written raw, with no filesystem on it to freeze.
  assert.match(full.consistencyReason ?? "", /found no writable filesystem on a disk to freeze/);
  assert.deepEqual(
    full.disks.map((d) => [d.target, d.file, d.source, d.virtualBytes]),
    [["vda", "vda.qcow2", DISK, 64 * MiB]],
  );
  assert.ok((full.bytes ?? 0) > 8 * MiB, `a full backup holds the 8 MiB of random data (${full.bytes} bytes)`);
  assert.equal(full.bytes, await fileBytes(full.dir, ["vda.qcow2", "domain.xml", "manifest.json"]));
  assert.equal((await getTask(db, admin, started.taskId, () => libvirtUri()))?.state, "succeeded");
  assert.match(await virsh(["checkpoint-list", guest.name, "--name"]), new RegExp(full.checkpoint!));
  assert.equal(await guest.state(), "running");
  await waitWritten(before + 20);
});

test("the second backup is incremental from the first's checkpoint and much smaller; the guest keeps writing", async () => {
  made.syncedBeforeIncremental = await written();
  const inc = await runBackup(db, await vmOf(guest.uuid), { user: admin, quiesce, hub }).done;
  made.incremental = inc.id;
  const full = backupById(db, made.full!)!;
  assert.equal(inc.kind, "incremental");
  assert.equal(inc.parentId, full.id);
  assert.ok(inc.bytes! * 4 < full.bytes!, `incremental ${inc.bytes} bytes vs full ${full.bytes}`);
  assert.equal(await guest.state(), "running");
  await waitWritten(made.syncedBeforeIncremental + 20);
});

test("verify passes on intact backups and names a file with flipped bytes", async () => {
  assert.deepEqual((await api().verify({ id: made.full! })).problems, []);
  const inc = backupById(db, made.incremental!)!;
  const path = join(inc.dir, "vda.qcow2");
  const size = (await stat(path)).size;
  const fh = await open(path, "r+");
  const original = Buffer.alloc(4);
  try {
    await fh.read(original, 0, 4, size - 4096);
    await fh.write(Buffer.from(original.map((b) => b ^ 0xff)), 0, 4, size - 4096);
    const bad = await api().verify({ id: inc.id });
    assert.equal(bad.ok, false);
    assert.ok(
      bad.problems.some((p) => p === "vda.qcow2: SHA-256 differs from the manifest"),
      bad.problems.join("; "),
    );
    assert.equal(backupById(db, inc.id)!.verifyState, "failed");
  } finally {
    await fh.write(original, 0, 4, size - 4096);
    await fh.close();
  }
  assert.equal((await api().verify({ id: inc.id })).ok, true);
  assert.equal(backupById(db, inc.id)!.verifyState, "ok");
});

test("a backup cancelled while it starts is aborted, its files and checkpoint removed, and the row marked cancelled", async () => {
  let taskId = "";
  // Cancels the task from inside its own quiesce step, so the cancel always lands while the backup runs.
  const cancelling: QuiesceFn = async (vm, options, h) => {
    taskRunner(db).handle(taskId)!.requestCancel();
    return quiesce(vm, options, h);
  };
  const started = runBackup(db, await vmOf(guest.uuid), { user: admin, quiesce: cancelling, hub, full: true });
  taskId = started.taskId;
  await assert.rejects(started.done, /cancelled; its files were removed/);
  const row = backupById(db, started.backupId)!;
  assert.equal(row.state, "cancelled");
  await assert.rejects(stat(row.dir), { code: "ENOENT" });
  assert.equal((await getTask(db, admin, taskId, () => libvirtUri()))?.state, "cancelled");
  assert.doesNotMatch(await virsh(["checkpoint-list", guest.name, "--name"]), new RegExp(`kvmm-${row.id}`));
  const valid = (await api().list({})).filter((b) => b.state === "succeeded").map((b) => b.id);
  assert.deepEqual(valid.sort(), [made.full!, made.incremental!].sort());
  assert.equal(await guest.state(), "running");
});

test("a backup another builds on cannot be deleted", async () => {
  await assert.rejects(api().delete({ id: made.full! }), /builds on it/);
});

test("the chain restored as a new VM boots and holds every record synced before the incremental backup, intact, and the random data", async () => {
  // One TCG guest at a time: the original is switched off (its kernel and initrd stay for the restored copy).
  await virsh(["destroy", guest.name]);
  const restored = await api().restore({ id: made.incremental!, name: RESTORED, pool: POOL });
  restoredUuid = restored.uuid;
  assert.notEqual(restored.uuid, guest.uuid);
  const xml = await virsh(["dumpxml", RESTORED]);
  assert.match(xml, new RegExp(`<source file='${join(POOL_DIR, `${RESTORED}-vda.qcow2`)}'`));
  assert.doesNotMatch(xml, /<source file='[^']*source-vda\.qcow2'/);
  const info = JSON.parse((await run("qemu-img", ["info", "--output=json", join(POOL_DIR, `${RESTORED}-vda.qcow2`)])).stdout) as Record<string, unknown>;
  assert.equal(info["backing-filename"], undefined, "the restored image stands alone");
  await virsh(["start", RESTORED]);
  await agentConnected(restored.uuid);
  const synced = made.syncedBeforeIncremental!;
  const out = await exec(restored.uuid, `dd if=/dev/vda bs=512 count=${synced + 5000} 2>/dev/null | tr -d '\\000'`);
  const lines = out.split("\n").filter(Boolean);
  lines.forEach((line, i) => assert.equal(line, `kvmm-rec ${String(i).padStart(8, "0")}`, `record ${i}`));
  assert.ok(lines.length > synced, `${lines.length} records restored, ${synced + 1} were synced before the incremental backup began`);
  const sha = (await exec(restored.uuid, "dd if=/dev/vda bs=1M skip=32 count=8 2>/dev/null | sha256sum")).split(" ")[0];
  assert.equal(sha, made.randomSha);
});

test("restoring over the original needs its name typed exactly; afterwards its disk holds the backup's contents and its checkpoints are gone", async () => {
  await virsh(["destroy", RESTORED]);
  const restoredDisk = join(POOL_DIR, `${RESTORED}-vda.qcow2`);
  // The writer went on after the incremental backup began: the original's disk differs from the restored copy.
  await assert.rejects(run("qemu-img", ["compare", DISK, restoredDisk]));
  await assert.rejects(
    api().restoreOver({ hostId: HOST, uuid: guest.uuid, id: made.incremental!, confirmName: `${guest.name}x` }),
    /type the VM's name exactly/,
  );
  await run("qemu-img", ["compare", DISK, restoredDisk]).then(
    () => assert.fail("a refused restore changed the disk"),
    () => undefined,
  );
  await api().restoreOver({ hostId: HOST, uuid: guest.uuid, id: made.incremental!, confirmName: guest.name });
  await run("qemu-img", ["compare", DISK, restoredDisk]);
  assert.equal((await virsh(["checkpoint-list", guest.name, "--name"])).trim(), "");
});
