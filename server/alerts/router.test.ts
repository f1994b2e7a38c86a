import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { callByPath } from "@/server/api/testing/procedures";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { alertRules, alerts, alertSilences } from "@/server/db/schema";
import type { Db } from "@/server/db/client";
import type { SessionUser } from "@/server/users/service";
import { createRule, recordEvents } from "./store";
import type { RuleInput } from "./rules";

const WEB = "11111111-1111-4111-8111-111111111111";
const RULE: RuleInput = {
  name: "CPU high",
  metric: "vm.cpu",
  scope: { kind: "all" },
  comparison: ">",
  threshold: 80,
  resolveThreshold: 70,
  forMs: 0,
  severity: "warning",
  enabled: true,
};

let db: Db;
let cleanup: () => void;
let viewer: SessionUser;
let operator: SessionUser;
let narrowOperator: SessionUser;
let ruleId: number;
let alertId: number;

before(async () => {
  ({ db, cleanup } = tempDatabase());
  viewer = await addUser(db, "vera", "viewer");
  operator = await addUser(db, "otto", "operator");
  narrowOperator = await addUser(db, "nina", "operator", [{ kind: "name", value: "db-*" }]);
  const rule = createRule(db, RULE);
  ruleId = rule.id;
  const [row] = recordEvents(db, [{ kind: "fired", rule, subject: { hostId: "local", uuid: WEB, name: "web-1" }, value: 95, at: Date.now(), silenced: false }]);
  alertId = row!.id;
});
after(() => cleanup());

const call = (user: SessionUser, path: string, input: unknown) => callByPath({ db, user, clientIp: "192.0.2.1" }, path, input);

async function refusal(user: SessionUser, path: string, input: unknown): Promise<string | null> {
  try {
    await call(user, path, input);
    return null;
  } catch (err) {
    return err instanceof TRPCError ? err.code : `non-tRPC error: ${String(err)}`;
  }
}

const inHour = () => Date.now() + 3600_000;

test("a viewer sees alerts and rules but is refused, on the server, acknowledging, silencing and every rule edit", async () => {
  const seen = (await call(viewer, "alerts.list", {})) as Array<{ id: number }>;
  assert.deepEqual(
    seen.map((a) => a.id),
    [alertId],
  );
  assert.equal(((await call(viewer, "alerts.rules", undefined)) as unknown[]).length, 1);

  const attempts: Array<[string, unknown]> = [
    ["alerts.createRule", RULE],
    ["alerts.updateRule", { id: ruleId, rule: { ...RULE, threshold: 99 } }],
    ["alerts.enableRule", { id: ruleId, enabled: false }],
    ["alerts.deleteRule", { id: ruleId }],
    ["alerts.acknowledge", { id: alertId }],
    ["alerts.silence", { target: { kind: "rule", ruleId }, endsAt: inHour(), reason: "quiet" }],
    ["alerts.endSilence", { id: 1 }],
  ];
  for (const [path, input] of attempts) assert.equal(await refusal(viewer, path, input), "FORBIDDEN", path);
  assert.equal(db.select().from(alertRules).all().length, 1);
  assert.equal(db.select().from(alertRules).get()?.threshold, 80);
  assert.equal(db.select().from(alerts).get()?.state, "firing");
  assert.equal(db.select().from(alertSilences).all().length, 0);
});

test("an operator may acknowledge and silence but not edit rules", async () => {
  assert.equal(await refusal(operator, "alerts.createRule", RULE), "FORBIDDEN");
  const silence = (await call(operator, "alerts.silence", { target: { kind: "vm", hostId: "local", uuid: WEB }, endsAt: inHour(), reason: "maintenance" })) as {
    id: number;
  };
  await call(operator, "alerts.endSilence", { id: silence.id });
  const acked = (await call(operator, "alerts.acknowledge", { id: alertId })) as { state: string; acknowledgedBy: string };
  assert.equal(acked.state, "acknowledged");
  assert.equal(acked.acknowledgedBy, "otto");
  assert.equal(await refusal(operator, "alerts.acknowledge", { id: alertId }), "CONFLICT", "only a firing alert can be acknowledged");
});

test("an operator narrowed by grants does not see, acknowledge or silence alerts of VMs outside them, nor silence a whole rule", async () => {
  assert.deepEqual(await call(narrowOperator, "alerts.list", {}), []);
  assert.equal(await refusal(narrowOperator, "alerts.acknowledge", { id: alertId }), "NOT_FOUND");
  assert.equal(
    await refusal(narrowOperator, "alerts.silence", { target: { kind: "vm", hostId: "local", uuid: WEB }, endsAt: inHour(), reason: "x" }),
    "NOT_FOUND",
  );
  assert.equal(await refusal(narrowOperator, "alerts.silence", { target: { kind: "rule", ruleId }, endsAt: inHour(), reason: "x" }), "FORBIDDEN");
});

test("a rule with its resolve threshold on the wrong side is refused as invalid input", async () => {
  const admin = await addUser(db, "ada", "admin");
  assert.equal(await refusal(admin, "alerts.createRule", { ...RULE, resolveThreshold: 85 }), "BAD_REQUEST");
  assert.equal(await refusal(admin, "alerts.createRule", { ...RULE, metric: "host.cpu", scope: { kind: "tag", tag: "prod" } }), "BAD_REQUEST");
});

test("the rule editor's scope preview lists VMs only to those who may edit rules: viewers and operators are refused on the server", async () => {
  for (const user of [viewer, operator]) {
    assert.equal(await refusal(user, "alerts.previewScope", { kind: "all" }), "FORBIDDEN");
  }
});

test("a silence also covers the alerts already active that it matches: they read as silenced, the others stay as they were", async () => {
  const DB = "22222222-2222-4222-8222-222222222222";
  const APP = "33333333-3333-4333-8333-333333333333";
  const other = createRule(db, { ...RULE, name: "Memory high", metric: "vm.memory.used", threshold: 1e9, resolveThreshold: 9e8 });
  const cpu = createRule(db, { ...RULE, name: "CPU very high", threshold: 95, resolveThreshold: 90 });
  const fired = (rule: typeof cpu, uuid: string, name: string) =>
    recordEvents(db, [{ kind: "fired", rule, subject: { hostId: "local", uuid, name }, value: 99, at: Date.now(), silenced: false }])[0]!.id;
  const onDb = fired(cpu, DB, "db-1");
  const onApp = fired(cpu, APP, "app-1");
  const otherRuleOnApp = fired(other, APP, "app-1");
  const silenced = (id: number) =>
    (call(operator, "alerts.list", {}) as Promise<Array<{ id: number; silenced: boolean }>>).then((l) => l.find((a) => a.id === id)?.silenced);

  await call(operator, "alerts.silence", { target: { kind: "vm", hostId: "local", uuid: DB }, endsAt: inHour(), reason: "db maintenance" });
  assert.deepEqual([await silenced(onDb), await silenced(onApp), await silenced(otherRuleOnApp)], [true, false, false], "only the VM's alert");
  await call(operator, "alerts.silence", { target: { kind: "rule", ruleId: other.id }, endsAt: inHour(), reason: "known noise" });
  assert.deepEqual([await silenced(onApp), await silenced(otherRuleOnApp)], [false, true], "only the rule's alert");
});
