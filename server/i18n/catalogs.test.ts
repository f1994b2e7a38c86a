import { test } from "node:test";
import assert from "node:assert/strict";
import { createTranslator, IntlErrorCode, type IntlError } from "next-intl";
import { LOCALES } from "./locales";
import { MESSAGES } from "./messages";

type Catalog = { [key: string]: string | Catalog };

/** Every message of a catalog by its dotted key: "vmDisks.attach.title" → text. */
function flatten(catalog: Catalog, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(catalog)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

/**
 * The arguments a message interpolates, at any depth: "{count, plural, one {# VM on {host}} other
 * {…}}" → count, host. A small ICU reader rather than a pattern, because a branch of a plural or
 * select ("up {Link up}") is text, not an argument, and may differ between languages.
 */
function argumentNames(message: string): string[] {
  const names = new Set<string>();
  let i = 0;
  const skipSpace = () => {
    while (/\s/.test(message[i] ?? "")) i++;
  };
  const word = () => {
    skipSpace();
    const start = i;
    while (i < message.length && !/[\s,{}]/.test(message[i]!)) i++;
    return message.slice(start, i);
  };
  // Text up to the "}" that closes it (or the end), reading each "{" as an argument.
  const text = () => {
    while (i < message.length && message[i] !== "}") {
      if (message[i] === "{") {
        i++;
        argument();
      } else i++;
    }
  };
  const argument = () => {
    names.add(word());
    skipSpace();
    if (message[i] === ",") {
      i++;
      const type = word();
      skipSpace();
      if (["plural", "select", "selectordinal"].includes(type) && message[i] === ",") {
        i++;
        // Branches: a selector ("one", "=0", "offset:1" has no message) and its message in braces.
        for (skipSpace(); i < message.length && message[i] !== "}"; skipSpace()) {
          word();
          skipSpace();
          if (message[i] !== "{") continue;
          i++;
          text();
          i++;
        }
      } else {
        while (i < message.length && message[i] !== "}") i++;
      }
    }
    i++;
  };
  text();
  return [...names].sort();
}

const english = flatten(MESSAGES.en as unknown as Catalog);

test("English has messages, and every one is text", () => {
  assert.ok(english.size > 0);
  for (const [key, text] of english) assert.ok(text.trim() !== "", `${key} is empty`);
});

for (const locale of LOCALES.filter((l) => l !== "en")) {
  const catalog = flatten(MESSAGES[locale] as unknown as Catalog);

  test(`${locale} has exactly English's keys: none missing, none left over`, () => {
    assert.deepEqual(
      [...catalog.keys()].filter((k) => !english.has(k)),
      [],
      "keys English does not have",
    );
    assert.deepEqual(
      [...english.keys()].filter((k) => !catalog.has(k)),
      [],
      "keys without a translation",
    );
  });

  test(`${locale} messages use the same arguments as English's`, () => {
    for (const [key, text] of english) {
      const translated = catalog.get(key);
      if (translated === undefined) continue;
      assert.ok(translated.trim() !== "", `${locale} ${key} is empty`);
      assert.deepEqual(argumentNames(translated), argumentNames(text), `${locale} ${key}: "${translated}" against "${text}"`);
    }
  });
}

test("every message of every locale parses as ICU and formats", () => {
  for (const locale of LOCALES) {
    const errors: string[] = [];
    const onError = (error: IntlError) => {
      // A rich-text message (<b>…</b>) called as plain text is not a fault of the message.
      if (error.code !== IntlErrorCode.FORMATTING_ERROR || !/rich/i.test(error.message)) errors.push(error.message);
    };
    const t = createTranslator({ locale, messages: MESSAGES[locale] as unknown as Catalog, onError });
    for (const [key, text] of english) {
      const values = Object.fromEntries(argumentNames(text).map((name) => [name, 1]));
      (t as unknown as { markup: (key: string, values: Record<string, unknown>) => string }).markup(key, { ...values, ...tags(text) });
    }
    assert.deepEqual(errors, [], `${locale}: messages that do not format`);
  }
});

/** Tag handlers for the rich-text tags a message uses, so `markup` renders them instead of failing. */
function tags(text: string): Record<string, (chunks: string) => string> {
  return Object.fromEntries([...text.matchAll(/<([a-z][\w-]*)>/g)].map((m) => [m[1]!, (chunks: string) => chunks]));
}
