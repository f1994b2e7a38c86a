import { test } from "node:test";
import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import { tempDatabase } from "../testing/test-db";
import { auditLog } from "../db/schema";
import { auditActions, listAudit, summarizeInput, writeAudit } from "./log";

test("input summaries redact secrets at any depth and bound their size", () => {
  const s = summarizeInput({ username: "a", password: "p1", nested: { apiToken: "t", keep: 1 }, blob: "x".repeat(5000) });
  assert.ok(s);
  assert.ok(!s.includes("p1") && !s.includes('"t"'), s);
  assert.match(s, /"keep":1/);
  assert.ok(s.length <= 2001);
});

test("secrets in the append-only audit log: exec stdin, env values and written file contents are never stored", () => {
  const exec = summarizeInput({
    hostId: "local",
    command: "mysql",
    args: ["-u", "root"],
    stdin: "DROP USER x; -- S3cret-stdin",
    env: { MYSQL_PWD: "S3cret-env", LANG: "C.UTF-8" },
  });
  assert.ok(exec && !exec.includes("S3cret") && !exec.includes("C.UTF-8"), exec ?? "");
  assert.match(exec!, /"command":"mysql"/);
  assert.match(exec!, /"MYSQL_PWD":"\[redacted\]","LANG":"\[redacted\]"/, "variable names are kept");
  const write = summarizeInput({ path: "/etc/app.conf", contentBase64: Buffer.from("password=hunter2").toString("base64") });
  assert.ok(write && !write.includes(Buffer.from("password=hunter2").toString("base64").slice(0, 8)), write ?? "");
  assert.match(write!, /"path":"\/etc\/app.conf"/);
  assert.match(write!, /"contentBase64":"\[24 characters\]"/);
});

test("the audit log is append-only: the database refuses updates and deletes", () => {
  const { db, cleanup } = tempDatabase();
  try {
    writeAudit(db, { userId: null, username: "x", action: "test.action", result: "ok" });
    assert.throws(() => db.update(auditLog).set({ result: "error" }).run(), /append-only/);
    assert.throws(() => db.delete(auditLog).where(eq(auditLog.action, "test.action")).run(), /append-only/);
  } finally {
    cleanup();
  }
});

test("listing filters by user, action or area and result, newest first, with stable paging", () => {
  const { db, cleanup } = tempDatabase();
  try {
    for (let i = 0; i < 5; i++) writeAudit(db, { userId: 1, username: "ann", action: `users.create`, result: "ok" });
    writeAudit(db, { userId: 2, username: "ben", action: "users_x.create", result: "denied" });
    writeAudit(db, { userId: 2, username: "ben", action: "auth.login", result: "denied" });
    assert.equal(listAudit(db, { username: "ben", limit: 10 }).rows.length, 2);
    // An area ends with a dot; `_` in it is literal, not a LIKE wildcard.
    assert.equal(listAudit(db, { action: "users_x.", limit: 10 }).rows.length, 1);
    assert.equal(listAudit(db, { action: "users.", limit: 10 }).rows.length, 5);
    assert.equal(listAudit(db, { action: "auth.login", limit: 10 }).rows.length, 1);
    assert.equal(listAudit(db, { action: "auth.log", limit: 10 }).rows.length, 0, "an action is matched whole");
    assert.deepEqual(auditActions(db), ["auth.login", "users.create", "users_x.create"]);
    assert.equal(listAudit(db, { result: "denied", limit: 10 }).rows.length, 2);
    const first = listAudit(db, { username: "ann", limit: 3 });
    assert.equal(first.rows.length, 3);
    assert.ok(first.nextBeforeId);
    const second = listAudit(db, { username: "ann", limit: 3, beforeId: first.nextBeforeId });
    assert.equal(second.rows.length, 2);
    assert.equal(second.nextBeforeId, null);
    assert.ok(first.rows[0]!.id > first.rows[2]!.id);
  } finally {
    cleanup();
  }
});

test("searching by target finds every row about a VM by its name, whatever the case, and LIKE characters are literal", () => {
  const { db, cleanup } = tempDatabase();
  try {
    writeAudit(db, { userId: 1, username: "ann", action: "vms.power", target: 'VM "web-1" on host "local"', result: "ok" });
    writeAudit(db, { userId: 1, username: "ann", action: "snapshots.create", target: 'VM "web-1" on host "local": snapshot "s1"', result: "ok" });
    writeAudit(db, { userId: 1, username: "ann", action: "vms.power", target: 'VM "web-10" on host "local"', result: "ok" });
    writeAudit(db, { userId: 1, username: "ann", action: "vms.power", target: 'VM "db_1" on host "local"', result: "ok" });
    assert.equal(listAudit(db, { target: 'VM "WEB-1"', limit: 10 }).rows.length, 2);
    assert.equal(listAudit(db, { target: "web-1", limit: 10 }).rows.length, 3, "a bare name also matches web-10");
    assert.equal(listAudit(db, { target: "db_1", limit: 10 }).rows.length, 1);
    assert.equal(listAudit(db, { target: "db%1", limit: 10 }).rows.length, 0, "% is literal");
  } finally {
    cleanup();
  }
});
