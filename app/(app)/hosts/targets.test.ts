import { test } from "node:test";
import assert from "node:assert/strict";
import type { HostConnectionState } from "@/server/hosts/contract";
import { migrationTargets } from "./targets";

const host = (id: string, state: HostConnectionState, enabled = true) => ({ id, enabled, connection: { state, error: null } });

test("a VM can move only to another host that is enabled and connected", () => {
  const hosts = [host("local", "connected"), host("b", "connected"), host("c", "unreachable"), host("d", "connected", false), host("e", "connecting")];
  assert.deepEqual(
    migrationTargets(hosts, "local").map((h) => h.id),
    ["b"],
  );
  assert.deepEqual(
    migrationTargets(hosts, "b").map((h) => h.id),
    ["local"],
  );
});
