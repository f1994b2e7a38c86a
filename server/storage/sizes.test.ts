import { test } from "node:test";
import assert from "node:assert/strict";
import { formatSize, parseSize, sizeFieldText } from "./sizes";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

test("sizes are typed with units, a bare number in GiB", () => {
  assert.equal(parseSize("20"), 20 * GiB);
  assert.equal(parseSize("20 GiB"), 20 * GiB);
  assert.equal(parseSize("512M"), 512 * MiB);
  assert.equal(parseSize("512 mib"), 512 * MiB);
  assert.equal(parseSize("1.5 TiB"), 1.5 * TiB);
  assert.equal(parseSize("0,5 g"), 0.5 * GiB);
  assert.equal(parseSize("2 GB"), 2 * GiB);
  assert.equal(parseSize(" 64k "), 64 * 1024);
});

test("what is not a positive size is refused", () => {
  for (const bad of ["", "abc", "-1", "0", "0 GiB", "1e3", "1 PB", "10 GiBs", "1..5", "GiB"]) assert.equal(parseSize(bad), null, bad);
});

test("sizes are shown and put back into fields readably", () => {
  assert.equal(formatSize(226 * GiB), "226 GiB");
  assert.equal(formatSize(1.5 * GiB), "1.5 GiB");
  assert.equal(sizeFieldText(20 * GiB), "20 GiB");
  assert.equal(sizeFieldText(1536 * MiB), "1536 MiB");
  assert.equal(sizeFieldText(2 * TiB), "2 TiB");
  assert.equal(parseSize(sizeFieldText(1536 * MiB)), 1536 * MiB);
});
