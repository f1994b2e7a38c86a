import { test } from "node:test";
import assert from "node:assert/strict";
import { withoutVm, withTickUsage, withVmGuest, withVmState } from "./vm-lists";

const lists = [
  {
    hostId: "local",
    error: null,
    vms: [
      { hostId: "local", uuid: "a", name: "web-1", state: "running" as const },
      { hostId: "local", uuid: "b", name: "db-1", state: "running" as const },
    ],
  },
  { hostId: "lab", error: null, vms: [{ hostId: "lab", uuid: "a", name: "same-uuid-other-host", state: "running" as const }] },
];

test("a power action's answer changes that one VM on its own host, nothing else", () => {
  const after = withVmState(lists, { hostId: "local", uuid: "a" }, "shutoff");
  assert.deepEqual(
    after.flatMap((h) => h.vms.map((vm) => `${h.hostId}/${vm.name}:${vm.state}`)),
    ["local/web-1:shutoff", "local/db-1:running", "lab/same-uuid-other-host:running"],
  );
  assert.equal(lists[0]!.vms[0]!.state, "running", "the cached object is not changed in place");
  assert.equal(after[1], lists[1], "other hosts keep their identity, so React redraws nothing there");
});

test("a deleted VM leaves its host's list", () => {
  const after = withoutVm(lists, { hostId: "local", uuid: "a" });
  assert.deepEqual(
    after.map((h) => h.vms.map((vm) => vm.name)),
    [["db-1"], ["same-uuid-other-host"]],
  );
});

test("a VM the lists do not hold changes nothing", () => {
  assert.deepEqual(withVmState(lists, { hostId: "nowhere", uuid: "a" }, "paused"), lists);
});

test("a guest agent that connects changes that one VM's agent state, nothing else", () => {
  const guest = { agent: false, qga: false };
  const withAgents = lists.map((h) => ({ ...h, vms: h.vms.map((vm) => ({ ...vm, guest })) }));
  const after = withVmGuest(withAgents, { hostId: "local", uuid: "b" }, { agent: true, qga: false });
  assert.deepEqual(
    after.flatMap((h) => h.vms.map((vm) => `${vm.name}:${vm.guest.agent}`)),
    ["web-1:false", "db-1:true", "same-uuid-other-host:false"],
  );
});

test("a collector tick sets the usage of its host's running VMs and leaves every other row object as it was", () => {
  const none = { cpuPercent: null, memoryUsedKiB: null, diskReadBps: null, diskWriteBps: null, netRxBps: null, netTxBps: null };
  const withUsage = lists.map((h) => ({ ...h, vms: h.vms.map((vm) => ({ ...vm, usage: none })) }));
  const live = { uuid: "a", name: "web-1", cpu: 12.5, memoryUsed: 2048, memoryTotal: 4096, diskRead: 1, diskWrite: 2, netRx: 3, netTx: 4 };
  const tick = { hostId: "local", at: 1, reachable: true, host: { cpu: 1, memoryUsed: 1, memoryTotal: 2 }, vms: [live] };
  const after = withTickUsage(withUsage, tick);
  assert.deepEqual(after[0]!.vms[0]!.usage, { cpuPercent: 12.5, memoryUsedKiB: 2, diskReadBps: 1, diskWriteBps: 2, netRxBps: 3, netTxBps: 4 });
  assert.equal(after[0]!.vms[1], withUsage[0]!.vms[1], "a VM the tick does not name keeps its row");
  assert.equal(after[1], withUsage[1], "the same uuid on another host is another VM");
  assert.equal(withTickUsage(withUsage, { ...tick, reachable: false }), withUsage, "an unreachable host's tick changes nothing");
});
