import { test } from "node:test";
import assert from "node:assert/strict";
import { definitionWithTotal, planDimm, planMemoryHotplug } from "./memory-hotplug";
import { memoryLayoutOf, type MemoryLayout } from "./memory-xml";
import { parseDomainXml } from "./xml";
import { planResourceSteps, type Resources, type ResourceState } from "./resources";

const MiB = 1024;
const GiB = 1024 * MiB;
const CONTEXT = 'VM "web-1" on host "b"';

const running: Resources = { vcpus: 1, maxVcpus: 2, memoryKiB: 512 * MiB, maxMemoryKiB: 512 * MiB };
const hotplug: MemoryLayout = { hotplug: { slots: 16, ceilingKiB: 2 * GiB }, numaCells: 1, bootKiB: 512 * MiB, dimms: [] };
const ask = (memoryMiB: number, maxMemoryMiB = memoryMiB): Resources => ({ ...running, memoryKiB: memoryMiB * MiB, maxMemoryKiB: maxMemoryMiB * MiB });

test("more memory than a running hot-plug VM has is one module of the difference, whole 128 MiB blocks, current and maximum raised to it", () => {
  assert.deepEqual(planDimm(CONTEXT, running, hotplug, ask(640)), { sizeKiB: 128 * MiB, wanted: ask(640) });
  assert.deepEqual(planDimm(CONTEXT, running, hotplug, ask(600)), { sizeKiB: 128 * MiB, wanted: ask(640) }, "600 MiB rounds up to 640");
  assert.deepEqual(planDimm(CONTEXT, running, hotplug, ask(1024, 2048)), { sizeKiB: 512 * MiB, wanted: ask(1024, 2048) }, "a larger next-boot maximum stays");
});

test("no module when the balloon covers the change, the VM is shut off, or it started without hot-plug", () => {
  assert.equal(planDimm(CONTEXT, running, hotplug, ask(256, 512)), null, "less memory is the balloon's");
  assert.equal(planDimm(CONTEXT, running, hotplug, ask(512)), null);
  assert.equal(planDimm(CONTEXT, null, null, ask(1024)), null);
  assert.equal(planDimm(CONTEXT, running, { ...hotplug, hotplug: null }, ask(1024)), null);
  assert.equal(planDimm(CONTEXT, running, { ...hotplug, numaCells: 0 }, ask(1024)), null, "QEMU needs a NUMA node to put the module in");
});

test("beyond the ceiling, or with every slot taken, the change is refused in words naming the VM and host", () => {
  assert.throws(
    () => planDimm(CONTEXT, running, hotplug, ask(4096)),
    (err: Error & { field?: string }) =>
      err.message ===
        `${CONTEXT}: 4096 MiB is more than the 2048 MiB it can grow to while running (its memory hot-plug ceiling); give it at most 2048 MiB now, or more from its next boot after it is shut down` &&
      err.field === "memoryMiB",
  );
  const full = {
    ...hotplug,
    hotplug: { slots: 2, ceilingKiB: 2 * GiB },
    dimms: [
      { sizeKiB: 128 * MiB, slot: 0 },
      { sizeKiB: 128 * MiB, slot: 1 },
    ],
  };
  assert.throws(() => planDimm(CONTEXT, running, full, ask(1024)), {
    message: `${CONTEXT}: all 2 memory slots are in use; more memory applies after it is shut down`,
  });
});

const WITH_DIMM = `<domain type='qemu'>
  <name>web-1</name>
  <maxMemory slots='16' unit='KiB'>2097152</maxMemory>
  <memory unit='KiB'>655360</memory>
  <currentMemory unit='KiB'>655360</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <cpu><numa><cell id='0' cpus='0-1' memory='524288' unit='KiB'/></numa></cpu>
  <devices><memory model='dimm'><target><size unit='KiB'>131072</size><node>0</node></target><address type='dimm' slot='0'/></memory></devices>
</domain>`;

test("a running VM's size at next boot moves its boot memory around the modules, which stay", () => {
  const xml = definitionWithTotal(CONTEXT, WITH_DIMM, GiB, true);
  assert.deepEqual(memoryLayoutOf(xml).bootKiB, 896 * MiB);
  assert.equal(memoryLayoutOf(xml).dimms.length, 1);
  assert.equal(parseDomainXml(xml).memoryKiB, GiB);
  const smaller = definitionWithTotal(CONTEXT, WITH_DIMM, 256 * MiB, true);
  assert.deepEqual([memoryLayoutOf(smaller).bootKiB, parseDomainXml(smaller).currentMemoryKiB], [128 * MiB, 256 * MiB]);
});

test("a running VM cannot shrink below its modules at next boot: refused, saying why modules are not unplugged and what to do instead", () => {
  assert.throws(
    () => definitionWithTotal(CONTEXT, WITH_DIMM, 128 * MiB, true),
    (err: Error & { field?: string }) =>
      err.message ===
        `${CONTEXT}: 128 MiB of hot-plugged memory (1 module) stays plugged in while it runs (a guest cannot reliably give hot-plugged memory back), so it cannot go below 192 MiB at next boot; lower the memory in use instead (the balloon takes it back now), or shut it down to make it smaller` &&
      err.field === "maxMemoryMiB",
  );
});

test("a shut-off VM's modules become boot memory, so any size fits", () => {
  const xml = definitionWithTotal(CONTEXT, WITH_DIMM, 128 * MiB, false);
  assert.deepEqual(memoryLayoutOf(xml), { hotplug: { slots: 16, ceilingKiB: 2 * GiB }, numaCells: 1, bootKiB: 128 * MiB, dimms: [] });
  assert.equal(parseDomainXml(xml).memoryKiB, 128 * MiB);
});

const stateOf = (live: MemoryLayout | null, config: MemoryLayout = hotplug): ResourceState => ({
  running: live !== null,
  config: running,
  configLayout: config,
  live: live ? running : null,
  liveLayout: live,
});

test("planning: a module first, then nothing left for the saved definition when it took the module too", () => {
  const plan = planMemoryHotplug(CONTEXT, stateOf(hotplug), ask(640));
  assert.deepEqual(plan, { dimm: { sizeKiB: 128 * MiB, wanted: ask(640) }, wanted: ask(640), pending: null });
  // libvirt's attach (LIVE|CONFIG) raised both documents to 640 MiB, current and maximum.
  const after = { ...running, memoryKiB: 640 * MiB, maxMemoryKiB: 640 * MiB };
  assert.deepEqual(planResourceSteps(after, after, plan.wanted), []);
});

test("planning: a module and a larger size at next boot leave the boot memory to grow around the module", () => {
  const plan = planMemoryHotplug(CONTEXT, stateOf(hotplug), ask(640, 1024));
  assert.equal(plan.dimm?.sizeKiB, 128 * MiB);
  const after = { ...running, memoryKiB: 640 * MiB, maxMemoryKiB: 640 * MiB };
  assert.deepEqual(planResourceSteps(after, after, plan.wanted), [{ what: "maxMemoryKiB", scope: "config" }]);
});

test("planning: less memory is the balloon's now and the boot memory's at next boot; below the modules it is refused before anything changes", () => {
  const plugged = { ...hotplug, dimms: [{ sizeKiB: 256 * MiB, slot: 0 }] };
  const big = { ...running, memoryKiB: 768 * MiB, maxMemoryKiB: 768 * MiB };
  const state = { ...stateOf(plugged, plugged), config: big, live: big };
  const plan = planMemoryHotplug(CONTEXT, state, ask(512));
  assert.deepEqual([plan.dimm, plan.pending], [null, null]);
  assert.deepEqual(planResourceSteps(big, big, plan.wanted), [
    { what: "memoryKiB", scope: "config" },
    { what: "maxMemoryKiB", scope: "config" },
    { what: "memoryKiB", scope: "live" },
  ]);
  assert.throws(() => planMemoryHotplug(CONTEXT, state, ask(256)), /256 MiB of hot-plugged memory \(1 module\) stays plugged in while it runs/);
});

test("planning: hot-plug turned on after the VM started saves more memory for next boot and says why not now", () => {
  const startedWithout: MemoryLayout = { hotplug: null, numaCells: 0, bootKiB: 512 * MiB, dimms: [] };
  const plan = planMemoryHotplug(CONTEXT, stateOf(startedWithout, hotplug), ask(1024));
  assert.equal(plan.dimm, null);
  assert.match(plan.pending ?? "", /turned on after the VM started/);
  assert.equal(planMemoryHotplug(CONTEXT, stateOf(startedWithout, startedWithout), ask(1024)).pending, null, "with hot-plug off, as before: next boot");
});

test("a NUMA layout of several cells (the user's own) is not resized here: refused in words naming the VM and host", () => {
  assert.throws(() => planMemoryHotplug(CONTEXT, stateOf(hotplug, { ...hotplug, numaCells: 2 }), ask(512, 1024)), {
    message: `${CONTEXT}: its NUMA layout has 2 nodes; change its memory in its XML`,
  });
});
