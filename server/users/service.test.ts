import { test } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { addUser, tempDatabase } from "../testing/test-db";
import { createCaller } from "../api/root";
import { auditLog } from "../db/schema";
import { changeOwnPassword, deleteUser, findUserByName, loadSessionUser, setDisabled, updateUser, resetPassword, UserError } from "./service";
import { verifyPassword } from "../auth/password";
import { createSession, revokeSession } from "../auth/sessions";

const ORIGIN = { clientIp: "192.0.2.1", userAgent: "test" };

test("the last enabled admin can be neither demoted nor disabled", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const root = await addUser(db, "root", "admin");
    const other = await addUser(db, "ops", "operator");
    assert.throws(
      () => updateUser(db, root.id, { role: "viewer" }),
      (e) => e instanceof UserError && e.kind === "forbidden",
    );
    assert.throws(() => setDisabled(db, root.id, true, other.id), /last enabled admin/);
    assert.throws(() => setDisabled(db, root.id, true, root.id), /your own account/);
    await addUser(db, "root2", "admin");
    updateUser(db, root.id, { role: "viewer" });
    assert.equal(findUserByName(db, "root")?.role, "viewer");
  } finally {
    cleanup();
  }
});

test("disabling, resetting or changing a role ends the user's existing sessions", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const admin = await addUser(db, "root", "admin");
    const bob = await addUser(db, "bob", "operator");
    assert.ok(loadSessionUser(db, bob.id, bob.sessionId));
    const { password } = await resetPassword(db, bob.id);
    assert.equal(loadSessionUser(db, bob.id, bob.sessionId), null, "old session survives a reset");
    assert.ok(await verifyPassword(password, findUserByName(db, "bob")!.passwordHash));

    const afterReset = createSession(db, bob.id, ORIGIN);
    updateUser(db, bob.id, { role: "viewer" });
    assert.equal(loadSessionUser(db, bob.id, afterReset), null, "session survives a role change");

    const afterRole = createSession(db, bob.id, ORIGIN);
    setDisabled(db, bob.id, true, admin.id);
    assert.equal(loadSessionUser(db, bob.id, afterRole), null, "disabled user has a session");
  } finally {
    cleanup();
  }
});

test("changing grants ends the user's sessions; saving the same grants again does not", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const bob = await addUser(db, "bob", "operator", [{ kind: "name", value: "web-*" }]);
    updateUser(db, bob.id, { grants: [{ kind: "name", value: "web-*" }] });
    assert.ok(loadSessionUser(db, bob.id, bob.sessionId), "an unchanged grant list ended the session");
    updateUser(db, bob.id, { grants: [{ kind: "name", value: "web-1" }] });
    assert.equal(loadSessionUser(db, bob.id, bob.sessionId), null, "a narrowed user keeps the wider session");
  } finally {
    cleanup();
  }
});

test("changing your own password ends your other sessions and keeps this one", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const bob = await addUser(db, "bob", "operator");
    const phone = createSession(db, bob.id, ORIGIN);
    await changeOwnPassword(db, bob, "bob-password-123", "a-new-password-456");
    assert.ok(loadSessionUser(db, bob.id, bob.sessionId), "the session that changed the password ended");
    assert.equal(loadSessionUser(db, bob.id, phone), null, "another session outlived the password change");
    assert.ok(await verifyPassword("a-new-password-456", findUserByName(db, "bob")!.passwordHash));
  } finally {
    cleanup();
  }
});

test("a signed-out session stays dead, and a session of another user is not accepted", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const bob = await addUser(db, "bob", "operator");
    const eve = await addUser(db, "eve", "viewer");
    assert.equal(loadSessionUser(db, eve.id, bob.sessionId), null, "eve's id with bob's session id was accepted");
    revokeSession(db, bob.sessionId, "signed out");
    assert.equal(loadSessionUser(db, bob.id, bob.sessionId), null);
  } finally {
    cleanup();
  }
});

test("an admin creates a user with a generated password and grants; the audit row hides the password", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const admin = await addUser(db, "root", "admin");
    const api = createCaller({ db, user: admin, clientIp: "192.0.2.9" });
    const res = await api.users.create({ username: "web-ops", role: "operator", grants: [{ kind: "name", value: "web-*" }] });
    assert.ok(res.generatedPassword && res.generatedPassword.length >= 16);
    const listed = (await api.users.list()).find((u) => u.username === "web-ops");
    assert.deepEqual(listed?.grants, [{ kind: "name", value: "web-*" }]);
    await api.users.create({ username: "with-pw", role: "viewer", password: "a-secret-password" });
    const rows = db.select().from(auditLog).all();
    const row = rows.find((r) => r.target === 'user "with-pw"');
    assert.equal(row?.result, "ok");
    assert.ok(row?.input && !row.input.includes("a-secret-password"), row?.input ?? "");
    assert.match(row!.input!, /\[redacted\]/);
  } finally {
    cleanup();
  }
});

test("malformed input is refused as BAD_REQUEST with the zod message and audited as invalid", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const admin = await addUser(db, "root", "admin");
    const api = createCaller({ db, user: admin, clientIp: "192.0.2.9" });
    await assert.rejects(
      api.users.create({ username: "bad<name>", role: "viewer" }),
      (e) => e instanceof TRPCError && e.code === "BAD_REQUEST" && /letters, digits/.test(e.message),
    );
    const rows = db.select().from(auditLog).all();
    assert.equal(rows.at(-1)?.result, "invalid");
    assert.equal(findUserByName(db, "bad<name>"), null);
  } finally {
    cleanup();
  }
});

test("a duplicate username is a CONFLICT, not a crash", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const admin = await addUser(db, "root", "admin");
    const api = createCaller({ db, user: admin, clientIp: "192.0.2.9" });
    await assert.rejects(api.users.create({ username: "root", role: "viewer" }), (e) => e instanceof TRPCError && e.code === "CONFLICT");
  } finally {
    cleanup();
  }
});

test("an admin deletes an account: never their own nor the last admin; its sessions end, its audit rows stay", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const root = await addUser(db, "root", "admin");
    const bob = await addUser(db, "bob", "operator", [{ kind: "name", value: "web-*" }]);
    const api = createCaller({ db, user: root, clientIp: "192.0.2.9" });
    await api.users.setDisabled({ userId: bob.id, disabled: false });
    assert.throws(
      () => deleteUser(db, root.id, root.id),
      (e) => e instanceof UserError && /your own account/.test(e.message),
    );
    const other = await addUser(db, "ops", "operator");
    assert.throws(
      () => deleteUser(db, root.id, other.id),
      (e) => e instanceof UserError && /last enabled admin/.test(e.message),
    );

    await assert.rejects(api.users.delete({ userId: bob.id, confirmUsername: "bobby" }), (e) => e instanceof TRPCError && e.code === "BAD_REQUEST");
    assert.ok(findUserByName(db, "bob"), "a wrong name typed back deleted the account");
    await api.users.delete({ userId: bob.id, confirmUsername: "bob" });
    assert.equal(findUserByName(db, "bob"), null);
    assert.equal(loadSessionUser(db, bob.id, bob.sessionId), null);
    const rows = db
      .select()
      .from(auditLog)
      .all()
      .filter((r) => r.target === 'user "bob"');
    assert.deepEqual(
      rows.map((r) => [r.action, r.result]),
      [
        ["users.setDisabled", "ok"],
        ["users.delete", "invalid"],
        ["users.delete", "ok"],
      ],
      "the deleted account's history is kept under its name",
    );
  } finally {
    cleanup();
  }
});
