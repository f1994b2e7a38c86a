import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_RULES, type AlertRule } from "@/server/alerts/rules";
import { draftFromRule, EMPTY_DRAFT, ruleFromDraft, scopeKindsFor } from "./rule-draft";

const UUID = "00000000-0000-0000-0000-000000000003";

test("every default rule survives the form unchanged", () => {
  for (const { rule } of DEFAULT_RULES) {
    const stored: AlertRule = { id: 1, ...rule };
    assert.deepEqual(ruleFromDraft(draftFromRule(stored)), { rule });
  }
});

test("a byte threshold is typed in MiB and stored in bytes; a duration in its unit and stored in ms; a VM scope from its choice", () => {
  const draft = {
    ...EMPTY_DRAFT,
    name: " memory ",
    metric: "vm.memory.used" as const,
    threshold: "1536",
    resolveThreshold: "1024,5",
    forValue: "2",
    forUnit: "hours" as const,
  };
  const result = ruleFromDraft({ ...draft, scopeKind: "vm", vm: `local/${UUID}` });
  assert.ok("rule" in result);
  assert.equal(result.rule.name, "memory");
  assert.equal(result.rule.threshold, 1536 * 1024 ** 2);
  assert.equal(result.rule.resolveThreshold, 1024.5 * 1024 ** 2);
  assert.equal(result.rule.forMs, 2 * 3600_000);
  assert.deepEqual(result.rule.scope, { kind: "vm", hostId: "local", uuid: UUID });
  assert.equal(draftFromRule({ id: 2, ...result.rule }).threshold, "1536");
});

test("the form names empty and non-numeric fields and a scope not chosen yet; event kinds need no threshold", () => {
  assert.deepEqual(ruleFromDraft({ ...EMPTY_DRAFT, threshold: "", resolveThreshold: "lots", scopeKind: "tag", tag: " " }), {
    problems: { name: "needed", scope: "needed", threshold: "needed", resolveThreshold: "notANumber" },
  });
  const crashed = ruleFromDraft({ ...EMPTY_DRAFT, name: "down", metric: "vm.crashed", threshold: "", resolveThreshold: "", forValue: "0" });
  assert.ok("rule" in crashed);
  assert.deepEqual([crashed.rule.threshold, crashed.rule.resolveThreshold, crashed.rule.forMs], [0, 0, 0]);
});

test("a host metric offers all hosts or one, never a tag or a VM", () => {
  assert.deepEqual(scopeKindsFor("host.memory.percent"), ["all", "host"]);
  assert.deepEqual(scopeKindsFor("host.unreachable"), ["all", "host"]);
  assert.deepEqual(scopeKindsFor("vm.cpu"), ["all", "host", "tag", "vm"]);
});
