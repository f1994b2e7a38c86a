import { test } from "node:test";
import assert from "node:assert/strict";
import { createTranslator } from "next-intl";
import { MESSAGES } from "@/server/i18n/messages";
import { GiB, MiB, memoryMiB, parseSize, roundingNote, sizeProblemWords, type ParsedSize } from "./sizes";

const en = createTranslator({ locale: "en", messages: MESSAGES.en, namespace: "errors" });
const de = createTranslator({ locale: "de", messages: MESSAGES.de, namespace: "errors" });

/** The refusal of a size field labelled "Memory", in English. */
function words(parsed: ParsedSize): string | null {
  return parsed.ok ? null : sizeProblemWords(en, "Memory", parsed.issue);
}

test("sizes accept a bare number in the field's unit, binary units as libvirt spells them, and a decimal comma", () => {
  assert.deepEqual(parseSize("2048", "MiB"), { ok: true, bytes: 2048 * MiB });
  assert.deepEqual(parseSize("20", "GiB"), { ok: true, bytes: 20 * GiB });
  assert.deepEqual(parseSize("2 GiB", "MiB"), { ok: true, bytes: 2 * GiB });
  assert.deepEqual(parseSize("1.5G", "MiB"), { ok: true, bytes: 1.5 * GiB });
  assert.deepEqual(parseSize("1 tib", "GiB"), { ok: true, bytes: 1024 * GiB });
  assert.deepEqual(parseSize("512 MiB", "GiB"), { ok: true, bytes: 512 * MiB });
  assert.deepEqual(parseSize("0,5 GiB", "MiB"), { ok: true, bytes: 0.5 * GiB });
  assert.deepEqual(parseSize("2 GB", "MiB"), { ok: true, bytes: 2e9 });
});

test("what is not a size is refused in words", () => {
  assert.equal(words(parseSize("", "MiB")), "Memory is required.");
  assert.equal(words(parseSize("lots", "MiB")), "Memory must be a number with an optional unit, such as 2 GiB or 512 MiB.");
  assert.equal(words(parseSize("-1 GiB", "MiB")), "Memory must be a number with an optional unit, such as 2 GiB or 512 MiB.");
  assert.equal(words(parseSize("3 parsecs", "MiB")), 'Memory has an unknown unit "parsecs": use MiB, GiB or TiB.');
  assert.deepEqual(parseSize("3 parsecs", "MiB"), { ok: false, issue: { key: "unknownUnit", unit: "parsecs" } });
  const refused = parseSize("3 parsecs", "MiB");
  assert.ok(!refused.ok);
  assert.equal(
    sizeProblemWords(de, "Arbeitsspeicher", refused.issue),
    "Arbeitsspeicher hat eine unbekannte Einheit „parsecs“: Verwenden Sie MiB, GiB oder TiB.",
  );
});

test("memory needs no multiple of 64; a fraction of a MiB is rounded up with a note", () => {
  assert.deepEqual(memoryMiB(1000 * MiB), { mib: 1000, roundedUp: false });
  assert.equal(roundingNote(en, 1000 * MiB), null);
  assert.deepEqual(memoryMiB(1.3 * GiB), { mib: 1332, roundedUp: true });
  assert.equal(roundingNote(en, 1.3 * GiB), "Rounded up to 1,332 MiB: memory is given in whole MiB.");
  assert.equal(roundingNote(de, 1.3 * GiB), "Aufgerundet auf 1.332 MiB: Arbeitsspeicher wird in ganzen MiB angegeben.");
});
