import { test } from "node:test";
import assert from "node:assert/strict";
import { createTranslator } from "next-intl";
import { MESSAGES } from "@/server/i18n/messages";
import { parseAuditFilters, parseMoment } from "./filters";

const en = createTranslator({ locale: "en", messages: MESSAGES.en, namespace: "audit" });
const de = createTranslator({ locale: "de", messages: MESSAGES.de, namespace: "audit" });

test("filters combine: user, action or area, result and a UTC time range, read from the URL", () => {
  const { filters, errors } = parseAuditFilters(
    {
      target: " web-1 ",
      username: "ada",
      action: "vms.power",
      result: "ok",
      since: "2026-11-27T14:05",
      until: "2026-11-28",
    },
    en,
  );
  assert.deepEqual(errors, {});
  assert.deepEqual(filters, {
    target: "web-1",
    username: "ada",
    action: "vms.power",
    result: "ok",
    since: new Date("2026-11-27T14:05:00.000Z"),
    until: new Date("2026-11-28T23:59:59.999Z"),
  });
  assert.equal(parseAuditFilters({ action: "vms." }, en).filters.action, "vms.", "an area");
});

test("each bad filter is worded for its own field, in the page's language", () => {
  const bad = { action: "vms.power; DROP", result: "maybe", since: "yesterday", username: "x".repeat(65) };
  const { errors } = parseAuditFilters(bad, en);
  assert.deepEqual(errors, {
    action: "Action: choose one from the list.",
    result: "Result: choose one from the list.",
    since: "From must be a date, or a date and time, such as 2026-11-27 14:05.",
    username: "User must be at most 64 characters.",
  });
  assert.deepEqual(parseAuditFilters({ since: "2026-11-28", until: "2026-11-27" }, en).errors, { until: "To must not be before From." });
  assert.equal(parseAuditFilters(bad, de).errors.username, "Benutzer darf höchstens 64 Zeichen lang sein.");
  assert.deepEqual(parseAuditFilters({ until: "tomorrow" }, de).errors, {
    until: "Bis muss ein Datum oder ein Datum mit Uhrzeit sein, etwa 2026-11-27 14:05.",
  });
  assert.equal(parseMoment("2026-02-30", false), null, "no 30 February");
  assert.deepEqual(parseMoment("2026-11-27T14:05", true), new Date("2026-11-27T14:05:59.999Z"));
});
