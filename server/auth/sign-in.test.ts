import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { auditLog } from "../db/schema";
import { listAudit } from "../audit/log";
import { signedOutRefusals } from "../audit/signed-out";
import { addUser, tempDatabase } from "../testing/test-db";
import { signInWithPassword } from "./sign-in";

/**
 * Who a sign-in's audit row names. A failed attempt is done by nobody signed in: it names the
 * account it tried (when that exists) or "unknown user" (the typed name is often a password), and
 * is never recorded as done by a user, even when the account it tried is an admin's.
 */
const SECRET = "a-test-secret";
const { db, cleanup } = tempDatabase();
after(() => {
  signedOutRefusals().flush({ all: true });
  cleanup();
});

async function signIn(username: string, password: string, clientIp: string): Promise<number> {
  const token = "form-token";
  const hash = createHash("sha256").update(`${token}${SECRET}`).digest("hex");
  const req = new Request("https://kvmm.test/api/auth/callback/credentials", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: `next-auth.csrf-token=${encodeURIComponent(`${token}|${hash}`)}` },
    body: new URLSearchParams({ csrfToken: token, username, password }).toString(),
  });
  const res = await signInWithPassword({ req, db, clientIp, secret: SECRET, issue: async () => new Response(null, { status: 200 }) });
  return res.status;
}

test("a failed sign-in with an existing name names that account, one with an unknown name names 'unknown user', neither is done by a user", async () => {
  await addUser(db, "ada", "admin");
  await signIn("ada", "not-her-password", "192.0.2.50");
  await signIn("S3cret-typed-as-name", "whatever", "192.0.2.51");
  const rows = db
    .select()
    .from(auditLog)
    .all()
    .filter((r) => r.action === "auth.login");
  assert.deepEqual(
    rows.map((r) => ({ userId: r.userId, username: r.username, target: r.target, result: r.result, error: r.error, clientIp: r.clientIp })),
    [
      { userId: null, username: null, target: 'user "ada"', result: "denied", error: "wrong password", clientIp: "192.0.2.50" },
      { userId: null, username: null, target: "unknown user", result: "denied", error: "unknown user", clientIp: "192.0.2.51" },
    ],
  );
  assert.ok(!JSON.stringify(rows).includes("S3cret-typed-as-name"), "an unknown name is never stored");
  // The audit page's user filter finds each where a person looks for it.
  assert.deepEqual(
    listAudit(db, { username: "ada", action: "auth.login", limit: 10 }).rows.map((r) => r.clientIp),
    ["192.0.2.50"],
  );
  assert.deepEqual(
    listAudit(db, { username: "unknown user", limit: 10 }).rows.map((r) => r.clientIp),
    ["192.0.2.51"],
  );
});
