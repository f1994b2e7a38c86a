/* eslint-disable @typescript-eslint/no-explicit-any -- the parsed XML trees are read by shape in assertions */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDomainXml } from "../domains/xml";
import { parseXml } from "../xml/codec";
import { backupDisks, buildBackupXml, buildCheckpointXml, chainImageSpec, restoredDomainXml } from "./xml";

const DOMAIN = `<domain type="qemu">
  <name>web-1</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <devices>
    <disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="/pool/web-1.qcow2"/><target dev="vda" bus="virtio"/></disk>
    <disk type="block" device="disk"><driver name="qemu" type="raw"/><source dev="/dev/vg/data"/><target dev="vdb" bus="virtio"/></disk>
    <disk type="file" device="cdrom"><driver name="qemu" type="raw"/><source file="/isos/a.iso"/><target dev="sda" bus="sata"/><readonly/></disk>
    <disk type="file" device="disk"><driver name="qemu" type="raw"/><source file="/pool/shared.img"/><target dev="vdc" bus="virtio"/><readonly/></disk>
    <interface type="network"><mac address="52:54:00:aa:bb:cc"/><source network="default"/></interface>
  </devices>
</domain>`;

test("backupDisks keeps writable disks with a file or block source, not CD-ROMs or read-only media", () => {
  assert.deepEqual(backupDisks(DOMAIN), [
    { target: "vda", source: "/pool/web-1.qcow2", format: "qcow2" },
    { target: "vdb", source: "/dev/vg/data", format: "raw" },
  ]);
});

test("buildBackupXml writes a push-mode backup, incremental from a checkpoint when given, each disk into its qcow2 file", () => {
  const full = parseXml(buildBackupXml({ incremental: null, disks: [{ target: "vda", file: "/b/vda.qcow2" }] }), "backup") as any;
  assert.equal(full.domainbackup["@_mode"], "push");
  assert.equal(full.domainbackup.incremental, undefined);
  const disk = full.domainbackup.disks.disk;
  assert.deepEqual(
    [disk["@_name"], disk["@_backup"], disk["@_type"], disk.target["@_file"], disk.driver["@_type"]],
    ["vda", "yes", "file", "/b/vda.qcow2", "qcow2"],
  );
  const incXml = buildBackupXml({ incremental: "kvmm-abc", disks: [{ target: "vda", file: "/b/x & y.qcow2" }] });
  assert.match(incXml, /file="\/b\/x &amp; y.qcow2"/, "text is escaped by the codec");
  const inc = parseXml(incXml, "backup") as any;
  assert.equal(inc.domainbackup.incremental, "kvmm-abc");
  assert.equal(inc.domainbackup.disks.disk.target["@_file"], "/b/x & y.qcow2");
});

test("buildCheckpointXml asks for a bitmap on each disk", () => {
  const cp = parseXml(buildCheckpointXml({ name: "kvmm-1", targets: ["vda", "vdb"] }), "checkpoint") as any;
  assert.equal(cp.domaincheckpoint.name, "kvmm-1");
  assert.deepEqual(
    cp.domaincheckpoint.disks.disk.map((d: any) => [d["@_name"], d["@_checkpoint"]]),
    [
      ["vda", "bitmap"],
      ["vdb", "bitmap"],
    ],
  );
});

test("restoredDomainXml renames, drops UUID and MACs, and points restored disks at qcow2 files (a block source becomes a file)", () => {
  const xml = restoredDomainXml(
    DOMAIN,
    "web-1-restored",
    new Map([
      ["/pool/web-1.qcow2", "/pool/web-1-restored-vda.qcow2"],
      ["/dev/vg/data", "/pool/web-1-restored-vdb.qcow2"],
    ]),
  );
  const parsed = parseDomainXml(xml);
  assert.equal(parsed.name, "web-1-restored");
  assert.doesNotMatch(xml, /<uuid>/);
  assert.doesNotMatch(xml, /52:54:00:aa:bb:cc/);
  const disks = parsed.disks.map((d) => ({ target: d.target, type: d.type, source: d.source, format: d.format }));
  assert.deepEqual(disks, [
    { target: "vda", type: "file", source: "/pool/web-1-restored-vda.qcow2", format: "qcow2" },
    { target: "vdb", type: "file", source: "/pool/web-1-restored-vdb.qcow2", format: "qcow2" },
    { target: "sda", type: "file", source: "/isos/a.iso", format: "raw" },
    { target: "vdc", type: "file", source: "/pool/shared.img", format: "raw" },
  ]);
});

test("chainImageSpec stacks the files newest on top, the full backup at the bottom with no backing", () => {
  const spec = chainImageSpec(["/b/full/vda.qcow2", "/b/inc1/vda.qcow2", "/b/inc2/vda.qcow2"]);
  assert.ok(spec.startsWith("json:"));
  const top = JSON.parse(spec.slice(5));
  assert.equal(top.file.filename, "/b/inc2/vda.qcow2");
  assert.equal(top.backing.file.filename, "/b/inc1/vda.qcow2");
  assert.equal(top.backing.backing.file.filename, "/b/full/vda.qcow2");
  assert.equal(top.backing.backing.backing, null);
  assert.throws(() => chainImageSpec([]));
});
