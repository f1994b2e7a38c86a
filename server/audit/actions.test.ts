import { test } from "node:test";
import assert from "node:assert/strict";
import { allProcedures } from "../api/testing/procedures";
import { ACTION_FILTER_PATTERN, ACTION_LABELS, actionLabel } from "./actions";

test("every audited mutation of the router reads as words, never as its path", () => {
  for (const p of allProcedures().filter((p) => p.type === "mutation")) {
    const label = actionLabel(p.path);
    const name = p.path.split(".")[1]!;
    assert.ok(!label.includes(p.path), `${p.path} → ${label}`);
    if (name !== name.toLowerCase()) assert.ok(!label.includes(name), `${p.path} → ${label}: camelCase is not a word`);
  }
  assert.equal(actionLabel("auth.login"), "Sign in");
  assert.equal(actionLabel("storage.uploadVolume"), "Storage: upload volume", "an action added later still reads as words");
});

test("every mutation of the router has its own words in the table, so the audit page can show them in every language", () => {
  const missing = allProcedures()
    .filter((p) => p.type === "mutation" && !Object.hasOwn(ACTION_LABELS, p.path))
    .map((p) => p.path);
  assert.deepEqual(missing, []);
});

test("the audit page's action filter accepts every audited mutation and its area", () => {
  for (const p of allProcedures().filter((p) => p.type === "mutation")) {
    assert.match(p.path, ACTION_FILTER_PATTERN);
    assert.match(`${p.path.split(".")[0]}.`, ACTION_FILTER_PATTERN);
  }
});
