import assert from "node:assert/strict";
import { test } from "node:test";
import { uuidFromString, uuidToString } from "./uuid";

test("converts between libvirt's 16-byte UUIDs and their text form", () => {
  const text = "6695eb01-f6a4-8304-79aa-97f2502e193f";
  const bytes = uuidFromString(text);
  assert.equal(bytes.length, 16);
  assert.equal(uuidToString(bytes), text);
  assert.deepEqual(uuidFromString("6695EB01F6A4830479AA97F2502E193F"), bytes, "case and dashes do not matter");
  assert.throws(() => uuidFromString("not-a-uuid"), /not a UUID/);
  assert.throws(() => uuidToString(Buffer.alloc(4)), /16 bytes/);
});
