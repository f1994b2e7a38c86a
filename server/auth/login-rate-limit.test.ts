import { test } from "node:test";
import assert from "node:assert/strict";
import { tempDatabase } from "../testing/test-db";
import { loginFailures } from "../db/schema";
import { MAX_FAILURES, reserveLoginAttempt, settleSuccessfulLogin, WINDOW_MS } from "./login-rate-limit";

test("five attempts for one user block that user from any address until the window passes", () => {
  const { db, cleanup } = tempDatabase();
  try {
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < MAX_FAILURES; i++) assert.equal(reserveLoginAttempt(db, "alice", `10.0.0.${i}`, t0 + i * 1000).allowed, true);
    const gate = reserveLoginAttempt(db, "alice", "10.9.9.9", t0 + 10_000);
    assert.equal(gate.allowed, false);
    if (!gate.allowed) assert.equal(gate.retryAfterS, Math.ceil((t0 + WINDOW_MS - (t0 + 10_000)) / 1000));
    assert.equal(reserveLoginAttempt(db, "bob", "10.9.9.9", t0 + 10_000).allowed, true);
    assert.equal(reserveLoginAttempt(db, "alice", "10.9.9.9", t0 + WINDOW_MS + 1).allowed, true);
  } finally {
    cleanup();
  }
});

test("five attempts from one address block every username from it", () => {
  const { db, cleanup } = tempDatabase();
  try {
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < MAX_FAILURES; i++) reserveLoginAttempt(db, `user${i}`, "10.0.0.7", t0 + i);
    assert.equal(reserveLoginAttempt(db, "someone", "10.0.0.7", t0 + 100).allowed, false);
    assert.equal(reserveLoginAttempt(db, "someone", "10.0.0.8", t0 + 100).allowed, true);
  } finally {
    cleanup();
  }
});

test("attempts are counted when reserved, before any password is compared: 60 at once get 5 reservations", () => {
  const { db, cleanup } = tempDatabase();
  try {
    const now = Date.now();
    const outcomes = Array.from({ length: 60 }, () => reserveLoginAttempt(db, "admin", "10.0.0.9", now));
    assert.equal(outcomes.filter((o) => o.allowed).length, MAX_FAILURES);
  } finally {
    cleanup();
  }
});

test("a success withdraws its reservation and clears that user's failures from that address", () => {
  const { db, cleanup } = tempDatabase();
  try {
    const now = Date.now();
    for (let i = 0; i < MAX_FAILURES - 1; i++) reserveLoginAttempt(db, "carol", "10.0.0.1", now - 1000 + i);
    const ok = reserveLoginAttempt(db, "carol", "10.0.0.1", now);
    assert.ok(ok.allowed);
    if (ok.allowed) settleSuccessfulLogin(db, ok.attemptId, "carol", "10.0.0.1");
    assert.equal(db.select().from(loginFailures).all().length, 0);
    assert.equal(reserveLoginAttempt(db, "carol", "10.0.0.1", now).allowed, true);
  } finally {
    cleanup();
  }
});

test("the table never holds the typed username", () => {
  const { db, cleanup } = tempDatabase();
  try {
    reserveLoginAttempt(db, "correct horse battery staple", "10.0.0.1");
    const stored = db.select().from(loginFailures).all();
    assert.equal(stored.length, 1);
    assert.ok(!stored[0]!.username.includes("horse"), stored[0]!.username);
  } finally {
    cleanup();
  }
});
