import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { access, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { asc, eq } from "drizzle-orm";
import { scheduleRuns } from "@/server/db/schema";
import type { Db } from "@/server/db/client";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { updateUser, type SessionUser } from "@/server/users/service";
import { ScheduleEngine } from "@/server/automation/engine";
import { createSchedule, toRun } from "@/server/automation/service";
import type { MissedPolicy } from "@/server/automation/schemas";
import { FakeClock } from "@/server/automation/testing/fake-clock";
import { runBackup, setBackupTarget, deleteBackup } from "@/server/backups/service";
import { backupById, backupsOfVm } from "@/server/backups/store";
import { resolveHost } from "@/server/hosts/connection";
import { resolveVm } from "@/server/domains/lookup";
import { quiesce } from "@/server/guest/quiesce";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { kvmmCacheDir } from "../fixtures/paths";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";

/**
 * Schedules against the real libvirtd, driven by the engine on a fake clock (no real minutes of
 * waiting): snapshots of a shut-off idle domain (internal, in its qcow2 disk) every minute with
 * "keep the last 2", and the missed-run policies over an engine restarted on the same database.
 */
const id = randomBytes(3).toString("hex");
const MINUTE = 60_000;

let dom: IdleDomain;

before(async () => {
  await ensureLibvirtd();
  dom = await defineIdleDomain(`kvmm-test-sched-${id}`);
});

after(async () => {
  await dom?.remove();
  await closeAllConnections();
});

async function setUp(): Promise<{ db: Db; cleanup: () => void; admin: SessionUser; clock: FakeClock }> {
  const { db, cleanup } = tempDatabase();
  ensureLocalHost(db, libvirtUri());
  const admin = await addUser(db, "ada", "admin");
  // Half a minute past a whole minute: the first fire is 30 s away.
  const clock = new FakeClock(Math.floor(Date.now() / MINUTE) * MINUTE + 30_000);
  return { db, cleanup, admin, clock };
}

function snapshotSchedule(name: string, keepLast: number, missedPolicy: MissedPolicy) {
  return {
    name,
    target: { kind: "vm" as const, hostId: "local", uuid: dom.uuid },
    cron: "* * * * *",
    timeZone: "UTC",
    missedPolicy,
    enabled: true,
    action: "snapshot" as const,
    options: { memory: false, namePattern: "{schedule}-{HH}{mm}", keepLast },
  };
}

const runsOf = (db: Db, scheduleId: number) =>
  db.select().from(scheduleRuns).where(eq(scheduleRuns.scheduleId, scheduleId)).orderBy(asc(scheduleRuns.id)).all().map(toRun);

const hhmm = (at: number) => new Date(at).toISOString().slice(11, 16).replace(":", "");

test('a schedule every minute that snapshots a VM with "keep the last 2" leaves exactly its 2 newest after 4 runs; a snapshot made by hand stays', async () => {
  const { db, cleanup, admin, clock } = await setUp();
  const engine = new ScheduleEngine({ db, clock });
  try {
    await virsh(["snapshot-create-as", dom.name, "by-hand"]);
    const s = await createSchedule(db, admin, snapshotSchedule(`keep2-${id}`, 2, "skip"), new Date(clock.now()));
    engine.start();
    const fires: number[] = [];
    for (let i = 0; i < 4; i++) {
      await clock.advance(MINUTE);
      fires.push(Math.floor(clock.now() / MINUTE) * MINUTE);
      await engine.idle();
    }
    const runs = runsOf(db, s.id);
    assert.deepEqual(
      runs.map((r) => [r.trigger, r.result, r.error]),
      Array.from({ length: 4 }, () => ["cron", "ok", null]),
    );
    assert.match(runs[3]!.outcomes[0]!.message, new RegExp(`^snapshot "keep2-${id}-${hhmm(fires[3]!)}" taken; deleted "keep2-${id}-${hhmm(fires[1]!)}"$`));
    const names = (await dom.snapshots()).sort();
    assert.deepEqual(names, ["by-hand", `keep2-${id}-${hhmm(fires[2]!)}`, `keep2-${id}-${hhmm(fires[3]!)}`].sort());
  } finally {
    await engine.stop();
    cleanup();
    for (const name of await dom.snapshots()) await virsh(["snapshot-delete", dom.name, name]);
  }
});

for (const policy of ["runOnce", "skip"] as const) {
  test(`a run missed while the manager was stopped follows the policy "${policy}": ${policy === "runOnce" ? "one snapshot for the latest fire" : "no snapshot, one skipped run"}`, async () => {
    const { db, cleanup, admin, clock } = await setUp();
    const name = `missed-${policy.toLowerCase()}-${id}`;
    let engine = new ScheduleEngine({ db, clock });
    try {
      const s = await createSchedule(db, admin, snapshotSchedule(name, 10, policy), new Date(clock.now()));
      engine.start();
      await clock.advance(MINUTE);
      await engine.idle();
      await engine.stop();
      const before = await dom.snapshots();
      assert.equal(before.length, 1);
      // The manager is down for ten fires, then starts over the same database.
      clock.jumpTo(clock.now() + 10 * MINUTE);
      const latestFire = Math.floor(clock.now() / MINUTE) * MINUTE;
      engine = new ScheduleEngine({ db, clock });
      engine.start();
      await engine.idle();
      const after = runsOf(db, s.id).slice(1);
      assert.equal(after.length, 1);
      assert.equal(after[0]!.trigger, "catchUp");
      assert.equal(after[0]!.firedFor, new Date(latestFire).toISOString());
      const names = await dom.snapshots();
      if (policy === "runOnce") {
        assert.equal(after[0]!.result, "ok");
        assert.deepEqual(names.sort(), [...before, `${name}-${hhmm(latestFire)}`].sort());
      } else {
        assert.equal(after[0]!.result, "skipped");
        assert.deepEqual(names, before);
      }
    } finally {
      await engine.stop();
      cleanup();
      for (const snap of await dom.snapshots()) await virsh(["snapshot-delete", dom.name, snap]);
    }
  });
}

test("a run checks the creator's grants again: once they no longer cover the VM, the run fails naming it and takes no snapshot", async () => {
  const { db, cleanup, clock } = await setUp();
  const engine = new ScheduleEngine({ db, clock });
  try {
    const nora = await addUser(db, "nora", "operator", [{ kind: "name", value: dom.name }]);
    const s = await createSchedule(db, nora, snapshotSchedule(`grants-${id}`, 2, "skip"), new Date(clock.now()));
    updateUser(db, nora.id, { grants: [{ kind: "name", value: "kvmm-test-other-*" }] });
    await engine.runNow(s.id, "ada").done;
    const [run] = runsOf(db, s.id);
    assert.equal(run!.result, "failed");
    assert.equal(run!.error, `schedule "grants-${id}": VM ${dom.uuid} on host "local": not found`);
    assert.deepEqual(await dom.snapshots(), []);
  } finally {
    await engine.stop();
    cleanup();
  }
});

test('a backup schedule every minute with "keep the newest 2" leaves exactly its 2 newest backups after 3 runs, their files on disk; a backup made by hand stays', async () => {
  const { db, cleanup, admin, clock } = await setUp();
  const pool = `kvmm-test-sched-backups-${id}`;
  // Not under the run root: the fixtures' clean-up removes directories there that have no live owner.
  const dir = join(kvmmCacheDir(), pool);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await virsh(["pool-create-as", pool, "dir", "--target", dir]);
  const engine = new ScheduleEngine({ db, clock });
  try {
    await setBackupTarget(db, resolveHost(db, "local"), pool, admin);
    const vm = () => resolveVm(resolveHost(db, "local"), admin, dom.uuid);
    const byHand = await runBackup(db, await vm(), { user: admin, quiesce }).done;
    const s = await createSchedule(
      db,
      admin,
      {
        name: `backups-${id}`,
        target: { kind: "vm", hostId: "local", uuid: dom.uuid },
        cron: "* * * * *",
        timeZone: "UTC",
        missedPolicy: "skip",
        enabled: true,
        action: "backup",
        options: { pool, keepLast: 2, daily: 0, weekly: 0, monthly: 0 },
      },
      new Date(clock.now()),
    );
    engine.start();
    for (let i = 0; i < 3; i++) {
      await clock.advance(MINUTE);
      await engine.idle();
    }
    const runs = runsOf(db, s.id);
    assert.deepEqual(
      runs.map((r) => [r.trigger, r.result, r.error]),
      Array.from({ length: 3 }, () => ["cron", "ok", null]),
    );
    const made = runs.map((r) => /^full backup ([0-9a-f]{16}) \(consistent\) in pool /.exec(r.outcomes[0]!.message)?.[1]);
    assert.ok(made.every(Boolean), runs.map((r) => r.outcomes[0]!.message).join("\n"));
    assert.match(runs[2]!.outcomes[0]!.message, new RegExp(`; deleted backup ${made[0]}$`));
    const valid = backupsOfVm(db, "local", dom.uuid, ["succeeded"]).map((b) => b.id);
    assert.deepEqual(valid.sort(), [byHand.id, made[1]!, made[2]!].sort());
    for (const kept of [made[1]!, made[2]!, byHand.id]) await access(join(backupById(db, kept)!.dir, "manifest.json"));
    assert.equal((await readdir(dir)).length, 3, "the deleted backup's directory is gone from the pool");
  } finally {
    await engine.stop();
    const { conn } = resolveHost(db, "local");
    for (const b of backupsOfVm(db, "local", dom.uuid)) await deleteBackup(db, b, conn).catch(() => undefined);
    cleanup();
    await virsh(["pool-destroy", pool]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
