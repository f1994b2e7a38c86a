import { test } from "node:test";
import assert from "node:assert/strict";
import { createTranslator } from "next-intl";
import { MESSAGES } from "@/server/i18n/messages";
import { LOCALES } from "@/server/i18n/locales";
import { ACTION_AREAS, ACTION_LABELS } from "@/server/audit/actions";
import { actionKey, actionWords } from "./action-words";

const translator = (locale: (typeof LOCALES)[number]) => createTranslator({ locale, messages: MESSAGES[locale], namespace: "audit" });

test("every action in the table has an English and a German message, the English one the table's words", () => {
  for (const locale of LOCALES) {
    const actions: Record<string, string> = MESSAGES[locale].audit.actions;
    for (const [action, label] of Object.entries(ACTION_LABELS)) {
      const message = actions[actionKey(action)];
      assert.ok(message?.trim(), `${locale}: ${action} has no message`);
      if (locale === "en") assert.equal(message, label, action);
      assert.equal(actionWords(translator(locale), action), message);
    }
    const areas: Record<string, string> = MESSAGES[locale].audit.areas;
    for (const [area, words] of Object.entries(ACTION_AREAS)) {
      assert.ok(areas[area]?.trim(), `${locale}: area ${area} has no message`);
      if (locale === "en") assert.equal(areas[area], words, area);
    }
  }
  assert.equal(actionWords(translator("de"), "vms.power"), "VM-Energiesteuerung (Starten, Herunterfahren, Neu starten, Ausschalten erzwingen…)");
});

test("an action without a message still reads as words, its area in the reader's language", () => {
  assert.equal(actionWords(translator("en"), "storage.uploadVolume"), "Storage: upload volume");
  assert.equal(actionWords(translator("de"), "storage.uploadVolume"), "Speicher: upload volume");
  assert.equal(actionWords(translator("en"), "backup.run"), "backup: run");
  assert.equal(actionWords(translator("en"), "users"), "Users");
});
