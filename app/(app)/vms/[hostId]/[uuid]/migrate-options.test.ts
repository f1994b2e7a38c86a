import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_BANDWIDTH_MIBPS } from "@/server/migration/contract";
import { DEFAULT_CHOICES, parseBandwidth } from "./migrate-options";

test("the dialog starts from the contract's defaults: managed, no storage copy, no limit, keep on the destination, undefine the source", () => {
  assert.deepEqual(DEFAULT_CHOICES, {
    mode: "managed",
    copyStorage: "none",
    bandwidthMiBps: null,
    autoConverge: false,
    postCopy: false,
    persistDest: true,
    undefineSource: true,
  });
});

test("an empty bandwidth is no limit; a whole number in range is a limit; anything else is refused", () => {
  assert.deepEqual(parseBandwidth(" "), { value: null, ok: true });
  assert.deepEqual(parseBandwidth("100"), { value: 100, ok: true });
  assert.equal(parseBandwidth(String(MAX_BANDWIDTH_MIBPS)).ok, true);
  for (const text of ["0", "1.5", "-3", "fast", String(MAX_BANDWIDTH_MIBPS + 1)]) assert.equal(parseBandwidth(text).ok, false, text);
});
