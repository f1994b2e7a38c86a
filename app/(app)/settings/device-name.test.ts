import { test } from "node:test";
import assert from "node:assert/strict";
import { createTranslator } from "next-intl";
import { MESSAGES } from "@/server/i18n/messages";
import { deviceName as named } from "./device-name";

const en = createTranslator({ locale: "en", messages: MESSAGES.en, namespace: "settings" });
const de = createTranslator({ locale: "de", messages: MESSAGES.de, namespace: "settings" });
const deviceName = (userAgent: string) => named(userAgent, en);

test("devices are named by browser and system, as a person knows them", () => {
  assert.equal(
    deviceName("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"),
    "Chrome on Android",
  );
  assert.equal(
    deviceName("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
    "Safari on iOS",
  );
  assert.equal(
    deviceName("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0"),
    "Edge on Windows",
  );
  assert.equal(deviceName("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"), "Firefox on Linux");
  assert.equal(deviceName("curl/7.88.1"), "curl");
  assert.equal(deviceName(""), "Unknown browser");
});

test("a device is named in the reader's language, its browser and system as they are called everywhere", () => {
  assert.equal(named("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", de), "Firefox unter Linux");
  assert.equal(named("", de), "Unbekannter Browser");
});
