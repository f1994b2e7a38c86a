import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildDiskDeviceXml,
  buildPoolXml,
  diskChains,
  buildVolumeXml,
  bytesOf,
  diskSourcePaths,
  diskPoolVolumes,
  diskTargetOfPath,
  diskTargets,
  findDisk,
  nextFreeTarget,
  parsePoolXml,
  parseVolumeXml,
} from "./xml";
import { parseXml } from "../xml/codec";

const HOSTILE = `x'/><source dir="/etc"/>&amp;<![CDATA[ ]]> <`;

test("a dir pool builds to libvirt's shape and parses back", () => {
  const xml = buildPoolXml({ type: "dir", name: "images", path: "/srv/kvm/images" });
  assert.match(xml, /<pool type="dir">/);
  const info = parsePoolXml(xml);
  assert.equal(info.name, "images");
  assert.equal(info.type, "dir");
  assert.equal(info.targetPath, "/srv/kvm/images");
});

test("a logical pool names its volume group and devices; a netfs pool its export", () => {
  const lvm = parsePoolXml(buildPoolXml({ type: "logical", name: "vg", vgName: "vg_kvm", devices: ["/dev/sdb", "/dev/sdc"] }));
  assert.equal(lvm.targetPath, "/dev/vg_kvm");
  assert.equal(lvm.source.name, "vg_kvm");
  assert.deepEqual(lvm.source.devices, ["/dev/sdb", "/dev/sdc"]);
  assert.equal(lvm.source.format, "lvm2");
  const nfs = parsePoolXml(buildPoolXml({ type: "netfs", name: "iso", host: "nas.lan", sourcePath: "/export/iso", format: "nfs", path: "/srv/iso" }));
  assert.equal(nfs.source.host, "nas.lan");
  assert.equal(nfs.source.dir, "/export/iso");
  assert.equal(nfs.source.format, "nfs");
  assert.equal(nfs.targetPath, "/srv/iso");
});

test("libvirt's own pool XML parses (live output with sizes and permissions)", () => {
  const info = parsePoolXml(`<pool type='dir'>
  <name>default</name>
  <uuid>6c3d1a8e-8d0c-4bb1-9b7e-1e2e9b7c0d11</uuid>
  <capacity unit='bytes'>105089261568</capacity>
  <allocation unit='bytes'>6135001088</allocation>
  <available unit='bytes'>98954260480</available>
  <source>
  </source>
  <target>
    <path>/var/lib/libvirt/images</path>
    <permissions><mode>0711</mode><owner>0</owner><group>0</group></permissions>
  </target>
</pool>`);
  assert.equal(info.uuid, "6c3d1a8e-8d0c-4bb1-9b7e-1e2e9b7c0d11");
  assert.equal(info.targetPath, "/var/lib/libvirt/images");
  assert.deepEqual(info.source.devices, []);
});

test("a volume carries its size in bytes and its format; logical volumes go without one", () => {
  const xml = buildVolumeXml({ name: "disk.qcow2", capacityBytes: 10 * 1024 ** 3, format: "qcow2" });
  assert.match(xml, /<capacity unit="bytes">10737418240<\/capacity>/);
  assert.match(xml, /<format type="qcow2"\/>/);
  assert.doesNotMatch(buildVolumeXml({ name: "lv", capacityBytes: 1024 ** 3 }), /format/);
});

test("a linked clone's volume names its backing image and that image's format, escaped by the codec", () => {
  const xml = buildVolumeXml({ name: "web-1-vda.qcow2", capacityBytes: 1024, format: "qcow2", backingStore: { path: "/pool/a&b<c>.qcow2", format: "raw" } });
  assert.match(xml, /<backingStore>\s*<path>\/pool\/a&amp;b&lt;c&gt;.qcow2<\/path>\s*<format type="raw"\/>\s*<\/backingStore>/);
  assert.equal(parseVolumeXml(xml).backingPath, "/pool/a&b<c>.qcow2");
  assert.doesNotMatch(buildVolumeXml({ name: "x", capacityBytes: 1, format: "qcow2" }), /backingStore/);
});

test("libvirt's volume XML parses, with units and the physical size", () => {
  const info = parseVolumeXml(`<volume type='file'>
  <name>web-1.qcow2</name>
  <key>/var/lib/libvirt/images/web-1.qcow2</key>
  <capacity unit='bytes'>21474836480</capacity>
  <allocation unit='KiB'>200</allocation>
  <physical unit='bytes'>204800</physical>
  <target>
    <path>/var/lib/libvirt/images/web-1.qcow2</path>
    <format type='qcow2'/>
  </target>
  <backingStore><path>/var/lib/libvirt/images/base.qcow2</path><format type='qcow2'/></backingStore>
</volume>`);
  assert.equal(info.name, "web-1.qcow2");
  assert.equal(info.type, "file");
  assert.equal(info.format, "qcow2");
  assert.equal(info.capacityBytes, 21474836480);
  assert.equal(info.allocationBytes, 204800);
  assert.equal(info.physicalBytes, 204800);
  assert.equal(info.path, "/var/lib/libvirt/images/web-1.qcow2");
  assert.equal(info.backingPath, "/var/lib/libvirt/images/base.qcow2");
});

test("sizes: libvirt's units, and an unknown unit fails loudly", () => {
  assert.equal(bytesOf({ "#text": "2", "@_unit": "GiB" }), 2 * 1024 ** 3);
  assert.equal(bytesOf({ "#text": "3", "@_unit": "MB" }), 3_000_000);
  assert.equal(bytesOf("512"), 512);
  assert.equal(bytesOf(undefined), null);
  assert.throws(() => bytesOf({ "#text": "1", "@_unit": "parsecs" }), /unknown size unit/);
});

test("a disk device for a file volume and for a block volume", () => {
  const file = buildDiskDeviceXml({ path: "/srv/kvm/data.qcow2", type: "file", format: "qcow2", target: "vdb", bus: "virtio" });
  assert.match(file, /<disk type="file" device="disk">/);
  assert.match(file, /<driver name="qemu" type="qcow2"\/>/);
  assert.match(file, /<source file="\/srv\/kvm\/data.qcow2"\/>/);
  assert.match(file, /<target dev="vdb" bus="virtio"\/>/);
  assert.doesNotMatch(file, /readonly/);
  const block = buildDiskDeviceXml({ path: "/dev/vg/lv1", type: "block", format: "raw", target: "sdb", bus: "scsi", readonly: true });
  assert.match(block, /<source dev="\/dev\/vg\/lv1"\/>/);
  assert.match(block, /<readonly\/>/);
});

test("the next free target skips taken names, per bus prefix", () => {
  assert.equal(nextFreeTarget("virtio", []), "vda");
  assert.equal(nextFreeTarget("virtio", ["vda", "vdb", "sda"]), "vdc");
  assert.equal(nextFreeTarget("sata", ["vda", "sda", "sdb"]), "sdc");
  const all = Array.from({ length: 26 }, (_, i) => `vd${String.fromCharCode(97 + i)}`);
  assert.equal(nextFreeTarget("virtio", all), null);
});

const DOMAIN = `<domain type='qemu'>
  <name>vm</name>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/srv/kvm/root.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <alias name='virtio-disk0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw'/>
      <source dev='/dev/vg/data'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
  </devices>
</domain>`;

test("a domain's disks: targets, source paths, and one disk's own element for a detach", () => {
  assert.deepEqual(diskTargets(DOMAIN), ["vda", "vdb", "sda"]);
  assert.deepEqual(diskSourcePaths(DOMAIN), ["/srv/kvm/root.qcow2", "/dev/vg/data"]);
  const vdb = findDisk(DOMAIN, "vdb");
  assert.ok(vdb);
  assert.equal(vdb.source, "/dev/vg/data");
  assert.match(vdb.xml, /^<disk type="block" device="disk">/);
  assert.match(vdb.xml, /<readonly\/>/);
  const vda = findDisk(DOMAIN, "vda");
  assert.match(vda!.xml, /<address type="pci"/);
  assert.equal(findDisk(DOMAIN, "vdz"), null);
  assert.equal(diskTargetOfPath(DOMAIN, "/dev/vg/data"), "vdb");
  assert.equal(diskTargetOfPath(DOMAIN, "/srv/kvm/other.qcow2"), null);
});

test("disks that name a pool's volume are read as pool and volume, not as paths", () => {
  const xml = `<domain><devices>
    <disk type='volume' device='disk'><source pool='images' volume='web.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='/srv/kvm/root.qcow2'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='volume' device='cdrom'><target dev='sda' bus='sata'/></disk>
  </devices></domain>`;
  assert.deepEqual(diskPoolVolumes(xml), [{ pool: "images", volume: "web.qcow2" }]);
  assert.deepEqual(diskSourcePaths(xml), ["/srv/kvm/root.qcow2"]);
  assert.deepEqual(diskPoolVolumes(DOMAIN), []);
});

test("a domain with a single disk (not parsed as a list by accident) still has it", () => {
  const one = `<domain><devices><disk type='file' device='disk'><source file='/a'/><target dev='vda' bus='virtio'/></disk></devices></domain>`;
  assert.deepEqual(diskTargets(one), ["vda"]);
  assert.deepEqual(diskTargets(`<domain><devices/></domain>`), []);
});

test("injection: hostile names and paths stay text in every document we build", () => {
  const docs = [
    buildPoolXml({ type: "dir", name: HOSTILE, path: HOSTILE }),
    buildPoolXml({ type: "netfs", name: "n", host: HOSTILE, sourcePath: HOSTILE, format: "nfs", path: "/srv/x" }),
    buildPoolXml({ type: "logical", name: "l", vgName: HOSTILE, devices: [HOSTILE] }),
    buildVolumeXml({ name: HOSTILE, capacityBytes: 1, format: "raw" }),
    buildDiskDeviceXml({ path: HOSTILE, type: "file", format: "raw", target: "vdb", bus: "virtio" }),
  ];
  for (const xml of docs) {
    assert.doesNotMatch(xml, /<source dir=/, xml);
    assert.doesNotMatch(xml, /<!\[CDATA/, xml);
    // Still well-formed: the hostile text did not open or close any element.
    parseXml(xml, "built XML");
  }
  assert.equal(parsePoolXml(docs[0]!).name, HOSTILE);
  assert.equal(parsePoolXml(docs[0]!).targetPath, HOSTILE);
  assert.equal(parsePoolXml(docs[1]!).source.host, HOSTILE);
  assert.equal(parseVolumeXml(docs[3]!).name, HOSTILE);
  const disk = findDisk(`<domain><devices>${docs[4]}</devices></domain>`, "vdb");
  assert.equal(disk?.source, HOSTILE);
});

test("malformed XML from libvirt is a typed invalid error, not a crash deeper in", () => {
  assert.throws(() => parseVolumeXml("<volume><name>x</volume>"), { name: "ServiceError" });
});

test("a disk's chain: its own file, then each <backingStore> below it, as a running VM's live XML lists them", () => {
  const chains = diskChains(`<domain><devices>
  <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/p/vm.snap2' index='3'/>
    <backingStore type='file' index='2'><format type='qcow2'/><source file='/p/vm.snap1'/>
      <backingStore type='file' index='1'><format type='qcow2'/><source file='/p/vm.qcow2'/><backingStore/></backingStore>
    </backingStore>
    <target dev='vda' bus='virtio'/></disk>
  <disk type='volume' device='disk'><source pool='tank' volume='data.raw'/><target dev='vdb' bus='virtio'/></disk>
  <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>
</devices></domain>`);
  assert.deepEqual(chains, [
    { target: "vda", device: "disk", readonly: false, paths: ["/p/vm.snap2", "/p/vm.snap1", "/p/vm.qcow2"], poolVolume: null },
    { target: "vdb", device: "disk", readonly: false, paths: [], poolVolume: { pool: "tank", volume: "data.raw" } },
    { target: "sda", device: "cdrom", readonly: true, paths: [], poolVolume: null },
  ]);
});
