import assert from "node:assert/strict";
import { test } from "node:test";
import { formatLibvirtVersion } from "./version";

test("formats libvirt's packed version numbers", () => {
  assert.equal(formatLibvirtVersion(9000000n), "9.0.0");
  assert.equal(formatLibvirtVersion(7002022n), "7.2.22");
  assert.equal(formatLibvirtVersion(1_010_003), "1.10.3");
});
