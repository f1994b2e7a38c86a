import { test } from "node:test";
import assert from "node:assert/strict";
import { cronProblem, isTimeZone, latestFireBetween, nextFires } from "./cron";
import { snapshotNameFor, snapshotOptionsSchema } from "./options";

test("cron problems are answered as codes naming the field, never as croner's text", () => {
  assert.deepEqual(cronProblem("", "UTC"), { code: "empty" });
  assert.deepEqual(cronProblem("* * *", "UTC"), { code: "fieldCount", count: 3 });
  assert.deepEqual(cronProblem("*/5 * * * * *", "UTC"), { code: "fieldCount", count: 6 });
  assert.deepEqual(cronProblem("60 * * * *", "UTC"), { code: "badField", field: "minute", value: "60" });
  assert.deepEqual(cronProblem("0 3 * 13 *", "UTC"), { code: "badField", field: "month", value: "13" });
  assert.deepEqual(cronProblem("0 0 31 2 *", "UTC"), { code: "never" });
  assert.equal(cronProblem(" 0  3 * * 1-5 ", "Europe/Berlin"), null);
});

test("time zones are IANA names the runtime knows", () => {
  assert.ok(isTimeZone("Europe/Berlin"));
  assert.ok(isTimeZone("UTC"));
  assert.ok(!isTimeZone("Mars/Olympus"));
  assert.ok(!isTimeZone("../etc/passwd"));
});

test("fire times follow the schedule's time zone across a daylight-saving change", () => {
  // Berlin leaves summer time on 2026-10-25: 03:00 local is 01:00 UTC before, 02:00 UTC after.
  const next = nextFires("0 3 * * *", "Europe/Berlin", new Date("2026-10-23T12:00:00Z"), 3).map((d) => d.toISOString());
  assert.deepEqual(next, ["2026-10-24T01:00:00.000Z", "2026-10-25T02:00:00.000Z", "2026-10-26T02:00:00.000Z"]);
});

test("the latest fire in a window is the one a catch-up run is for; none when nothing fell in it", () => {
  const since = new Date("2026-11-27T12:00:30Z");
  assert.equal(latestFireBetween("* * * * *", "UTC", since, new Date("2026-11-27T12:09:59Z"))?.toISOString(), "2026-11-27T12:09:00.000Z");
  assert.equal(latestFireBetween("0 3 * * *", "UTC", since, new Date("2026-11-27T12:09:59Z")), null);
});

test("snapshot names are made from the pattern in the schedule's time zone; a pattern that cannot make a name is refused", () => {
  const at = new Date("2026-11-27T23:05:09Z");
  assert.equal(snapshotNameFor("{schedule}-{yyyy}{MM}{dd}-{HH}{mm}{ss}", "nightly", at, "Europe/Berlin"), "nightly-20261128-000509");
  assert.equal(snapshotNameFor("auto-{HH}{mm}", "x", at, "UTC"), "auto-2305");
  assert.equal(snapshotOptionsSchema.safeParse({ namePattern: "has space {HH}" }).success, false);
  assert.equal(snapshotOptionsSchema.safeParse({ namePattern: "auto-{yyyy}" }).success, true);
});
