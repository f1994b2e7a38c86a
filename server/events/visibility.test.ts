import { test } from "node:test";
import assert from "node:assert/strict";
import { visibleTo } from "./visibility";
import type { SessionUser } from "../users/service";
import type { ManagerEvent } from "./bus";

const user = (grants: SessionUser["grants"], role: SessionUser["role"] = "operator"): SessionUser => ({
  id: 1,
  username: "u",
  role,
  grants,
  locale: null,
  sessionId: "s",
});
const noUri = () => undefined;
const network: ManagerEvent = { type: "network.lifecycle", hostId: "local", name: "default", uuid: "00000000-0000-0000-0000-000000000001", event: "started" };
const pool: ManagerEvent = { type: "pool.lifecycle", hostId: "local", name: "images", uuid: "00000000-0000-0000-0000-000000000002", event: "refreshed" };
const vm: ManagerEvent = {
  type: "domain.lifecycle",
  hostId: "local",
  uuid: "00000000-0000-0000-0000-000000000003",
  name: "web-1",
  event: "started",
  detail: 0,
  state: "running",
};

test("network and pool events reach only users whose grants cover the host, VM events follow the VM grants", async () => {
  const narrowed = user([{ kind: "name", value: "web-*" }]);
  assert.equal(await visibleTo(narrowed, network, noUri), false);
  assert.equal(await visibleTo(narrowed, pool, noUri), false);
  assert.equal(await visibleTo(narrowed, vm, noUri), true);
  const wholeHost = user([{ kind: "host", value: "local" }]);
  assert.equal(await visibleTo(wholeHost, network, noUri), true);
  assert.equal(await visibleTo(wholeHost, pool, noUri), true);
  assert.equal(await visibleTo(user([]), pool, noUri), true, "no grants: everything");
  assert.equal(await visibleTo(user([{ kind: "name", value: "db-*" }]), vm, noUri), false);
});
