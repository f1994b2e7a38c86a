import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { eq, getTableName, is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as schema from "../db/schema";
import type { Db } from "../db/client";
import { tempDatabase } from "../testing/test-db";
import { ensureLocalHost } from "./service";
import { assertNoRunningTask, forgetHost } from "./forget";

/**
 * Every table with a host_id column, and what removing a host does to it (forget.ts says why).
 * A table added with a host_id fails the first test until someone decides.
 */
const DECIDED: Record<string, "deleted"> = {
  metric_subjects: "deleted",
  alerts: "deleted",
  insights: "deleted",
  agent_sightings: "deleted",
  tasks: "deleted",
  backup_targets: "deleted",
  backups: "deleted",
  schedules: "deleted",
  schedule_snapshots: "deleted",
  templates: "deleted",
};

test("every table keyed by a host id is one forget.ts decided about", () => {
  const keyed = (Object.values(schema) as unknown[])
    .filter((value): value is SQLiteTable => is(value, SQLiteTable))
    .filter((table) => getTableConfig(table).columns.some((column) => column.name === "host_id"))
    .map((table) => getTableName(table))
    .sort();
  assert.deepEqual(keyed, Object.keys(DECIDED).sort());
});

/** One row about `hostId` (and a VM on it) in every table that keeps something about hosts. */
function rowsAbout(db: Db, hostId: string): void {
  const uuid = randomUUID();
  const now = new Date();
  const sqlite = db.$client;
  const subject = sqlite.prepare("INSERT INTO metric_subjects (kind, host_id, uuid) VALUES ('vm', ?, ?) RETURNING id").get(hostId, uuid) as { id: number };
  sqlite.prepare("INSERT INTO metric_raw (subject_id, at) VALUES (?, ?)").run(subject.id, now.getTime());
  sqlite.prepare("INSERT INTO metric_1m (id, subject_id, at) VALUES (?, ?, ?)").run(subject.id * 2 ** 32 + 1, subject.id, now.getTime());
  const rule = (scope: object) =>
    db
      .insert(schema.alertRules)
      .values({
        name: `${hostId} rule`,
        metric: "vm.cpu",
        scope: JSON.stringify(scope),
        comparison: ">",
        threshold: 90,
        resolveThreshold: 80,
        forMs: 0,
        severity: "warning",
        updatedAt: now,
      })
      .returning()
      .get().id;
  const hostRule = rule({ kind: "host", hostId });
  rule({ kind: "vm", hostId, uuid });
  db.insert(schema.alertSilences)
    .values([
      { kind: "rule", value: String(hostRule), endsAt: now, reason: "r", createdBy: "a" },
      { kind: "vm", value: `${hostId}/${uuid}`, endsAt: now, reason: "r", createdBy: "a" },
    ])
    .run();
  db.insert(schema.alerts).values({ ruleName: "r", metric: "vm.cpu", severity: "warning", hostId, uuid, state: "firing", threshold: 90, firedAt: now }).run();
  db.insert(schema.insights).values({ kind: "vm.noAgent", severity: "info", hostId, uuid, figures: "{}" }).run();
  db.insert(schema.agentSightings).values({ hostId, uuid }).run();
  const task = { kind: "vm.clone" as const, hostId, targetKind: "vm" as const, targetName: "web", username: "a", startedAt: now, updatedAt: now };
  db.insert(schema.tasks)
    .values({ ...task, id: randomUUID(), state: "succeeded" })
    .run();
  db.insert(schema.backupTargets).values({ hostId, pool: "backups", path: "/b", createdBy: "a" }).run();
  db.insert(schema.backups)
    .values({ id: randomUUID(), hostId, vmUuid: uuid, vmName: "web", pool: "backups", dir: "/b/x", kind: "full", state: "succeeded", startedAt: now })
    .run();
  const schedule = (name: string, targetKind: "vm" | "tag", host: string | null) =>
    db
      .insert(schema.schedules)
      .values({
        name,
        targetKind,
        hostId: host,
        vmUuid: targetKind === "vm" ? uuid : null,
        tag: targetKind === "tag" ? "web" : null,
        action: "snapshot",
        options: "{}",
        cron: "0 * * * *",
        timeZone: "UTC",
        missedPolicy: "skip",
        enabled: true,
        createdByName: "a",
        createdAt: now,
        updatedAt: now,
        firedThrough: now,
      })
      .returning()
      .get().id;
  schedule(`${hostId} vm`, "vm", hostId);
  schedule(`${hostId} tag narrowed`, "tag", hostId);
  const everywhere = schedule(`${hostId} tag everywhere`, "tag", null);
  db.insert(schema.scheduleSnapshots).values({ scheduleId: everywhere, hostId, vmUuid: uuid, name: "s", takenAt: now }).run();
  db.insert(schema.templates)
    .values({ id: randomUUID(), hostId, name: "tpl", sourceVm: "web", pool: "default", state: "ready", vcpus: 1, memoryMiB: 512, domainXml: "<domain/>" })
    .run();
}

function count(db: Db, sql: string, ...params: unknown[]): number {
  return (db.$client.prepare(`SELECT count(*) AS n FROM ${sql}`).get(...params) as { n: number }).n;
}

test("removing a host deletes every row about it and its VMs, and nothing about other hosts; grants and the audit log stay", () => {
  const { db, cleanup } = tempDatabase();
  try {
    ensureLocalHost(db, "test:///default");
    db.insert(schema.hosts).values({ id: "b", name: "B", uri: "qemu+ssh://root@b/system" }).run();
    rowsAbout(db, "b");
    rowsAbout(db, "local");
    const [raw, minute] = [count(db, "metric_raw"), count(db, "metric_1m")];
    db.insert(schema.auditLog).values({ action: "hosts.add", target: 'host "b"', result: "ok" }).run();
    const user = db.insert(schema.users).values({ username: "o", passwordHash: "x", role: "operator" }).returning().get();
    db.insert(schema.grants).values({ userId: user.id, kind: "host", value: "b" }).run();

    const { scheduleIds } = forgetHost(db, "b");

    assert.equal(scheduleIds.length, 2, "the schedule of its VM and the tag schedule narrowed to it");
    for (const table of Object.keys(DECIDED)) {
      assert.equal(count(db, `${table} WHERE host_id = 'b'`), 0, `${table}: b's rows are gone`);
      assert.ok(count(db, `${table} WHERE host_id = 'local'`) > 0, `${table}: local's rows stay`);
    }
    assert.deepEqual([count(db, "metric_raw"), count(db, "metric_1m")], [raw - 1, minute - 1], "b's samples and rollups are gone, local's stay");
    assert.deepEqual([count(db, "alert_rules WHERE name = 'b rule'"), count(db, "alert_rules WHERE name = 'local rule'")], [0, 2]);
    assert.deepEqual([count(db, "alert_silences WHERE value LIKE 'b/%'"), count(db, "alert_silences WHERE value LIKE 'local/%'")], [0, 1]);
    assert.equal(count(db, "alert_silences WHERE kind = 'rule'"), 1, "the silence of b's rule went, local's stays");
    assert.equal(count(db, "schedules WHERE name = 'b tag everywhere'"), 1, "a tag schedule on every host stays");
    assert.equal(db.select().from(schema.hosts).where(eq(schema.hosts.id, "b")).get(), undefined);
    assert.equal(count(db, "grants WHERE value = 'b'"), 1);
    assert.equal(count(db, "audit_log WHERE target = 'host \"b\"'"), 1);
  } finally {
    cleanup();
  }
});

test("a host with a task still running is not forgotten under it", () => {
  const { db, cleanup } = tempDatabase();
  try {
    const now = new Date();
    db.insert(schema.tasks)
      .values({ id: "t1", kind: "vm.clone", hostId: "b", targetKind: "vm", targetName: "web", username: "a", state: "running", startedAt: now, updatedAt: now })
      .run();
    assert.throws(
      () => assertNoRunningTask(db, "b"),
      /^ServiceError: host "b": a task \(vm\.clone of "web"\) is still running there; wait for it or cancel it first$/,
    );
    assert.doesNotThrow(() => assertNoRunningTask(db, "local"));
  } finally {
    cleanup();
  }
});
