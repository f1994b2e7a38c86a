import { test } from "node:test";
import assert from "node:assert/strict";
import { checkResources, describeChanges, planResourceSteps, type Resources } from "./resources";

const GiB = 1024 * 1024;
const one: Resources = { vcpus: 1, maxVcpus: 1, memoryKiB: GiB, maxMemoryKiB: GiB };

test("a shut-off VM's growth raises each maximum before the current value, and nothing is done live", () => {
  const steps = planResourceSteps(one, null, { vcpus: 2, maxVcpus: 4, memoryKiB: 2 * GiB, maxMemoryKiB: 4 * GiB });
  assert.deepEqual(steps, [
    { what: "maxVcpus", scope: "config" },
    { what: "vcpus", scope: "config" },
    { what: "maxMemoryKiB", scope: "config" },
    { what: "memoryKiB", scope: "config" },
  ]);
});

test("shrinking lowers the current value before the maximum, so current never exceeds maximum in between", () => {
  const big: Resources = { vcpus: 4, maxVcpus: 4, memoryKiB: 4 * GiB, maxMemoryKiB: 4 * GiB };
  const steps = planResourceSteps(big, null, { vcpus: 1, maxVcpus: 2, memoryKiB: GiB, maxMemoryKiB: 2 * GiB });
  assert.deepEqual(
    steps.map((s) => s.what),
    ["vcpus", "maxVcpus", "memoryKiB", "maxMemoryKiB"],
  );
});

test("a running VM changes current figures live only within the maximums it was started with", () => {
  const live: Resources = { vcpus: 1, maxVcpus: 2, memoryKiB: GiB, maxMemoryKiB: 2 * GiB };
  const withinMax = planResourceSteps(live, live, { vcpus: 2, maxVcpus: 2, memoryKiB: 2 * GiB, maxMemoryKiB: 2 * GiB });
  assert.deepEqual(
    withinMax.filter((s) => s.scope === "live").map((s) => s.what),
    ["vcpus", "memoryKiB"],
  );
  const beyondMax = planResourceSteps(live, live, { vcpus: 4, maxVcpus: 4, memoryKiB: 2 * GiB, maxMemoryKiB: 2 * GiB });
  assert.deepEqual(
    beyondMax.filter((s) => s.scope === "live").map((s) => s.what),
    ["memoryKiB"],
    "4 vCPUs do not fit the running maximum of 2",
  );
});

test("the answer says per figure whether it applied now, and why not when libvirt refused it live", () => {
  const live: Resources = { vcpus: 1, maxVcpus: 2, memoryKiB: GiB, maxMemoryKiB: 2 * GiB };
  const wanted: Resources = { vcpus: 2, maxVcpus: 4, memoryKiB: 2 * GiB, maxMemoryKiB: 2 * GiB };
  const changes = describeChanges(live, live, wanted, new Set(["vcpus"]), new Map([["memoryKiB", "balloon driver not loaded"]]));
  assert.deepEqual(changes, [
    { what: "vcpus", from: 1, to: 2, applies: "nowAndNextBoot" },
    { what: "maxVcpus", from: 2, to: 4, applies: "nextBoot" },
    { what: "memoryKiB", from: GiB, to: 2 * GiB, applies: "nextBoot", notLive: "balloon driver not loaded" },
  ]);
});

test("more in use than the maximum is refused before anything is changed, naming the VM", () => {
  assert.throws(() => checkResources('VM "web-1" on host "local"', { ...one, vcpus: 2 }), /VM "web-1" on host "local": 2 vCPUs is more than the maximum of 1/);
  assert.throws(() => checkResources('VM "web-1"', { ...one, memoryKiB: 2 * GiB }), /memory in use cannot be more than the maximum/);
});
