import { test } from "node:test";
import assert from "node:assert/strict";
import { appliesWhen, macProblem } from "./nic-schemas";

test("a change says whether it applies now, at the next boot, or both", () => {
  assert.equal(appliesWhen({ live: true, persistent: true }, true), "applies now and at every boot");
  assert.equal(appliesWhen({ live: true, persistent: false }, true), "applies now, until the VM stops (it has no saved definition)");
  assert.equal(appliesWhen({ live: false, persistent: true }, true), "applies at the next boot");
  assert.equal(appliesWhen({ live: false, persistent: true }, false), "applies when the VM next starts");
});

test("a MAC's problem is worded for the form", () => {
  assert.equal(macProblem("52:54:00:12:34:56"), null);
  assert.match(macProblem("52:54:00:12:34") ?? "", /Six pairs of hex digits/);
  assert.match(macProblem("03:54:00:12:34:56") ?? "", /multicast/);
  assert.match(macProblem("00:00:00:00:00:00") ?? "", /All zeros/);
});
