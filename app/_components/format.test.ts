import { test } from "node:test";
import assert from "node:assert/strict";
import { formatBytes, formatDateTime, formatNumber } from "./format";

test("sizes use the locale's decimal mark and binary units", () => {
  assert.equal(formatBytes(1.5 * 1024 ** 3, "en"), "1.5 GiB");
  assert.equal(formatBytes(1.5 * 1024 ** 3, "de"), "1,5 GiB");
  assert.equal(formatBytes(900, "de"), "900 B");
  assert.equal(formatBytes(20 * 1024 ** 2, "en"), "20 MiB");
});

test("counts group thousands as the locale does", () => {
  assert.equal(formatNumber(1234567, "en"), "1,234,567");
  assert.equal(formatNumber(1234567, "de"), "1.234.567");
  assert.equal(formatNumber(2.25, "de", 1), "2,3");
});

test("times are UTC, 24-hour, in the locale's order, and a missing one is a dash", () => {
  const moment = Date.UTC(2026, 10, 27, 18, 5, 9);
  assert.equal(formatDateTime(moment, "en"), "Nov 27, 2026, 18:05:09 UTC");
  assert.equal(formatDateTime(moment, "de"), "27.11.2026, 18:05:09 UTC");
  assert.equal(formatDateTime(null, "de"), "—");
});
