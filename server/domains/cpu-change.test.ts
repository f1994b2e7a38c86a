import { test } from "node:test";
import assert from "node:assert/strict";
import { withCpu } from "./cpu-change";
import { parseDomainXml } from "./xml";

const XML = `<domain type='qemu'>
  <name>web-1</name>
  <memory unit='KiB'>262144</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <cpu mode='custom' match='exact' check='partial'>
    <model fallback='forbid'>qemu64</model>
    <feature policy='require' name='x2apic'/>
    <topology sockets='1' dies='1' cores='2' threads='1'/>
  </cpu>
  <devices><disk type='file' device='disk'><source file='/var/lib/libvirt/images/a&amp;b.qcow2'/><target dev='vda' bus='virtio'/></disk></devices>
</domain>`;

test("a named model replaces the old one in place, keeps the vCPU topology and drops the old model's features", () => {
  const xml = withCpu(XML, { mode: "custom", model: "Nehalem" });
  assert.deepEqual(parseDomainXml(xml).cpu, { mode: "custom", model: "Nehalem" });
  assert.match(xml, /<model fallback="forbid">Nehalem<\/model>/);
  assert.match(xml, /<topology sockets="1" dies="1" cores="2" threads="1"/);
  assert.doesNotMatch(xml, /x2apic/);
  assert.ok(xml.indexOf("<cpu") > xml.indexOf("<os>") && xml.indexOf("<cpu") < xml.indexOf("<devices>"), "the <cpu> stays where it was");
  assert.match(xml, /a&amp;b\.qcow2/, "everything else round-trips, escaped");
});

test("host-passthrough has no model; a definition without <cpu> gets one after <vcpu>", () => {
  const passthrough = withCpu(XML, { mode: "host-passthrough" });
  assert.deepEqual(parseDomainXml(passthrough).cpu, { mode: "host-passthrough", model: null });
  const bare = XML.replace(/<cpu[\s\S]*<\/cpu>/, "");
  const added = withCpu(bare, { mode: "host-model" });
  assert.equal(parseDomainXml(added).cpu.mode, "host-model");
  assert.ok(added.indexOf("<cpu") > added.indexOf("<vcpu"));
});

test("a model name is text in the document, never markup", () => {
  const xml = withCpu(XML, { mode: "custom", model: "x</model><evil/>" });
  assert.equal(parseDomainXml(xml).cpu.model, "x</model><evil/>");
  assert.doesNotMatch(xml, /<evil\/>/);
});
