import { test } from "node:test";
import assert from "node:assert/strict";
import { cloneDomainXml, cloneVolumeName } from "./clone";
import { parseDomainXml } from "./xml";

const source = `<domain type='kvm'>
  <name>web-1</name>
  <uuid>9a1c2b3d-0000-4000-8000-000000000001</uuid>
  <metadata><kvmm:vm xmlns:kvmm="https://kvm-manager.dev/xmlns/vm/1"><kvmm:tags><kvmm:tag>prod</kvmm:tag></kvmm:tags></kvmm:vm></metadata>
  <memory unit='KiB'>1048576</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram>/var/lib/libvirt/qemu/nvram/web-1_VARS.fd</nvram></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/pool/web-1.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <controller type='usb'/>
    <disk type='file' device='cdrom'><source file='/pool/debian.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
    <interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/><model type='virtio'/></interface>
    <channel type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/channel/target/web-1.agent'/><target type='virtio' name='org.kvmmanager.agent.0'/></channel>
    <graphics type='vnc' port='5905' autoport='no' listen='127.0.0.1'/>
    <serial type='file'><source path='/var/log/vms/web-1.serial' append='off'/><target port='0'/><log file='/var/log/vms/web-1.log'/></serial>
  </devices>
</domain>`;

test("a clone gets the new name and disk copies, and drops what must be unique", () => {
  const xml = cloneDomainXml(source, "web-2", new Map([["/pool/web-1.qcow2", "/pool/web-2.qcow2"]]));
  const d = parseDomainXml(xml);
  assert.equal(d.name, "web-2");
  assert.equal(d.uuid, "");
  assert.deepEqual(
    d.disks.map((x) => x.source),
    ["/pool/web-2.qcow2", "/pool/debian.iso"],
  );
  assert.equal(d.nics[0]?.mac, null);
  assert.equal(d.channels[0]?.path, null);
  assert.equal(d.graphics[0]?.port, null);
  assert.deepEqual(d.tags, ["prod"]);
  assert.ok(!xml.includes("<nvram"), "the clone must get its own NVRAM file");
  assert.ok(xml.includes("OVMF_CODE_4M.fd"), "firmware loader is kept");
});

test("device order survives the edit (a controller between disks stays there)", () => {
  const xml = cloneDomainXml(source, "web-2", new Map());
  const order = [...xml.matchAll(/<(disk|controller|interface|channel|graphics)\b/g)].map((m) => m[1]);
  assert.deepEqual(order, ["disk", "controller", "disk", "interface", "channel", "graphics"]);
});

test("a serial port writing to a file becomes a pty in the clone, so the two never write one file", () => {
  const xml = cloneDomainXml(source, "web-2", new Map());
  assert.ok(!xml.includes("/var/log/vms/web-1"), xml);
  assert.match(xml, /<serial type="pty">\s*<target port="0"\/>\s*<\/serial>/);
});

test("copied volumes are named after the clone", () => {
  assert.equal(cloneVolumeName("web-1-disk0.qcow2", "web-1", "web-2"), "web-2-disk0.qcow2");
  assert.equal(cloneVolumeName("system.img", "web-1", "web-2"), "web-2-system.img");
});
