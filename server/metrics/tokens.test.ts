import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { auditLog, metricsTokens } from "@/server/db/schema";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { callByPath } from "@/server/api/testing/procedures";
import type { Db } from "@/server/db/client";
import type { SessionUser } from "@/server/users/service";
import { bearerToken, createMetricsToken, listMetricsTokens, revokeMetricsToken, verifyMetricsToken } from "./tokens";

let db: Db;
let cleanup: () => void;
let admin: SessionUser;
let viewer: SessionUser;

before(async () => {
  ({ db, cleanup } = tempDatabase());
  admin = await addUser(db, "ada", "admin");
  viewer = await addUser(db, "vera", "viewer");
});
after(() => cleanup());

test("a new token opens the door, is 32 random bytes, and only its SHA-256 is stored", () => {
  const { id, token } = createMetricsToken(db, "prom-a", admin);
  assert.match(token, /^kvmm_metrics_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(verifyMetricsToken(db, token), { id, name: "prom-a" });
  const row = db
    .select()
    .from(metricsTokens)
    .all()
    .find((r) => r.id === id)!;
  assert.equal(row.tokenHash, createHash("sha256").update(token).digest("hex"));
  assert.ok(!JSON.stringify(db.select().from(metricsTokens).all()).includes(token.slice("kvmm_metrics_".length)), "the token's text is stored");
  assert.equal(row.createdByName, "ada");
  assert.notEqual(createMetricsToken(db, "prom-b", admin).token, token);
});

test("a wrong token, a token with one character changed and an empty one are refused", () => {
  const { token } = createMetricsToken(db, "prom-c", admin);
  const last = token.at(-1) === "A" ? "B" : "A";
  assert.equal(verifyMetricsToken(db, token.slice(0, -1) + last), null);
  assert.equal(verifyMetricsToken(db, "kvmm_metrics_" + "x".repeat(43)), null);
  assert.equal(verifyMetricsToken(db, ""), null);
});

test("a revoked token is refused, stays listed with the time it was revoked, and frees its name", () => {
  const { id, token } = createMetricsToken(db, "prom-d", admin);
  const revokedAt = new Date(Date.UTC(2026, 10, 27, 20, 0));
  revokeMetricsToken(db, id, revokedAt);
  assert.equal(verifyMetricsToken(db, token), null);
  assert.deepEqual(
    listMetricsTokens(db)
      .filter((t) => t.name === "prom-d")
      .map((t) => t.revokedAt),
    [revokedAt],
  );
  // Revoking again keeps the first time.
  revokeMetricsToken(db, id, new Date(revokedAt.getTime() + 1000));
  assert.deepEqual(listMetricsTokens(db).find((t) => t.id === id)!.revokedAt, revokedAt);
  const again = createMetricsToken(db, "prom-d", admin);
  assert.deepEqual(verifyMetricsToken(db, again.token), { id: again.id, name: "prom-d" });
});

test("two live tokens cannot share a name", () => {
  createMetricsToken(db, "prom-e", admin);
  assert.throws(() => createMetricsToken(db, "prom-e", admin), /metrics token "prom-e" already exists/);
});

test("last used is written when a token is used, at most once a minute", () => {
  const { id, token } = createMetricsToken(db, "prom-f", admin);
  const lastUsed = () =>
    listMetricsTokens(db)
      .find((t) => t.id === id)!
      .lastUsedAt?.getTime() ?? null;
  assert.equal(lastUsed(), null);
  const t0 = Date.UTC(2026, 10, 27, 20, 0, 0);
  verifyMetricsToken(db, token, new Date(t0));
  assert.equal(lastUsed(), t0);
  verifyMetricsToken(db, token, new Date(t0 + 30_000));
  assert.equal(lastUsed(), t0);
  verifyMetricsToken(db, token, new Date(t0 + 60_000));
  assert.equal(lastUsed(), t0 + 60_000);
});

test("only an Authorization header of the Bearer scheme yields a token", () => {
  assert.equal(bearerToken("Bearer abc_DEF-1"), "abc_DEF-1");
  assert.equal(bearerToken("bearer abc"), "abc");
  assert.equal(bearerToken("Basic YWRtaW46cHc="), null);
  assert.equal(bearerToken("Bearer"), null);
  assert.equal(bearerToken("Bearer a b"), null);
  assert.equal(bearerToken(null), null);
});

test("through the API an admin creates (the token answered once), lists and revokes, each change audited by the token's name", async () => {
  const ctx = { db, user: admin, clientIp: "192.0.2.9" };
  const created = (await callByPath(ctx, "metricsTokens.create", { name: "grafana" })) as { id: number; token: string };
  assert.ok(verifyMetricsToken(db, created.token));
  const listed = (await callByPath(ctx, "metricsTokens.list", undefined)) as Record<string, unknown>[];
  const entry = listed.find((t) => t.id === created.id)!;
  assert.equal(entry.name, "grafana");
  assert.ok(!("token" in entry) && !("tokenHash" in entry), "the list answers no token and no hash");
  await callByPath(ctx, "metricsTokens.revoke", { id: created.id });
  assert.equal(verifyMetricsToken(db, created.token), null);
  const rows = db
    .select()
    .from(auditLog)
    .all()
    .filter((r) => r.action.startsWith("metricsTokens."));
  assert.deepEqual(
    rows.map((r) => [r.action, r.target, r.result]),
    [
      ["metricsTokens.create", 'metrics token "grafana"', "ok"],
      ["metricsTokens.revoke", 'metrics token "grafana"', "ok"],
    ],
  );
  assert.ok(!rows.some((r) => (r.input ?? "").includes(created.token)));
});

test("a viewer may neither list, create nor revoke tokens", async () => {
  const ctx = { db, user: viewer, clientIp: "192.0.2.9" };
  await assert.rejects(callByPath(ctx, "metricsTokens.list", undefined), /metrics\.tokens/);
  await assert.rejects(callByPath(ctx, "metricsTokens.create", { name: "sneaky" }), /metrics\.tokens/);
  await assert.rejects(callByPath(ctx, "metricsTokens.revoke", { id: 1 }), /metrics\.tokens/);
  assert.ok(!listMetricsTokens(db).some((t) => t.name === "sneaky"));
});
