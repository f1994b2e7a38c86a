import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDomainXml } from "../domains/xml";
import { deployDomainXml, templateDomainXml } from "./xml";

const SOURCE = `<domain type="qemu">
  <name>src</name>
  <uuid>0b7c8e61-3f0b-4a57-9a43-6a0d6d1f2a11</uuid>
  <memory unit="KiB">131072</memory>
  <vcpu placement="static">2</vcpu>
  <os>
    <type arch="x86_64" machine="pc-q35-7.2">hvm</type>
    <kernel>/boot/vmlinuz</kernel>
    <initrd>/boot/initrd.img</initrd>
    <cmdline>console=ttyS0 root=/dev/vda</cmdline>
  </os>
  <devices>
    <disk type="volume" device="disk">
      <driver name="qemu" type="qcow2" cache="none"/>
      <source pool="vms" volume="src-root.qcow2"/>
      <backingStore type="file"><format type="qcow2"/><source file="/old/base.qcow2"/></backingStore>
      <target dev="vda" bus="virtio"/>
    </disk>
    <disk type="file" device="cdrom">
      <driver name="qemu" type="raw"/>
      <source file="/pool/src-cidata.iso"/>
      <target dev="sda" bus="sata"/>
      <readonly/>
    </disk>
    <disk type="file" device="cdrom">
      <driver name="qemu" type="raw"/>
      <source file="/isos/tools.iso"/>
      <target dev="sdb" bus="sata"/>
      <readonly/>
    </disk>
    <interface type="network"><mac address="52:54:00:aa:bb:cc"/><source network="default"/></interface>
    <graphics type="vnc" port="5901" autoport="no"/>
  </devices>
</domain>`;

const TEMPLATE_DISK = { target: "vda", path: "/templates/base-vda.qcow2", format: "qcow2", type: "file" } as const;

test("a template's definition: disks on the copies, the old seed gone, identity dropped, direct kernel boot kept", () => {
  const xml = templateDomainXml(SOURCE, "base", [TEMPLATE_DISK]);
  const d = parseDomainXml(xml);
  assert.equal(d.name, "base");
  assert.equal(d.uuid, "");
  assert.deepEqual(d.directKernel, { kernel: "/boot/vmlinuz", initrd: "/boot/initrd.img" });
  assert.match(xml, /<cmdline>console=ttyS0 root=\/dev\/vda<\/cmdline>/);
  assert.deepEqual(
    d.disks.map((x) => [x.target, x.type, x.format, x.source]),
    [
      ["vda", "file", "qcow2", "/templates/base-vda.qcow2"],
      ["sdb", "file", "raw", "/isos/tools.iso"],
    ],
  );
  assert.doesNotMatch(xml, /backingStore|src-root|cidata|52:54:00:aa:bb:cc/);
  assert.match(xml, /cache="none"/, "the disk's other driver settings stay");
  assert.equal(d.graphics[0]?.port, null);
});

test("a deployed VM's definition: its name, its volumes, and the seed as a read-only SATA CD-ROM on a free target", () => {
  const template = templateDomainXml(SOURCE, "base", [TEMPLATE_DISK]);
  const xml = deployDomainXml(template, "web-1", [{ target: "vda", path: "/vms/web-1-vda.qcow2", format: "qcow2", type: "file" }], {
    path: "/vms/web-1-cidata.iso",
    type: "file",
  });
  const d = parseDomainXml(xml);
  assert.equal(d.name, "web-1");
  assert.equal(d.uuid, "");
  assert.ok(d.directKernel);
  assert.deepEqual(
    d.disks.map((x) => [x.device, x.target, x.bus, x.source, x.readonly]),
    [
      ["disk", "vda", "virtio", "/vms/web-1-vda.qcow2", false],
      ["cdrom", "sdb", "sata", "/isos/tools.iso", true],
      ["cdrom", "sda", "sata", "/vms/web-1-cidata.iso", true],
    ],
  );
  assert.equal(d.nics[0]?.mac, null);
});

test("a deploy without cloud-init adds no CD-ROM; a template disk missing from the definition is an error", () => {
  const template = templateDomainXml(SOURCE, "base", [TEMPLATE_DISK]);
  const d = parseDomainXml(deployDomainXml(template, "plain", [{ ...TEMPLATE_DISK, path: "/vms/plain-vda.qcow2" }]));
  assert.equal(d.disks.filter((x) => x.device === "cdrom").length, 1);
  assert.throws(() => deployDomainXml(template, "x", [{ ...TEMPLATE_DISK, target: "vdz" }]), /no disk vdz/);
});

test("paths and names with XML specials are escaped, not interpreted", () => {
  const template = templateDomainXml(SOURCE, "base", [TEMPLATE_DISK]);
  const xml = deployDomainXml(template, "web-1", [{ ...TEMPLATE_DISK, path: `/vms/a"b<c>&d.qcow2` }], { path: "/vms/x'&<y>-cidata.iso", type: "file" });
  const d = parseDomainXml(xml);
  assert.equal(d.disks[0]?.source, `/vms/a"b<c>&d.qcow2`);
  assert.equal(d.disks.at(-1)?.source, "/vms/x'&<y>-cidata.iso");
  assert.equal(d.disks.length, 3);
});
