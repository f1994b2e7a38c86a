import { test } from "node:test";
import assert from "node:assert/strict";
import { ticksVisibleTo } from "./scope";
import type { MetricsTick, VmSample } from "./sample";

const nulls = {
  "vm.cpu": null,
  "vm.memory.used": null,
  "vm.memory.total": null,
  "vm.disk.read": null,
  "vm.disk.write": null,
  "vm.disk.readOps": null,
  "vm.disk.writeOps": null,
  "vm.net.rx": null,
  "vm.net.tx": null,
  "vm.guest.cpu": null,
  "vm.guest.memory": null,
  "vm.guest.filesystem": null,
};
const vm = (hostId: string, name: string): VmSample => ({ hostId, name, uuid: `uuid-${name}`, at: 0, running: true, values: nulls, filesystems: [] });
const host = (hostId: string) => ({
  hostId,
  at: 0,
  reachable: true,
  values: { "host.cpu": 1, "host.memory.used": 1, "host.memory.total": 2 },
  pools: [],
});
const TICKS: MetricsTick[] = [
  { host: host("a"), vms: [vm("a", "web-1"), vm("a", "db-1")] },
  { host: host("b"), vms: [vm("b", "web-2")] },
];
const noTags = () => Promise.reject(new Error("tags must not be read for this user"));
const shape = (ticks: Awaited<ReturnType<typeof ticksVisibleTo>>) => ticks.map((t) => [t.host?.hostId ?? null, t.vms.map((v) => v.name)]);

test("an admin, and a user without grants, see every host and VM", async () => {
  for (const user of [
    { role: "admin" as const, grants: [{ kind: "name" as const, value: "none" }] },
    { role: "viewer" as const, grants: [] },
  ]) {
    assert.deepEqual(shape(await ticksVisibleTo(user, TICKS, noTags)), [
      ["a", ["web-1", "db-1"]],
      ["b", ["web-2"]],
    ]);
  }
});

test("a user narrowed by name sees the matching VMs and no host's own figures", async () => {
  const user = { role: "operator" as const, grants: [{ kind: "name" as const, value: "web-*" }] };
  assert.deepEqual(shape(await ticksVisibleTo(user, TICKS, noTags)), [
    [null, ["web-1"]],
    [null, ["web-2"]],
  ]);
});

test("a host grant shows that host's figures and VMs only", async () => {
  const user = { role: "viewer" as const, grants: [{ kind: "host" as const, value: "b" }] };
  assert.deepEqual(shape(await ticksVisibleTo(user, TICKS, noTags)), [
    [null, []],
    ["b", ["web-2"]],
  ]);
});

test("a tag grant reads each VM's tags; a VM whose tags cannot be read is left out", async () => {
  const user = { role: "viewer" as const, grants: [{ kind: "tag" as const, value: "prod" }] };
  const tags = (v: VmSample) =>
    v.name === "db-1" ? Promise.resolve(["prod"]) : v.name === "web-2" ? Promise.reject(new Error("libvirt down")) : Promise.resolve(["dev"]);
  assert.deepEqual(shape(await ticksVisibleTo(user, TICKS, tags)), [
    [null, ["db-1"]],
    [null, []],
  ]);
});
