import { test } from "node:test";
import assert from "node:assert/strict";
import { viewFor, visibleTo } from "./visibility";
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

test("an alert about a VM follows the VM's grants; an alert about a host reaches only users whose grants cover the host", async () => {
  const view = {
    id: 1,
    ruleId: 1,
    ruleName: "CPU high",
    metric: "vm.cpu",
    severity: "warning",
    hostId: "local",
    uuid: null,
    vmName: null,
    state: "firing",
    value: 95,
    resolvedValue: null,
    threshold: 80,
    firedAt: 0,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    silenced: false,
  } as const;
  const vmAlert: ManagerEvent = { type: "alert", hostId: "local", uuid: "00000000-0000-0000-0000-000000000003", name: "web-1", alert: view };
  const hostAlert: ManagerEvent = { type: "alert", hostId: "local", uuid: null, name: null, alert: view };
  assert.equal(await visibleTo(user([{ kind: "name", value: "web-*" }]), vmAlert, noUri), true);
  assert.equal(await visibleTo(user([{ kind: "name", value: "db-*" }]), vmAlert, noUri), false);
  assert.equal(await visibleTo(user([{ kind: "name", value: "web-*" }]), hostAlert, noUri), false);
  assert.equal(await visibleTo(user([{ kind: "host", value: "local" }]), hostAlert, noUri), true);
  assert.equal(await visibleTo(user([{ kind: "host", value: "other" }]), vmAlert, noUri), false);
});

test("a metrics tick reaches a narrowed user with only the VMs their grants cover, and host figures only when they cover the host", async () => {
  const usage = { cpu: 1, memoryUsed: 1, memoryTotal: 2, diskRead: 0, diskWrite: 0, netRx: 0, netTx: 0 };
  const tick: ManagerEvent = {
    type: "metrics.tick",
    hostId: "local",
    at: 1,
    reachable: true,
    host: { cpu: 10, memoryUsed: 1, memoryTotal: 2 },
    vms: [
      { uuid: "00000000-0000-0000-0000-000000000004", name: "web-1", ...usage },
      { uuid: "00000000-0000-0000-0000-000000000005", name: "db-1", ...usage },
    ],
  };
  const web = await viewFor(user([{ kind: "name", value: "web-*" }]), tick, noUri);
  assert.ok(web?.type === "metrics.tick");
  assert.deepEqual(
    web.vms.map((v) => v.name),
    ["web-1"],
  );
  assert.deepEqual(web.host, { cpu: null, memoryUsed: null, memoryTotal: null });
  assert.equal(await viewFor(user([{ kind: "name", value: "mail-*" }]), tick, noUri), null, "no VM of theirs and not the host: nothing");
  const host = await viewFor(user([{ kind: "host", value: "local" }]), tick, noUri);
  assert.ok(host?.type === "metrics.tick");
  assert.equal(host.vms.length, 2);
  assert.equal(host.host.cpu, 10);
});
