import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { METRIC_KEYS, type MetricsTick, type VmMetricKey } from "@/server/metrics/sample";
import { alertRules, alerts, auditLog, notificationDeliveries } from "@/server/db/schema";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import type { Db } from "@/server/db/client";
import { createCaller } from "@/server/api/root";
import { AlertEvaluator } from "@/server/alerts/evaluator";
import { createRule, createSilence } from "@/server/alerts/store";
import type { RuleInput } from "@/server/alerts/rules";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook, verifyWebhook } from "./signing";
import { MAX_ATTEMPTS, backoffMs, finalOutcome, httpOutcome } from "./policy";
import { attemptsOf, deliverDue, deliveriesOf, enqueueNotifications } from "./queue";
import { createEmailList, createWebhook, setRuleChannels, writeSmtp } from "./store";
import type { AlertPayload } from "./payload";
import { startSmtpReceiver, startWebhookReceiver } from "./testing/receivers";

const HOST = "local";
const WEB = "11111111-1111-4111-8111-111111111111";
const SECRET = "a-webhook-secret-of-some-length";

let db: Db;
let cleanup: () => void;

before(() => {
  ({ db, cleanup } = tempDatabase());
});
after(() => cleanup());

const CPU_RULE: RuleInput = {
  name: "CPU high",
  metric: "vm.cpu",
  scope: { kind: "all" },
  comparison: ">",
  threshold: 50,
  resolveThreshold: 40,
  forMs: 0,
  severity: "warning",
  enabled: true,
};

function tick(cpu: number): MetricsTick {
  const values = Object.fromEntries(METRIC_KEYS.filter((k) => k.startsWith("vm.")).map((k) => [k, null])) as Record<VmMetricKey, number | null>;
  return {
    host: { hostId: HOST, at: 0, reachable: true, values: { "host.cpu": 1, "host.memory.used": 1, "host.memory.total": 100 }, pools: [] },
    vms: [{ hostId: HOST, uuid: WEB, name: "web-1", at: 0, running: true, values: { ...values, "vm.cpu": cpu }, filesystems: [] }],
  };
}

/** A clean slate: no rules, alerts, channels or deliveries; an evaluator on a hand-moved clock. */
function harness() {
  db.delete(notificationDeliveries).run();
  db.delete(alerts).run();
  db.delete(alertRules).run();
  db.$client.exec("delete from notification_channels");
  const clock = { now: 1_700_000_000_000 };
  const evaluator = new AlertEvaluator({ db, now: () => clock.now, publish: () => undefined, subscribe: () => () => undefined, tagsOf: async () => [] });
  evaluator.start();
  db.delete(alertRules).run();
  return { clock, evaluator };
}

test("a signature verifies with the same secret, body and a fresh timestamp, and with nothing else", () => {
  const body = '{"event":"alert.fired"}';
  const ts = 1_700_000_000;
  const signature = signWebhook(SECRET, ts, body);
  assert.match(signature, /^sha256=[0-9a-f]{64}$/);
  const ok = { secret: SECRET, body, timestamp: String(ts), signature, nowS: ts + 10 };
  assert.equal(verifyWebhook(ok), true);
  assert.equal(verifyWebhook({ ...ok, body: '{"event":"alert.resolved"}' }), false, "another body");
  assert.equal(verifyWebhook({ ...ok, secret: `${SECRET}x` }), false, "another secret");
  assert.equal(verifyWebhook({ ...ok, timestamp: String(ts + 1) }), false, "another timestamp");
  assert.equal(verifyWebhook({ ...ok, nowS: ts + 301 }), false, "older than five minutes: a replay");
  assert.equal(verifyWebhook({ ...ok, signature: undefined }), false, "no signature");
  assert.equal(verifyWebhook({ ...ok, signature: signature.slice(0, -1) }), false, "cut short");
});

test("back-off triples from 10 s; 2xx delivers, 408/429/5xx retry, other statuses give up; the fifth failure is final", () => {
  assert.deepEqual([1, 2, 3, 4].map(backoffMs), [10_000, 30_000, 90_000, 270_000]);
  assert.deepEqual(
    [200, 204, 301, 400, 404, 408, 410, 429, 500, 503].map((s) => `${s}:${httpOutcome(s)}`),
    ["200:delivered", "204:delivered", "301:failed", "400:failed", "404:failed", "408:retry", "410:failed", "429:retry", "500:retry", "503:retry"],
  );
  assert.equal(MAX_ATTEMPTS, 5);
  assert.equal(finalOutcome("retry", 4), "retry");
  assert.equal(finalOutcome("retry", 5), "failed");
  assert.equal(finalOutcome("delivered", 5), "delivered");
});

test("a webhook that fails twice then succeeds is delivered on attempt 3, signed each time, with all three attempts in the log", async () => {
  const { clock, evaluator } = harness();
  const receiver = await startWebhookReceiver([500, 503, 200]);
  try {
    const rule = createRule(db, CPU_RULE);
    const hook = createWebhook(db, { name: "ops", url: receiver.url, secret: SECRET });
    setRuleChannels(db, rule.id, [hook.id]);
    const [fired] = await evaluator.onTick(tick(90));
    assert.ok(fired);
    // The evaluator only queued it: nothing was sent yet.
    assert.equal(receiver.received.length, 0);
    const t0 = clock.now;

    assert.equal(await deliverDue(db, { now: () => clock.now }), 1);
    clock.now = t0 + 9_999;
    assert.equal(await deliverDue(db, { now: () => clock.now }), 0, "not due before its 10 s back-off");
    clock.now = t0 + 10_000;
    assert.equal(await deliverDue(db, { now: () => clock.now }), 1);
    clock.now = t0 + 10_000 + 29_999;
    assert.equal(await deliverDue(db, { now: () => clock.now }), 0, "not due before its 30 s back-off");
    clock.now = t0 + 40_000;
    assert.equal(await deliverDue(db, { now: () => clock.now }), 1);
    assert.equal(await deliverDue(db, { now: () => clock.now + 3600_000 }), 0, "delivered: nothing more to send");

    assert.equal(receiver.received.length, 3);
    const ids = new Set(receiver.received.map((r) => r.headers[DELIVERY_HEADER]));
    assert.equal(ids.size, 1, "every retry carries the same delivery id");
    for (const hit of receiver.received) {
      assert.equal(hit.headers[EVENT_HEADER], "alert.fired");
      const ts = Number(hit.headers[TIMESTAMP_HEADER]);
      assert.ok(verifyWebhook({ secret: SECRET, body: hit.body, timestamp: String(ts), signature: hit.headers[SIGNATURE_HEADER] as string, nowS: ts }));
    }
    const body = JSON.parse(receiver.received[2]!.body) as AlertPayload;
    assert.equal(body.alert.rule.name, "CPU high");
    assert.deepEqual(body.alert.vm, { name: "web-1", uuid: WEB });
    assert.equal(body.alert.value, 90);
    assert.equal(body.alert.threshold, 50);
    assert.equal(body.alert.link, `/alerts?hostId=${HOST}&uuid=${WEB}`);

    const [delivery] = deliveriesOf(db, [fired.id]);
    assert.equal(delivery!.state, "delivered");
    assert.equal(delivery!.attempts, 3);
    const log = attemptsOf(db, delivery!.id);
    assert.deepEqual(
      log.map((a) => [a.outcome, a.httpStatus, a.at.getTime() - t0]),
      [
        ["retry", 500, 0],
        ["retry", 503, 10_000],
        ["delivered", 200, 40_000],
      ],
    );
  } finally {
    await receiver.close();
  }
});

test("a 404 gives up at once; an unreachable receiver is retried until the fifth attempt fails", async () => {
  const { clock, evaluator } = harness();
  const gone = await startWebhookReceiver([404]);
  const closed = await startWebhookReceiver();
  await closed.close();
  try {
    const rule = createRule(db, CPU_RULE);
    const a = createWebhook(db, { name: "gone", url: gone.url, secret: SECRET });
    const b = createWebhook(db, { name: "closed", url: closed.url, secret: SECRET });
    setRuleChannels(db, rule.id, [a.id, b.id]);
    const [fired] = await evaluator.onTick(tick(90));
    for (let i = 0; i < 10; i++) {
      await deliverDue(db, { now: () => clock.now });
      clock.now += 300_000;
    }
    const byName = new Map(deliveriesOf(db, [fired!.id]).map((d) => [d.channelName, d]));
    assert.equal(byName.get("gone")!.state, "failed");
    assert.equal(byName.get("gone")!.attempts, 1);
    assert.equal(byName.get("gone")!.lastStatus, 404);
    assert.equal(gone.received.length, 1);
    assert.equal(byName.get("closed")!.state, "failed");
    assert.equal(byName.get("closed")!.attempts, MAX_ATTEMPTS);
    assert.equal(byName.get("closed")!.lastError, "connection refused");
  } finally {
    await gone.close();
  }
});

test("fire and resolve each e-mail the rule's list through a local SMTP server; the subject names the rule and the VM", async () => {
  const { clock, evaluator } = harness();
  const smtp = await startSmtpReceiver();
  try {
    writeSmtp(db, { host: "127.0.0.1", port: smtp.port, security: "none", user: null, from: "kvmm@example.com" });
    const rule = createRule(db, CPU_RULE);
    const list = createEmailList(db, { name: "oncall", recipients: ["oncall@example.com", "ops@example.com"] });
    setRuleChannels(db, rule.id, [list.id]);
    await evaluator.onTick(tick(90));
    await deliverDue(db, { now: () => clock.now });
    clock.now += 5_000;
    const [resolved] = await evaluator.onTick(tick(10));
    assert.equal(resolved!.state, "resolved");
    await deliverDue(db, { now: () => clock.now });
    assert.deepEqual(
      smtp.received.map((m) => m.subject),
      ['[WARNING] CPU high: VM "web-1" on host "local"', '[RESOLVED] CPU high: VM "web-1" on host "local"'],
    );
    assert.deepEqual(smtp.received[0]!.to, ["oncall@example.com", "ops@example.com"]);
    assert.equal(smtp.received[0]!.from, "kvmm@example.com");
    assert.deepEqual(
      deliveriesOf(db, [resolved!.id]).map((d) => [d.event, d.state]),
      [
        ["fired", "delivered"],
        ["resolved", "delivered"],
      ],
    );
  } finally {
    await smtp.close();
  }
});

test("a silenced alert and a rule without channels queue nothing", async () => {
  const { clock, evaluator } = harness();
  const quiet = createRule(db, CPU_RULE);
  const hook = createWebhook(db, { name: "ops", url: "http://127.0.0.1:9/", secret: SECRET });
  setRuleChannels(db, quiet.id, [hook.id]);
  createSilence(db, { kind: "rule", value: String(quiet.id), endsAt: clock.now + 3600_000, reason: "maintenance" }, "ada", clock.now);
  createRule(db, { ...CPU_RULE, name: "CPU high, in-app only" });
  const rows = await evaluator.onTick(tick(90));
  assert.equal(rows.length, 2, "both rules fired");
  assert.equal(enqueueNotifications(db, rows, clock.now), 0);
  assert.equal(db.select().from(notificationDeliveries).all().length, 0);
});

test("secrets are write-only: no answer carries the webhook secret or SMTP password, and the audit rows redact them", async () => {
  harness();
  const admin = await addUser(db, "ada-secrets", "admin");
  const api = createCaller({ db, user: admin, clientIp: "127.0.0.1" } as never);
  const created = await api.notifications.createWebhook({ name: "ops", url: "https://hooks.example.com/x", secret: SECRET });
  const smtp = await api.notifications.setSmtp({
    host: "mail.example.com",
    port: 587,
    security: "starttls",
    user: "kvmm",
    password: "smtp-pass-word",
    from: "kvmm@example.com",
  });
  // Saved again without a password: the stored one stays.
  await api.notifications.setSmtp({ host: "mail.example.com", port: 587, security: "starttls", user: "kvmm", from: "kvmm@example.com" });
  const answers = JSON.stringify([created, smtp, await api.notifications.channels(), await api.notifications.smtp()]);
  assert.ok(!answers.includes(SECRET), answers);
  assert.ok(!answers.includes("smtp-pass-word"), answers);
  assert.equal((await api.notifications.smtp())!.passwordSet, true);
  const audit = JSON.stringify(db.select().from(auditLog).all());
  assert.ok(!audit.includes(SECRET) && !audit.includes("smtp-pass-word"), audit);
});
