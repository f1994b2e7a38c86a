import { test } from "node:test";
import assert from "node:assert/strict";
import { tempDatabase } from "../testing/test-db";
import { checkLoginAllowed, clearLoginFailures, MAX_FAILURES, recordLoginFailure, WINDOW_MS } from "./login-rate-limit";

test("five failures for one user block that user from any address until the window passes", () => {
  const { db, cleanup } = tempDatabase();
  try {
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < MAX_FAILURES; i++) recordLoginFailure(db, "alice", `10.0.0.${i}`, t0 + i * 1000);
    const gate = checkLoginAllowed(db, "alice", "10.9.9.9", t0 + 10_000);
    assert.equal(gate.allowed, false);
    if (!gate.allowed) assert.equal(gate.retryAfterS, Math.ceil((t0 + WINDOW_MS - (t0 + 10_000)) / 1000));
    assert.equal(checkLoginAllowed(db, "bob", "10.9.9.9", t0 + 10_000).allowed, true);
    assert.equal(checkLoginAllowed(db, "alice", "10.9.9.9", t0 + WINDOW_MS + 1).allowed, true);
  } finally {
    cleanup();
  }
});

test("five failures from one address block every username from it", () => {
  const { db, cleanup } = tempDatabase();
  try {
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < MAX_FAILURES; i++) recordLoginFailure(db, `user${i}`, "10.0.0.7", t0 + i);
    assert.equal(checkLoginAllowed(db, "someone", "10.0.0.7", t0 + 100).allowed, false);
    assert.equal(checkLoginAllowed(db, "someone", "10.0.0.8", t0 + 100).allowed, true);
  } finally {
    cleanup();
  }
});

test("four failures do not block, and a success clears that user's failures from that address", () => {
  const { db, cleanup } = tempDatabase();
  try {
    const now = Date.now();
    for (let i = 0; i < MAX_FAILURES - 1; i++) recordLoginFailure(db, "carol", "10.0.0.1", now - 1000 + i);
    assert.equal(checkLoginAllowed(db, "carol", "10.0.0.1", now).allowed, true);
    clearLoginFailures(db, "carol", "10.0.0.1");
    recordLoginFailure(db, "carol", "10.0.0.1", now);
    assert.equal(checkLoginAllowed(db, "carol", "10.0.0.1", now).allowed, true);
  } finally {
    cleanup();
  }
});
