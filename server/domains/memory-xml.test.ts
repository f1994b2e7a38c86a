import { test } from "node:test";
import assert from "node:assert/strict";
import {
  dimmDeviceXml,
  hotplugCeilingKiB,
  HOTPLUG_CEILING_CAP_KIB,
  memoryLayoutOf,
  roundUpToBlock,
  withBootMemory,
  withMemoryHotplug,
  withMaxVcpus,
} from "./memory-xml";
import { parseDomainXml } from "./xml";

const MiB = 1024;
const GiB = 1024 * MiB;

const PLAIN = `<domain type='qemu'>
  <name>web-1</name>
  <memory unit='MiB'>512</memory>
  <currentMemory unit='MiB'>384</currentMemory>
  <vcpu placement='static' current='1'>4</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <devices><disk type='file' device='disk'><source file='/var/lib/libvirt/images/a&amp;b.qcow2'/><target dev='vda' bus='virtio'/></disk></devices>
</domain>`;

/** What libvirt writes back for a VM with hot-plug on and one DIMM attached. */
const PLUGGED = `<domain type='qemu'>
  <name>web-1</name>
  <maxMemory slots='16' unit='KiB'>4194304</maxMemory>
  <memory unit='KiB'>655360</memory>
  <currentMemory unit='KiB'>655360</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <cpu mode='custom' match='exact'>
    <model fallback='forbid'>qemu64</model>
    <numa><cell id='0' cpus='0-1' memory='524288' unit='KiB'/></numa>
  </cpu>
  <devices>
    <memory model='dimm'><target><size unit='KiB'>131072</size><node>0</node></target><alias name='dimm0'/><address type='dimm' slot='0' base='0x100000000'/></memory>
  </devices>
</domain>`;

test("a VM without <maxMemory> has no hot-plug; its boot memory is its <memory>", () => {
  assert.deepEqual(memoryLayoutOf(PLAIN), { hotplug: null, numaCells: 0, bootKiB: 512 * MiB, dimms: [] });
});

test("a hot-plug VM's layout: slots and ceiling, the cell as boot memory, each DIMM with its slot", () => {
  assert.deepEqual(memoryLayoutOf(PLUGGED), {
    hotplug: { slots: 16, ceilingKiB: 4 * GiB },
    numaCells: 1,
    bootKiB: 512 * MiB,
    dimms: [{ sizeKiB: 128 * MiB, slot: 0 }],
  });
});

test("turning hot-plug on adds <maxMemory> before <memory> and one cell with every vCPU and the boot memory; the rest round-trips", () => {
  const xml = withMemoryHotplug(PLAIN, { slots: 16, ceilingKiB: 8 * GiB });
  assert.match(xml, /<maxMemory slots="16" unit="KiB">8388608<\/maxMemory>\s*<memory unit='?"?MiB/);
  assert.match(xml, /<numa>\s*<cell id="0" cpus="0-3" memory="524288" unit="KiB"\/>\s*<\/numa>/);
  assert.deepEqual(memoryLayoutOf(xml), { hotplug: { slots: 16, ceilingKiB: 8 * GiB }, numaCells: 1, bootKiB: 512 * MiB, dimms: [] });
  assert.deepEqual(parseDomainXml(xml).cpu, { mode: "custom", model: "qemu64" }, "the processor is unchanged");
  assert.equal(parseDomainXml(xml).currentMemoryKiB, 384 * MiB);
  assert.match(xml, /a&amp;b\.qcow2/);
});

test("a definition without <cpu> gets one holding only the cell, after <vcpu>; turning hot-plug off removes both again", () => {
  const bare = PLAIN.replace(/<cpu[\s\S]*<\/cpu>/, "");
  const on = withMemoryHotplug(bare, { slots: 16, ceilingKiB: 8 * GiB });
  assert.ok(on.indexOf("<cpu>") > on.indexOf("<vcpu"), "<cpu> follows <vcpu>");
  assert.equal(memoryLayoutOf(on).numaCells, 1);
  const off = withMemoryHotplug(on, null);
  assert.doesNotMatch(off, /<cpu|maxMemory|numa/);
  assert.deepEqual(memoryLayoutOf(off), memoryLayoutOf(bare));
  // libvirt writes the made <cpu> back as mode='custom' with no model: still QEMU's default CPU.
  const rewritten = on.replace("<cpu>", "<cpu mode='custom' match='exact' check='none'>");
  assert.doesNotMatch(withMemoryHotplug(rewritten, null), /<cpu/);
  const passthrough = on.replace("<cpu>", "<cpu mode='host-passthrough'>");
  assert.match(withMemoryHotplug(passthrough, null), /<cpu mode="host-passthrough"/, "an empty <cpu> with a mode of its own stays");
});

test("turning hot-plug off keeps the processor model, and a NUMA layout of several cells (the user's own)", () => {
  const off = withMemoryHotplug(withMemoryHotplug(PLAIN, { slots: 16, ceilingKiB: 8 * GiB }), null);
  assert.doesNotMatch(off, /maxMemory|numa/);
  assert.deepEqual(parseDomainXml(off).cpu, { mode: "custom", model: "qemu64" });
  const twoNodes = PLAIN.replace(
    "</model>",
    "</model><numa><cell id='0' cpus='0-1' memory='256' unit='MiB'/><cell id='1' cpus='2-3' memory='256' unit='MiB'/></numa>",
  );
  const on = withMemoryHotplug(twoNodes, { slots: 8, ceilingKiB: 4 * GiB });
  assert.equal(memoryLayoutOf(on).numaCells, 2, "no third cell is added");
  assert.equal(memoryLayoutOf(on).bootKiB, 512 * MiB);
  assert.equal(memoryLayoutOf(withMemoryHotplug(on, null)).numaCells, 2);
});

test("turning hot-plug on twice replaces the ceiling instead of adding a second <maxMemory>", () => {
  const twice = withMemoryHotplug(withMemoryHotplug(PLAIN, { slots: 16, ceilingKiB: 8 * GiB }), { slots: 16, ceilingKiB: 2 * GiB });
  assert.equal(twice.match(/<maxMemory/g)?.length, 1);
  assert.equal(twice.match(/<cell/g)?.length, 1);
  assert.equal(memoryLayoutOf(twice).hotplug?.ceilingKiB, 2 * GiB);
});

test("new boot memory goes into the cell; the total counts the DIMMs and the balloon target never exceeds it", () => {
  const grown = withBootMemory(PLUGGED, GiB);
  assert.deepEqual(memoryLayoutOf(grown).bootKiB, GiB);
  assert.equal(parseDomainXml(grown).memoryKiB, GiB + 128 * MiB);
  assert.equal(parseDomainXml(grown).currentMemoryKiB, 640 * MiB, "a larger VM keeps its balloon target");
  const shrunk = withBootMemory(PLUGGED, 256 * MiB);
  assert.equal(parseDomainXml(shrunk).memoryKiB, 384 * MiB);
  assert.equal(parseDomainXml(shrunk).currentMemoryKiB, 384 * MiB);
  assert.deepEqual(memoryLayoutOf(shrunk).dimms, [{ sizeKiB: 128 * MiB, slot: 0 }], "the DIMM stays");
});

test("fewer vCPUs at most change <vcpu>, its current count and the cell's list together; several cells are refused in words", () => {
  const one = withMaxVcpus(PLUGGED.replace("<vcpu placement='static'>2</vcpu>", "<vcpu placement='static' current='2'>2</vcpu>"), 1);
  assert.match(one, /cpus="0"/);
  assert.deepEqual([parseDomainXml(one).vcpus, parseDomainXml(one).currentVcpus], [1, 1]);
  assert.throws(() => withBootMemory(PLAIN, GiB), /its NUMA layout has 0 nodes; change its memory in its XML/);
  assert.throws(() => withMaxVcpus(PLAIN, 1), /its NUMA layout has 0 nodes; change its vCPUs in its XML/);
});

test("a DIMM device goes into NUMA node 0 with its size in KiB", () => {
  assert.equal(dimmDeviceXml(256 * MiB).replace(/\s+/g, ""), '<memorymodel="dimm"><target><sizeunit="KiB">262144</size><node>0</node></target></memory>');
});

test("sizes round up to whole 128 MiB blocks", () => {
  assert.equal(roundUpToBlock(1), 128 * MiB);
  assert.equal(roundUpToBlock(128 * MiB), 128 * MiB);
  assert.equal(roundUpToBlock(129 * MiB), 256 * MiB);
});

test("the ceiling is the host's memory in whole blocks, at least a block above the VM, at most what QEMU addresses", () => {
  assert.equal(hotplugCeilingKiB(15_427_360, 512 * MiB), 15_427_360 - (15_427_360 % (128 * MiB)));
  assert.equal(hotplugCeilingKiB(GiB, 2 * GiB), 2 * GiB + 128 * MiB, "an overcommitted VM can still take one module");
  assert.equal(hotplugCeilingKiB(4096 * GiB, GiB), HOTPLUG_CEILING_CAP_KIB);
});
