import { test } from "node:test";
import assert from "node:assert/strict";
import { hostsShown, parseHostFilter } from "./host-filter-param";

const ENABLED = ["local", "rack-b"];

test("no host in the URL, or an empty one, is every host", () => {
  assert.deepEqual(parseHostFilter(undefined, ENABLED), { hostId: null, unknown: null });
  assert.deepEqual(parseHostFilter("  ", ENABLED), { hostId: null, unknown: null });
});

test("an enabled host is the filter; a repeated parameter counts its first value", () => {
  assert.deepEqual(parseHostFilter("rack-b", ENABLED), { hostId: "rack-b", unknown: null });
  assert.deepEqual(parseHostFilter(["local", "rack-b"], ENABLED), { hostId: "local", unknown: null });
});

test("a host that is not enabled, or not a host id at all, is named back and every host is shown", () => {
  assert.deepEqual(parseHostFilter("rack-c", ENABLED), { hostId: null, unknown: "rack-c" });
  assert.deepEqual(parseHostFilter("Rack B/..", ENABLED), { hostId: null, unknown: "Rack B/.." });
});

test("hostsShown keeps the filtered host only, or all of them in their order", () => {
  const hosts = [{ id: "local" }, { id: "rack-b" }];
  assert.deepEqual(hostsShown(hosts, { hostId: "rack-b", unknown: null }), [{ id: "rack-b" }]);
  assert.deepEqual(hostsShown(hosts, { hostId: null, unknown: "x" }), hosts);
});
