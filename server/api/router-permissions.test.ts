import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { allProcedures, callByPath } from "./testing/procedures";
import { PERMISSIONS, roleHas } from "../auth/permissions";
import { auditLog } from "../db/schema";
import { addUser, tempDatabase } from "../testing/test-db";
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";

/**
 * Walks the whole router, so a procedure added later is covered without editing this file:
 * every procedure declares a known permission, a signed-out caller is refused everything,
 * and a viewer is refused every mutation but the self-service ones listed here on purpose.
 */
// Self-service on the caller's own account: its password and its own sessions.
const VIEWER_MAY_MUTATE = ["auth.changePassword", "auth.endSession", "auth.setLocale", "auth.signOutEverywhere"];

function call(user: SessionUser | null, path: string) {
  return callByPath({ db, user, clientIp: "192.0.2.1" }, path, {});
}

async function refusal(user: SessionUser | null, path: string): Promise<string | null> {
  try {
    await call(user, path);
    return null;
  } catch (err) {
    return err instanceof TRPCError ? err.code : `non-tRPC error: ${String(err)}`;
  }
}

let db: Db;
let cleanup: () => void;
let viewer: SessionUser;

before(async () => {
  ({ db, cleanup } = tempDatabase());
  viewer = await addUser(db, "vera", "viewer");
});
after(() => cleanup());

test("the router has procedures and every one declares a known permission", () => {
  const procs = allProcedures();
  assert.ok(procs.length >= 10, `only ${procs.length} procedures found`);
  for (const p of procs) {
    assert.ok(p.permission, `${p.path} declares no permission`);
    assert.ok((PERMISSIONS as readonly string[]).includes(p.permission), `${p.path}: unknown permission ${p.permission}`);
  }
});

test("a signed-out caller is refused every procedure", async () => {
  for (const p of allProcedures()) assert.equal(await refusal(null, p.path), "UNAUTHORIZED", p.path);
});

test("a viewer is refused every mutation except the self-service ones", async () => {
  const mutations = allProcedures().filter((p) => p.type === "mutation");
  const allowed = mutations.filter((p) => roleHas("viewer", p.permission as never)).map((p) => p.path);
  assert.deepEqual(allowed.sort(), [...VIEWER_MAY_MUTATE].sort(), "viewer-callable mutations changed: review them and this list");
  for (const p of mutations) {
    if (VIEWER_MAY_MUTATE.includes(p.path)) continue;
    assert.equal(await refusal(viewer, p.path), "FORBIDDEN", p.path);
  }
});

test("refused mutations leave exactly one 'denied' audit row each and nothing else", async () => {
  const before = db.select().from(auditLog).all().length;
  const mutations = allProcedures().filter((p) => p.type === "mutation" && !VIEWER_MAY_MUTATE.includes(p.path));
  for (const p of mutations) await refusal(viewer, p.path);
  const rows = db.select().from(auditLog).all().slice(before);
  assert.equal(rows.length, mutations.length);
  for (const row of rows) {
    assert.equal(row.result, "denied");
    assert.equal(row.username, "vera");
    assert.equal(row.clientIp, "192.0.2.1");
  }
});

test("templates: every role reads them, only admins make and delete them, deploying one needs vm.create", () => {
  const roles = ["viewer", "operator", "admin"] as const;
  assert.deepEqual(
    roles.filter((r) => roleHas(r, "template.read")),
    roles,
  );
  assert.deepEqual(
    roles.filter((r) => roleHas(r, "template.manage")),
    ["admin"],
  );
  assert.deepEqual(
    roles.filter((r) => roleHas(r, "vm.create")),
    ["admin"],
  );
  const declared = Object.fromEntries(
    allProcedures()
      .filter((p) => p.path.startsWith("templates."))
      .map((p) => [p.path, p.permission]),
  );
  assert.deepEqual(declared, {
    "templates.list": "template.read",
    "templates.get": "template.read",
    "templates.create": "template.manage",
    "templates.deploy": "vm.create",
    "templates.delete": "template.manage",
  });
});
