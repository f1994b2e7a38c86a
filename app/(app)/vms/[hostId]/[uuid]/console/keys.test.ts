import { test } from "node:test";
import assert from "node:assert/strict";
import { createTranslator } from "next-intl";
import { MESSAGES } from "@/server/i18n/messages";
import { chord, KEY, KEY_COMBOS, typeText } from "./keys";

const show = (strokes: ReturnType<typeof chord>) => strokes.map((s) => `${s.down ? "+" : "-"}${s.key.code}`).join(" ");

test("Ctrl+Alt+Del presses Ctrl, Alt, Delete and releases them in reverse", () => {
  const combo = KEY_COMBOS.find((c) => c.name === "ctrlAltDel")!;
  assert.equal(show(chord(combo.keys)), "+ControlLeft +AltLeft +Delete -Delete -AltLeft -ControlLeft");
  assert.equal(KEY_COMBOS.find((c) => c.name === "ctrlAltF" && c.n === 7)!.keys[2]!.keysym, 0xffc4);
});

test("every combination has its words in English and German, one per combination", () => {
  for (const locale of ["en", "de"] as const) {
    const t = createTranslator({ locale, messages: MESSAGES[locale], namespace: "vmConsole.combos" });
    const labels = KEY_COMBOS.map((c) => (c.name === "ctrlAltF" ? t("ctrlAltF", { n: c.n! }) : t(c.name)));
    assert.equal(new Set(labels).size, KEY_COMBOS.length, `${locale}: ${labels.join(", ")}`);
    if (locale === "en") assert.deepEqual(labels.slice(0, 2), ["Ctrl+Alt+Del", "Ctrl+Alt+F1"]);
  }
});

test("typed text holds Shift for capitals and shifted symbols, with each character's X11 keysym", () => {
  const { strokes, skipped } = typeText("aB1!\n");
  assert.equal(show(strokes), "+KeyA -KeyA +ShiftLeft +KeyB -KeyB -ShiftLeft +Digit1 -Digit1 +ShiftLeft +Digit1 -Digit1 -ShiftLeft +Enter -Enter");
  assert.deepEqual(
    strokes.filter((s) => s.down && s.key !== KEY.shift).map((s) => s.key.keysym),
    [0x61, 0x42, 0x31, 0x21, 0xff0d],
  );
  assert.deepEqual(skipped, []);
});

test("every printable ASCII character has a key; characters a US keyboard cannot type are reported, not sent", () => {
  const ascii = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join("");
  assert.deepEqual(typeText(ascii).skipped, []);
  const { strokes, skipped } = typeText("é€x");
  assert.deepEqual(skipped, ["é", "€"]);
  assert.equal(show(strokes), "+KeyX -KeyX");
});
