import { test } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { hash as bcryptHash } from "@node-rs/bcrypt";
import { hashPassword, needsRehash, verifyPassword } from "./password";

test("passwords are stored as Argon2id and verify; a wrong one does not", async () => {
  const stored = await hashPassword("correct horse battery");
  assert.match(stored, /^\$argon2id\$v=19\$m=65536,t=3,p=1\$/);
  assert.equal(await verifyPassword("correct horse battery", stored), true);
  assert.equal(await verifyPassword("correct horse batterY", stored), false);
  assert.equal(needsRehash(stored), false);
});

test("hashes of the earlier scheme (bcrypt) still verify and are marked for an upgrade", async () => {
  const legacy = await bcryptHash("old-password-1", 4);
  assert.equal(await verifyPassword("old-password-1", legacy), true);
  assert.equal(await verifyPassword("old-password-2", legacy), false);
  assert.equal(needsRehash(legacy), true);
  assert.equal(await verifyPassword("x", "not a hash"), false);
});

test("sign-in stalls the dashboard: hashing runs off the event loop, which stays free while eight hashes run", async () => {
  // Event-loop utilisation is the share of time the loop was busy; with bcryptjs (hashing in
  // JavaScript) it was ~1 while hashes ran, which is what made unrelated requests wait 10 s.
  const stored = await hashPassword("warm-up-password");
  const before = performance.eventLoopUtilization();
  await Promise.all(Array.from({ length: 8 }, (_, i) => verifyPassword(`guess-${i}`, stored)));
  const during = performance.eventLoopUtilization(before);
  assert.ok(during.utilization < 0.5, `the event loop was busy ${(during.utilization * 100).toFixed(0)}% of the time`);
});
