import { test } from "node:test";
import assert from "node:assert/strict";
import { AGENT_CHANNEL, buildDomainXml, parseDomainXml, QGA_CHANNEL, type DomainBuildSpec } from "./xml";

const base: DomainBuildSpec = {
  name: "web-1",
  domainType: "qemu",
  vcpus: 2,
  memoryMiB: 1024,
  firmware: "bios",
  secureBoot: false,
  disks: [{ path: "/var/lib/libvirt/images/web-1.qcow2", format: "qcow2", bus: "virtio", device: "disk" }],
  nics: [{ kind: "network", network: "default", model: "virtio" }],
  graphics: "vnc",
  tpm: false,
  tags: ["prod", "web"],
};

test("a built domain parses back to the same facts, with both agent channels", () => {
  const details = parseDomainXml(buildDomainXml(base));
  assert.equal(details.name, "web-1");
  assert.equal(details.vcpus, 2);
  assert.equal(details.memoryKiB, 1024 * 1024);
  assert.equal(details.domainType, "qemu");
  assert.deepEqual(details.tags, ["prod", "web"]);
  assert.deepEqual(
    details.channels.map((c) => c.name),
    [AGENT_CHANNEL, QGA_CHANNEL],
  );
  assert.equal(details.disks[0]?.target, "vda");
  assert.equal(details.disks[0]?.source, "/var/lib/libvirt/images/web-1.qcow2");
  assert.equal(details.nics[0]?.source, "default");
  assert.equal(details.graphics[0]?.type, "vnc");
});

test("user text cannot inject markup: hostile descriptions, titles and paths stay text", () => {
  const hostile = `</description><devices><hostdev mode='subsystem'/></devices><description>`;
  const xml = buildDomainXml({
    ...base,
    title: `a "quoted" & <b>bold</b> 'title'`,
    description: hostile,
    disks: [{ path: `/tmp/x'/><disk file='/etc/shadow`, format: "raw", bus: "sata", device: "disk" }],
    tags: ["<tag>&"],
  });
  assert.ok(!xml.includes("<hostdev"), xml);
  assert.ok(!xml.includes("<b>"), xml);
  const details = parseDomainXml(xml);
  assert.equal(details.description, hostile);
  assert.equal(details.title, `a "quoted" & <b>bold</b> 'title'`);
  assert.equal(details.disks.length, 1);
  assert.equal(details.disks[0]?.source, `/tmp/x'/><disk file='/etc/shadow`);
  assert.deepEqual(details.tags, ["<tag>&"]);
});

test("UEFI with secure boot asks libvirt for a secure-boot firmware and turns SMM on", () => {
  const xml = buildDomainXml({ ...base, firmware: "uefi", secureBoot: true, tpm: true });
  assert.match(xml, /<os firmware="efi">/);
  assert.match(xml, /<feature enabled="yes" name="secure-boot"\/>/);
  assert.match(xml, /<smm state="on"\/>/);
  assert.match(xml, /<tpm model="tpm-crb">/);
  assert.equal(parseDomainXml(xml).firmware, "uefi");
});

test("disk targets are numbered per bus and a CD-ROM is read-only and booted first", () => {
  const xml = buildDomainXml({
    ...base,
    disks: [
      { path: "/a.qcow2", format: "qcow2", bus: "virtio", device: "disk" },
      { path: "/b.raw", format: "raw", bus: "virtio", device: "disk" },
      { path: "/debian.iso", format: "raw", bus: "sata", device: "cdrom" },
    ],
  });
  const d = parseDomainXml(xml);
  assert.deepEqual(
    d.disks.map((x) => x.target),
    ["vda", "vdb", "sda"],
  );
  assert.equal(d.disks[2]?.readonly, true);
  assert.match(xml, /<boot dev="cdrom"\/>\s*<boot dev="hd"\/>/);
});

test("direct kernel boot writes kernel, initrd and command line instead of a boot order", () => {
  const xml = buildDomainXml({ ...base, disks: [], kernelBoot: { kernel: "/k", initrd: "/i", cmdline: "console=ttyS0 a=b&c" } });
  assert.match(xml, /<kernel>\/k<\/kernel>/);
  assert.match(xml, /<cmdline>console=ttyS0 a=b&amp;c<\/cmdline>/);
  assert.ok(!xml.includes("<boot "));
  assert.deepEqual(parseDomainXml(xml).directKernel, { kernel: "/k", initrd: "/i" });
  assert.equal(parseDomainXml(buildDomainXml(base)).directKernel, null);
});

test("malformed XML is refused with a clear message", () => {
  assert.throws(() => parseDomainXml("<domain><name>x</domain>"), /malformed XML/);
});

test("memory in other units is converted to KiB", () => {
  const d = parseDomainXml(
    "<domain type='kvm'><name>m</name><memory unit='GiB'>2</memory><currentMemory unit='KiB'>1024</currentMemory><vcpu>1</vcpu></domain>",
  );
  assert.equal(d.memoryKiB, 2 * 1024 * 1024);
  assert.equal(d.currentMemoryKiB, 1024);
});

test("the CPU choice lands in the XML: the host's CPU, a copy of its model, or a named model asked for exactly", () => {
  assert.deepEqual(parseDomainXml(buildDomainXml({ ...base, domainType: "kvm", cpu: { mode: "host-passthrough" } })).cpu, {
    mode: "host-passthrough",
    model: null,
  });
  assert.deepEqual(parseDomainXml(buildDomainXml({ ...base, cpu: { mode: "host-model" } })).cpu, { mode: "host-model", model: null });
  const named = buildDomainXml({ ...base, cpu: { mode: "custom", model: "Westmere" } });
  assert.match(named, /<cpu mode="custom" match="exact">\s*<model fallback="forbid">Westmere<\/model>/);
  assert.deepEqual(parseDomainXml(buildDomainXml(base)).cpu, { mode: "custom", model: "qemu64" }, "emulation without a choice gets qemu64");
});
