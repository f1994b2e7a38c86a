import { test } from "node:test";
import assert from "node:assert/strict";
import { negotiateLocale } from "./locales";

test("a browser asking for German in any region gets German", () => {
  assert.equal(negotiateLocale("de-CH,de;q=0.9,en;q=0.8"), "de");
  assert.equal(negotiateLocale("de-AT"), "de");
});

test("weights decide, not order, and languages we do not speak are passed over", () => {
  assert.equal(negotiateLocale("fr-FR,fr;q=0.9,en;q=0.5,de;q=0.7"), "de");
  assert.equal(negotiateLocale("en;q=0.2,de;q=0.1"), "en");
  assert.equal(negotiateLocale("fr,ja"), "en");
});

test("no header, a wildcard, q=0 and garbage fall back to English", () => {
  assert.equal(negotiateLocale(null), "en");
  assert.equal(negotiateLocale("*"), "en");
  assert.equal(negotiateLocale("de;q=0"), "en");
  assert.equal(negotiateLocale(";;,,!!-x;q=1,12"), "en");
});
