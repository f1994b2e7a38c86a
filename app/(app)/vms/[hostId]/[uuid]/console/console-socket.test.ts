import { test } from "node:test";
import assert from "node:assert/strict";
import { CLOSE } from "@/server/console/open-consoles";
import { CLOSE_CODES, endedWords } from "./console-socket";

test("the page's close codes are the server's", () => {
  assert.deepEqual(CLOSE_CODES, CLOSE);
});

test("a console taken over or held elsewhere is said so, with force offered; a stopped VM is not", () => {
  assert.deepEqual(endedWords(4001, "x", "serial console"), { message: "The serial console was taken over by another session.", offerForce: true });
  assert.equal(endedWords(4002, "", "serial console").offerForce, true);
  assert.deepEqual(endedWords(4004, "", "graphical console"), { message: "The graphical console closed: the VM stopped.", offerForce: false });
  assert.equal(endedWords(1006, "", "graphical console").message, "The graphical console disconnected.");
});
