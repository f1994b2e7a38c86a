import { test } from "node:test";
import assert from "node:assert/strict";
import { formatBytes, formatNumber } from "@/app/_components/format";
import { ALERT_METRICS } from "@/server/alerts/rules";
import enAlerts from "@/server/i18n/messages/en/alerts.json" with { type: "json" };
import { durationParts, formatValue, metricWordKey, parseAlertFilters, thresholdUnit, unitOf } from "./alert-words";

const en = { number: (v: number, d?: number) => formatNumber(v, "en", d), bytes: (b: number) => formatBytes(b, "en") };
const de = { number: (v: number, d?: number) => formatNumber(v, "de", d), bytes: (b: number) => formatBytes(b, "de") };

test("a metric's value reads with its unit in the reader's locale; derived percentages are percent; event kinds have no unit", () => {
  assert.equal(formatValue("vm.cpu", 92.46, en), "92.5 %");
  assert.equal(formatValue("vm.guest.filesystem", 92.46, de), "92,5 %");
  assert.equal(formatValue("host.memory.percent", 96, en), "96.0 %");
  assert.equal(formatValue("vm.memory.used", 1.5 * 1024 ** 3, en), "1.5 GiB");
  assert.equal(formatValue("vm.disk.write", 12 * 1024 ** 2, en), "12 MiB/s");
  assert.equal(formatValue("vm.disk.readOps", 340, en), "340.0/s");
  assert.equal(unitOf("vm.crashed"), null);
  assert.equal(unitOf("agent.lost"), null);
  assert.equal(unitOf("vm.memory.percent"), "percent");
});

test("a threshold on bytes is typed in MiB, on percentages and operations as it is, and an event kind has none", () => {
  assert.deepEqual(thresholdUnit("vm.memory.used"), { unit: "MiB", factor: 1024 ** 2 });
  assert.deepEqual(thresholdUnit("vm.net.rx"), { unit: "MiBPerSecond", factor: 1024 ** 2 });
  assert.deepEqual(thresholdUnit("host.cpu"), { unit: "percent", factor: 1 });
  assert.deepEqual(thresholdUnit("vm.disk.writeOps"), { unit: "perSecond", factor: 1 });
  assert.equal(thresholdUnit("host.unreachable"), null);
});

test("a duration reads in its largest whole unit", () => {
  assert.deepEqual(durationParts(0), { unit: "seconds", count: 0 });
  assert.deepEqual(durationParts(90_000), { unit: "seconds", count: 90 });
  assert.deepEqual(durationParts(5 * 60_000), { unit: "minutes", count: 5 });
  assert.deepEqual(durationParts(2 * 3600_000), { unit: "hours", count: 2 });
  assert.deepEqual(durationParts(7 * 86_400_000), { unit: "days", count: 7 });
});

test("every metric a rule may watch has its words, under a key without dots (next-intl reads them as nesting)", () => {
  assert.equal(metricWordKey("vm.guest.filesystem"), "vm_guest_filesystem");
  assert.deepEqual(ALERT_METRICS.map(metricWordKey).sort(), Object.keys(enAlerts.metrics).sort());
});

test("the URL's filters are kept when valid and named when not", () => {
  assert.deepEqual(parseAlertFilters({ severity: "critical", state: "firing", hostId: "local", uuid: "0000000A-0000-0000-0000-000000000003" }), {
    filters: { severity: "critical", state: "firing", hostId: "local", uuid: "0000000a-0000-0000-0000-000000000003" },
    invalid: [],
  });
  assert.deepEqual(parseAlertFilters({ severity: "loud", state: "", hostId: "Local Host", uuid: "web-1" }), {
    filters: {},
    invalid: ["severity", "hostId", "uuid"],
  });
});
