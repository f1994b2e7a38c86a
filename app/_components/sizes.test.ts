import { test } from "node:test";
import assert from "node:assert/strict";
import { GiB, MiB, memoryMiB, parseSize } from "./sizes";

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
  assert.deepEqual(parseSize("", "MiB"), { ok: false, problem: "is required" });
  assert.deepEqual(parseSize("lots", "MiB"), { ok: false, problem: "must be a number with an optional unit, such as 2 GiB or 512 MiB" });
  assert.deepEqual(parseSize("-1 GiB", "MiB"), { ok: false, problem: "must be a number with an optional unit, such as 2 GiB or 512 MiB" });
  assert.deepEqual(parseSize("3 parsecs", "MiB"), { ok: false, problem: 'has an unknown unit "parsecs": use MiB, GiB or TiB' });
});

test("memory needs no multiple of 64; a fraction of a MiB is rounded up with a note", () => {
  assert.deepEqual(memoryMiB(1000 * MiB), { mib: 1000, note: null });
  assert.deepEqual(memoryMiB(1.3 * GiB), { mib: 1332, note: "Rounded up to 1,332 MiB: memory is given in whole MiB." });
});
