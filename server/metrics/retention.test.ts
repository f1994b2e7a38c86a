import { test } from "node:test";
import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import { TRPCError } from "@trpc/server";
import { auditLog, settings } from "../db/schema";
import { addUser, tempDatabase } from "../testing/test-db";
import { callByPath } from "../api/testing/procedures";
import { DEFAULT_RETENTION, readRetention, RETENTION_KEY } from "./retention";

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (err) {
    return err instanceof TRPCError ? err.code : String(err);
  }
}

test("an admin changes the retention through metrics.setRetention; the change is audited and read back", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const admin = await addUser(db, "ada", "admin");
    const viewer = await addUser(db, "vera", "viewer");
    const ctx = { db, user: admin, clientIp: "192.0.2.1" };
    assert.deepEqual(await callByPath({ ...ctx, user: viewer }, "metrics.retention", undefined), DEFAULT_RETENTION);
    const wanted = { rawHours: 48, minuteDays: 14, hourDays: 365 };
    assert.deepEqual(await callByPath(ctx, "metrics.setRetention", wanted), wanted);
    assert.deepEqual(readRetention(db), wanted);
    const row = db.select().from(auditLog).where(eq(auditLog.action, "metrics.setRetention")).get()!;
    assert.equal(row.target, `setting "${RETENTION_KEY}"`);
    assert.equal(row.result, "ok");
    assert.equal(await refusal(callByPath({ ...ctx, user: viewer }, "metrics.setRetention", wanted)), "FORBIDDEN");
  } finally {
    cleanup();
  }
});

test("a retention out of bounds, or with a coarser resolution kept shorter than a finer one, is refused and nothing changes", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const ctx = { db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.1" };
    for (const input of [
      { rawHours: 1, minuteDays: 7, hourDays: 90 },
      { rawHours: 24, minuteDays: 91, hourDays: 365 },
      { rawHours: 24, minuteDays: 7, hourDays: 3651 },
      { rawHours: 72, minuteDays: 2, hourDays: 90 },
      { rawHours: 24, minuteDays: 30, hourDays: 14 },
      { rawHours: 2.5, minuteDays: 7, hourDays: 90 },
    ]) {
      assert.equal(await refusal(callByPath(ctx, "metrics.setRetention", input)), "BAD_REQUEST", JSON.stringify(input));
    }
    assert.deepEqual(readRetention(db), DEFAULT_RETENTION);
    assert.equal(db.select().from(settings).all().length, 0);
  } finally {
    cleanup();
  }
});

test("a stored retention that no longer validates reads as the defaults", () => {
  const { db, cleanup } = tempDatabase();
  try {
    for (const value of ["not json", JSON.stringify({ rawHours: 0, minuteDays: 7, hourDays: 90 })]) {
      db.insert(settings).values({ key: RETENTION_KEY, value, updatedAt: new Date() }).onConflictDoUpdate({ target: settings.key, set: { value } }).run();
      assert.deepEqual(readRetention(db), DEFAULT_RETENTION);
    }
  } finally {
    cleanup();
  }
});
