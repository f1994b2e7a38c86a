import { test } from "node:test";
import assert from "node:assert/strict";
import { createTranslator } from "next-intl";
import { CLOSE } from "@/server/console/open-consoles";
import { MESSAGES } from "@/server/i18n/messages";
import { CLOSE_CODES, endedWords } from "./console-socket";

const t = createTranslator({ locale: "en", messages: MESSAGES.en, namespace: "vmConsole.ended" });

test("the page's close codes are the server's", () => {
  assert.deepEqual(CLOSE_CODES, CLOSE);
});

test("a console taken over or held elsewhere is said so, with force offered; a stopped VM is not", () => {
  assert.deepEqual(endedWords(4001, "x"), { key: "takenOver", detail: "", offerForce: true });
  assert.equal(t("takenOver", { kind: "serial" }), "The serial console was taken over by another session.");
  assert.equal(endedWords(4002, "").offerForce, true);
  assert.deepEqual(endedWords(4004, ""), { key: "vmStopped", detail: "", offerForce: false });
  assert.equal(t("vmStopped", { kind: "graphical" }), "The graphical console closed: the VM stopped.");
  assert.equal(endedWords(1006, "").key, "disconnected");
  assert.equal(t("disconnected", { kind: "graphical" }), "The graphical console disconnected.");
});

test("the server's fixed access reasons become catalog words; free text (a libvirt failure) is kept as sent", () => {
  assert.equal(endedWords(4003, "Your session ended").key, "sessionEnded");
  assert.equal(endedWords(4003, "Your role or grants no longer allow this console").key, "grantsChanged");
  assert.equal(endedWords(4003, "").key, "accessEnded");
  assert.deepEqual(endedWords(4003, "Something new"), { key: "accessEndedWith", detail: "Something new", offerForce: false });
  const failed = 'VM "web" on host "local" has no serial console (a serial port on a pty)';
  assert.deepEqual(endedWords(4005, failed), { key: "verbatim", detail: failed, offerForce: false });
  assert.equal(endedWords(4005, "").key, "notOpened");
  assert.deepEqual(endedWords(1011, "boom"), { key: "disconnectedWith", detail: "boom", offerForce: false });
  assert.equal(t.markup("disconnectedWith", { kind: "serial", reason: "boom", detail: (c) => c }), "The serial console disconnected: boom.");
});
