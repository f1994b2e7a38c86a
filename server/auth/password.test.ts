import { test } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import bcrypt from "bcryptjs";
import { hashPassword, needsRehash, verifyPassword } from "./password";

test("passwords are stored as Argon2id and verify; a wrong one does not", async () => {
  const stored = await hashPassword("correct horse battery");
  assert.match(stored, /^\$argon2id\$v=19\$m=65536,t=3,p=1\$/);
  assert.equal(await verifyPassword("correct horse battery", stored), true);
  assert.equal(await verifyPassword("correct horse batterY", stored), false);
  assert.equal(needsRehash(stored), false);
});

test("hashes of the earlier scheme (bcrypt) still verify and are marked for an upgrade", async () => {
  const legacy = bcrypt.hashSync("old-password-1", 4);
  assert.equal(await verifyPassword("old-password-1", legacy), true);
  assert.equal(await verifyPassword("old-password-2", legacy), false);
  assert.equal(needsRehash(legacy), true);
  assert.equal(await verifyPassword("x", "not a hash"), false);
});

/** Event-loop utilisation while `work` runs: the share of time the loop was busy (1 = never free). */
async function busyWhile(work: () => Promise<unknown>): Promise<number> {
  const before = performance.eventLoopUtilization();
  await work();
  return performance.eventLoopUtilization(before).utilization;
}

test("sign-in stalls the dashboard: hashing runs off the event loop, which stays free while eight checks run", async () => {
  // With bcryptjs on the main thread the loop was busy 100% of the time (measured: 1.00), which is
  // what made unrelated requests wait 10 s.
  const stored = await hashPassword("warm-up-password");
  const argon = await busyWhile(() => Promise.all(Array.from({ length: 8 }, (_, i) => verifyPassword(`guess-${i}`, stored))));
  assert.ok(argon < 0.5, `Argon2id checks kept the event loop busy ${(argon * 100).toFixed(0)}% of the time`);
  const legacy = bcrypt.hashSync("old-password-1", 10);
  const bcryptBusy = await busyWhile(() => Promise.all(Array.from({ length: 4 }, (_, i) => verifyPassword(`guess-${i}`, legacy))));
  assert.ok(bcryptBusy < 0.5, `bcrypt checks kept the event loop busy ${(bcryptBusy * 100).toFixed(0)}% of the time`);
});
