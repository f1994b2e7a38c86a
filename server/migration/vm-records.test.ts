import { test } from "node:test";
import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import { agentSightings, alertSilences, metricSubjects, schedules } from "@/server/db/schema";
import { tempDatabase } from "@/server/testing/test-db";
import { moveVmRecords } from "./vm-records";

const WEB = "6f1c0d3e-0000-4000-8000-000000000001";
const DB = "6f1c0d3e-0000-4000-8000-000000000002";

function schedule(name: string, hostId: string, vmUuid: string) {
  const now = new Date();
  return {
    name,
    targetKind: "vm" as const,
    hostId,
    vmUuid,
    vmName: name,
    action: "backup" as const,
    options: "{}",
    cron: "0 3 * * *",
    timeZone: "UTC",
    missedPolicy: "skip" as const,
    enabled: true,
    createdByName: "root",
    createdAt: now,
    updatedAt: now,
    firedThrough: now,
  };
}

test("the VM's schedules, silences, agent sightings and metrics history follow it to the destination; another VM's stay", () => {
  const { db, cleanup } = tempDatabase();
  try {
    db.insert(schedules)
      .values([schedule("web nightly", "local", WEB), schedule("db nightly", "local", DB)])
      .run();
    db.insert(alertSilences)
      .values({ kind: "vm", value: `local/${WEB}`, endsAt: new Date(Date.now() + 3_600_000), reason: "maintenance", createdBy: "root" })
      .run();
    db.insert(agentSightings)
      .values([
        { hostId: "local", uuid: WEB, agentAt: new Date(1000) },
        { hostId: "b", uuid: WEB, agentAt: new Date(1) },
      ])
      .run();
    db.insert(metricSubjects).values({ kind: "vm", hostId: "local", uuid: WEB }).run();

    moveVmRecords(db, WEB.toUpperCase(), "local", "b");

    assert.deepEqual(db.select({ name: schedules.name, hostId: schedules.hostId }).from(schedules).orderBy(schedules.name).all(), [
      { name: "db nightly", hostId: "local" },
      { name: "web nightly", hostId: "b" },
    ]);
    assert.equal(db.select().from(alertSilences).get()!.value, `b/${WEB}`);
    assert.deepEqual(
      db
        .select()
        .from(agentSightings)
        .all()
        .map((r) => [r.hostId, r.agentAt?.getTime()]),
      [["b", 1000]],
    );
    assert.equal(db.select().from(metricSubjects).where(eq(metricSubjects.uuid, WEB)).get()!.hostId, "b");
  } finally {
    cleanup();
  }
});

test("a metrics history the collector already started on the destination is not merged: the source's stays where it is", () => {
  const { db, cleanup } = tempDatabase();
  try {
    db.insert(metricSubjects)
      .values([
        { kind: "vm", hostId: "local", uuid: WEB },
        { kind: "vm", hostId: "b", uuid: WEB },
      ])
      .run();
    moveVmRecords(db, WEB, "local", "b");
    assert.deepEqual(db.select({ hostId: metricSubjects.hostId }).from(metricSubjects).orderBy(metricSubjects.hostId).all(), [
      { hostId: "b" },
      { hostId: "local" },
    ]);
  } finally {
    cleanup();
  }
});
