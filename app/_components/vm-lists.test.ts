import { test } from "node:test";
import assert from "node:assert/strict";
import { withoutVm, withVmGuest, withVmState } from "./vm-lists";

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
