import { test } from "node:test";
import assert from "node:assert/strict";
import { parseXml } from "./codec";
import { scaledBytes } from "./units";

/** The `<x>` element as the parser gives it: an object when it has attributes, its text when not. */
const node = (xml: string) => (parseXml(xml, "test") as Record<string, unknown>).x;

test("one table for libvirt's units: binary and decimal, any case, with each element's own default", () => {
  assert.equal(scaledBytes(node("<x unit='GiB'>2</x>"), "bytes"), 2 * 1024 ** 3);
  assert.equal(scaledBytes(node("<x unit='GB'>2</x>"), "bytes"), 2e9);
  assert.equal(scaledBytes(node("<x unit='m'>3</x>"), "bytes"), 3 * 1024 ** 2);
  assert.equal(scaledBytes(node("<x>524288</x>"), "KiB"), 524288 * 1024, "a domain's memory without a unit is KiB");
  assert.equal(scaledBytes(node("<x>4096</x>"), "bytes"), 4096, "a volume's capacity without a unit is bytes");
  assert.equal(scaledBytes(node("<x unit='TiB'>1</x>"), "KiB"), 1024 ** 4);
  assert.equal(scaledBytes(node("<x></x>"), "bytes"), null);
  assert.throws(() => scaledBytes(node("<x unit='furlongs'>1</x>"), "bytes"), /unknown size unit "furlongs"/);
});
