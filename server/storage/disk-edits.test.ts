import { test } from "node:test";
import assert from "node:assert/strict";
import { applyBootOrder, mediaChangeXml, parseBootOrder, parseDiskDevices } from "./disk-edits";
import { buildDiskDeviceXml } from "./xml";

const CONTEXT = 'VM "web-1" on host "local"';

const DOMAIN = `<domain type='kvm'>
  <name>web-1</name>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <boot dev='cdrom'/>
    <boot dev='hd'/>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/web-1.qcow2' index='2'/>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
      <alias name='virtio-disk0'/>
      <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='raw'/>
      <source pool='data' volume='web-1-data'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/iso/debian &amp; more.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:aa:bb:cc'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <hostdev mode='subsystem' type='usb'>
      <source><vendor id='0x1234'/><product id='0x5678'/></source>
      <boot order='1'/>
    </hostdev>
  </devices>
</domain>`;

test("parseDiskDevices reads each drive's target, bus, kind, format, source and read-only flag", () => {
  assert.deepEqual(parseDiskDevices(DOMAIN), [
    {
      target: "vda",
      bus: "virtio",
      device: "disk",
      type: "file",
      format: "qcow2",
      path: "/var/lib/libvirt/images/web-1.qcow2",
      poolVolume: null,
      readonly: false,
      bootOrder: null,
    },
    {
      target: "vdb",
      bus: "virtio",
      device: "disk",
      type: "volume",
      format: "raw",
      path: null,
      poolVolume: { pool: "data", volume: "web-1-data" },
      readonly: false,
      bootOrder: null,
    },
    {
      target: "sda",
      bus: "sata",
      device: "cdrom",
      type: "file",
      format: "raw",
      path: "/srv/iso/debian & more.iso",
      poolVolume: null,
      readonly: true,
      bootOrder: null,
    },
  ]);
});

test("an <os><boot dev> list is read as the first device of each kind it names", () => {
  assert.deepEqual(parseBootOrder(DOMAIN), {
    style: "os",
    order: [
      { kind: "disk", target: "sda" },
      { kind: "disk", target: "vda" },
    ],
  });
});

test("applyBootOrder writes per-device boot elements, drops <os><boot dev>, and numbers pass-through devices after ours", () => {
  const xml = applyBootOrder(
    DOMAIN,
    [
      { kind: "disk", target: "vdb" },
      { kind: "nic", mac: "52:54:00:AA:BB:CC" },
      { kind: "disk", target: "sda" },
    ],
    CONTEXT,
  );
  assert.doesNotMatch(xml, /<boot dev=/, "libvirt refuses <os><boot dev> beside per-device boot elements");
  assert.deepEqual(parseBootOrder(xml), {
    style: "devices",
    order: [
      { kind: "disk", target: "vdb" },
      { kind: "nic", mac: "52:54:00:aa:bb:cc" },
      { kind: "disk", target: "sda" },
    ],
  });
  assert.equal(parseDiskDevices(xml).find((d) => d.target === "vda")?.bootOrder, null, "an unlisted disk boots never");
  assert.match(xml, /<hostdev[\s\S]*<boot order="4"\/>[\s\S]*<\/hostdev>/, "the USB device keeps booting, after the listed ones");
  // What the editor does not mean to change survives: addresses, aliases, escaped paths.
  assert.match(xml, /<alias name="virtio-disk0"\/>/);
  assert.match(xml, /debian &amp; more\.iso/);
  assert.match(xml, /<type arch="x86_64" machine="pc-q35-7.2">hvm<\/type>/);
});

test("applyBootOrder replaces an earlier per-device order instead of adding a second boot element", () => {
  const once = applyBootOrder(DOMAIN, [{ kind: "disk", target: "vda" }], CONTEXT);
  const twice = applyBootOrder(
    once,
    [
      { kind: "disk", target: "sda" },
      { kind: "disk", target: "vda" },
    ],
    CONTEXT,
  );
  assert.equal((twice.match(/<boot order=/g) ?? []).length, 3, "sda, vda and the USB device");
  assert.deepEqual(parseBootOrder(twice).order, [
    { kind: "disk", target: "sda" },
    { kind: "disk", target: "vda" },
  ]);
});

test("applyBootOrder refuses an empty order, a device listed twice, and a device the VM lacks, naming it", () => {
  assert.throws(() => applyBootOrder(DOMAIN, [], CONTEXT), /at least one device/);
  assert.throws(
    () =>
      applyBootOrder(
        DOMAIN,
        [
          { kind: "disk", target: "vda" },
          { kind: "disk", target: "vda" },
        ],
        CONTEXT,
      ),
    /VM "web-1" on host "local": disk vda is listed twice/,
  );
  assert.throws(() => applyBootOrder(DOMAIN, [{ kind: "nic", mac: "52:54:00:00:00:01" }], CONTEXT), /has no network interface 52:54:00:00:00:01/);
});

test("mediaChangeXml puts a file into the CD-ROM drive, keeping its target, bus and address", () => {
  const xml = mediaChangeXml(DOMAIN, "sda", { path: "/var/lib/libvirt/images/alpine.iso", type: "file", format: "raw" }, CONTEXT);
  const [drive] = parseDiskDevices(`<domain><devices>${xml}</devices></domain>`);
  assert.equal(drive?.path, "/var/lib/libvirt/images/alpine.iso");
  assert.equal(drive?.device, "cdrom");
  assert.equal(drive?.bus, "sata");
  assert.equal(drive?.readonly, true);
  assert.match(xml, /<address type="drive" controller="0" bus="0" target="0" unit="0"\/>/);
  assert.equal((xml.match(/<source /g) ?? []).length, 1, "the old source is replaced, not kept beside the new one");
});

test("mediaChangeXml with no media ejects: the drive has no source", () => {
  const xml = mediaChangeXml(DOMAIN, "sda", null, CONTEXT);
  assert.doesNotMatch(xml, /<source/);
  assert.match(xml, /<disk type="file" device="cdrom">/);
  assert.match(xml, /<target dev="sda" bus="sata"\/>/);
});

test("mediaChangeXml refuses a hard disk and a drive the VM lacks", () => {
  assert.throws(() => mediaChangeXml(DOMAIN, "vda", null, CONTEXT), /vda is a disk, not a CD-ROM drive/);
  assert.throws(() => mediaChangeXml(DOMAIN, "sdz", null, CONTEXT), /has no drive sdz/);
});

test("the attached disk's XML escapes its path and names its target and bus", () => {
  const xml = buildDiskDeviceXml({ path: "/pool/a'b<c>.qcow2", type: "file", format: "qcow2", target: "vdc", bus: "virtio" });
  assert.deepEqual(parseDiskDevices(`<domain><devices>${xml}</devices></domain>`), [
    {
      target: "vdc",
      bus: "virtio",
      device: "disk",
      type: "file",
      format: "qcow2",
      path: "/pool/a'b<c>.qcow2",
      poolVolume: null,
      readonly: false,
      bootOrder: null,
    },
  ]);
});
