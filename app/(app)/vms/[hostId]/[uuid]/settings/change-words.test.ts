import { test } from "node:test";
import assert from "node:assert/strict";
import { createTranslator } from "next-intl";
import { MESSAGES } from "@/server/i18n/messages";
import { changeWords, guestWords, type SettingsT } from "./change-words";

const tIn = (locale: "en" | "de") => createTranslator({ locale, messages: MESSAGES[locale], namespace: "vmSettings" }) as unknown as SettingsT;

test("each changed figure says from, to and when it applies, in the page's language", () => {
  const MiB = 1024;
  assert.equal(changeWords({ what: "vcpus", from: 1, to: 2, applies: "nowAndNextBoot" }, tIn("en"), "en"), "vCPUs 1 → 2: now and at next boot");
  assert.equal(
    changeWords({ what: "maxMemoryKiB", from: 32 * MiB, to: 128 * MiB, applies: "nextBoot" }, tIn("en"), "en"),
    "Maximum memory 32 MiB → 128 MiB: at next boot",
  );
  assert.equal(
    changeWords({ what: "memoryKiB", from: 32 * MiB, to: 64 * MiB, applies: "nextBoot" }, tIn("de"), "de"),
    "Arbeitsspeicher 32 MiB → 64 MiB: beim nächsten Start",
  );
});

test("after memory was plugged in, the notice says how many memory blocks the guest onlined, or that it may not use them yet", () => {
  const online = { state: "online" as const, cpusOnline: 2, cpusOnlined: [] as number[], memoryOnlined: [32] };
  assert.deepEqual(guestWords(online, true, tIn("en")), ["the guest brought 1 new memory block online"]);
  assert.deepEqual(guestWords({ ...online, cpusOnlined: [1] }, true, tIn("de")), [
    "der Gast hat 1 neue vCPU in Betrieb genommen",
    "der Gast hat 1 neuen Speicherblock in Betrieb genommen",
  ]);
  assert.deepEqual(guestWords({ ...online, cpusOnlined: [1], memoryOnlined: [] }, false, tIn("en")), ["the guest brought 1 new vCPU online"]);
  assert.deepEqual(guestWords({ state: "partial", cpusOnline: 2, cpusOnlined: [], memoryOnlined: [], reason: "…" }, true, tIn("en")), [
    "the guest may not use the new memory yet",
  ]);
});
