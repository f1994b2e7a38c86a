import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSnapshotXml, parseSnapshotXml, snapshotOwnFiles, snapshotTree, subtree, type SnapshotXmlInfo } from "./xml";
import { snapshotDescriptionSchema, snapshotNameSchema } from "./schemas";
import { vmRefSchema } from "../identifiers";
import { parseXml } from "../xml/codec";

test("a snapshot with memory asks for an internal memory state; without, for none", () => {
  const withMemory = buildSnapshotXml({ name: "before-upgrade", description: "pre 2.0", memory: "internal" });
  assert.match(withMemory, /<memory snapshot="internal"\/>/);
  assert.match(withMemory, /<description>pre 2.0<\/description>/);
  assert.match(buildSnapshotXml({ name: "s", memory: "none" }), /<memory snapshot="no"\/>/);
  const bare = buildSnapshotXml({ name: "s" });
  assert.doesNotMatch(bare, /memory|description/);
});

test("libvirt's snapshot XML parses: parent, time, state, memory, disks", () => {
  const info = parseSnapshotXml(`<domainsnapshot>
  <name>s2</name>
  <description>after &amp; before</description>
  <state>running</state>
  <parent><name>s1</name></parent>
  <creationTime>1700000000</creationTime>
  <memory snapshot='internal'/>
  <disks>
    <disk name='vda' snapshot='internal'/>
    <disk name='sda' snapshot='no'/>
  </disks>
  <domain type='qemu'><name>vm</name><devices><disk type='file' device='disk'><target dev='vda'/></disk></devices></domain>
</domainsnapshot>`);
  assert.equal(info.name, "s2");
  assert.equal(info.description, "after & before");
  assert.equal(info.state, "running");
  assert.equal(info.parent, "s1");
  assert.equal(info.createdAt, "2023-11-14T22:13:20.000Z");
  assert.equal(info.memory, "internal");
  assert.equal(info.location, "internal");
  assert.equal(info.consistency, "memory");
  assert.deepEqual(info.disks, [
    { name: "vda", snapshot: "internal", file: null },
    { name: "sda", snapshot: "no", file: null },
  ]);
});

test("a shut-off VM's disk snapshot is consistent, a running VM's disks without memory only crash-consistent", () => {
  const shutOff = parseSnapshotXml(`<domainsnapshot><name>off</name><state>shutoff</state><creationTime>1</creationTime></domainsnapshot>`);
  assert.equal(shutOff.consistency, "shutOff");
  const crashed = parseSnapshotXml(
    `<domainsnapshot><name>c</name><state>crashed</state><creationTime>1</creationTime><memory snapshot='no'/></domainsnapshot>`,
  );
  assert.equal(crashed.consistency, "crash");
});

test("an external disk-only snapshot is recognised as external, with its overlay file", () => {
  const info = parseSnapshotXml(`<domainsnapshot><name>live</name><state>disk-snapshot</state><creationTime>1</creationTime>
  <memory snapshot='no'/><disks><disk name='vda' snapshot='external' type='file'><driver type='qcow2'/><source file='/srv/vm.live'/></disk></disks></domainsnapshot>`);
  assert.equal(info.location, "external");
  assert.equal(info.consistency, "crash");
  assert.equal(info.parent, null);
  assert.equal(info.disks[0]?.file, "/srv/vm.live");
});

function snap(name: string, parent: string | null, t: number): SnapshotXmlInfo {
  return {
    name,
    parent,
    createdAt: new Date(t * 1000).toISOString(),
    description: null,
    state: "shutoff",
    memory: "no",
    disks: [],
    location: "internal",
    consistency: "shutOff",
  };
}

test("the tree: parents before children, siblings by time, depth, children and current", () => {
  const list = [snap("c", "a", 3), snap("b", "a", 2), snap("a", null, 1), snap("d", "b", 4), snap("z", null, 5)];
  const tree = snapshotTree(list, "d");
  assert.deepEqual(
    tree.map((n) => `${"  ".repeat(n.depth)}${n.name}`),
    ["a", "  b", "    d", "  c", "z"],
  );
  assert.deepEqual(tree.find((n) => n.name === "a")?.children, ["b", "c"]);
  assert.deepEqual(
    tree.filter((n) => n.current).map((n) => n.name),
    ["d"],
  );
  assert.deepEqual(subtree(tree, "a"), ["a", "b", "d", "c"]);
  assert.deepEqual(subtree(tree, "nope"), []);
});

test("a snapshot whose parent is missing from the list becomes a root; cycles do not loop", () => {
  const tree = snapshotTree([snap("orphan", "gone", 1), snap("x", "y", 2), snap("y", "x", 3)], null);
  assert.deepEqual(
    tree.map((n) => n.name),
    ["orphan"],
  );
  assert.equal(tree[0]?.depth, 0);
});

const HOSTILE = `</description><memory snapshot='external' file='/etc/shadow'/><description>&amp; ]]> <![CDATA[`;

test("injection: a hostile description stays text, and names are validated", () => {
  const xml = buildSnapshotXml({ name: "s", description: HOSTILE, memory: "none" });
  parseXml(xml, "built XML");
  assert.doesNotMatch(xml, /<memory snapshot='external'/);
  const info = parseSnapshotXml(xml);
  assert.equal(info.description, HOSTILE);
  assert.equal(info.memory, "no");
  for (const bad of ["", "-s", "a/b", "a b", "x'y", "<s>", "]]>", "a&b", "x".repeat(65)]) {
    assert.equal(snapshotNameSchema.safeParse(bad).success, false, bad);
  }
  assert.equal(snapshotDescriptionSchema.safeParse(HOSTILE).success, true, "markup characters are fine in text");
  assert.equal(snapshotDescriptionSchema.safeParse("bell \x07").success, false);
  assert.equal(snapshotDescriptionSchema.safeParse("x".repeat(1001)).success, false);
  assert.equal(vmRefSchema.safeParse({ hostId: "local", uuid: "not-a-uuid" }).success, false);
});

test("a snapshot names as the VM's own the overlays it made and the writable disks of the definition it saved", () => {
  const xml = `<domainsnapshot><name>outside</name><state>disk-snapshot</state>
  <disks><disk name='vda' snapshot='external' type='file'><source file='/p/vm.outside'/></disk><disk name='sda' snapshot='no'/></disks>
  <domain type='qemu'><name>vm</name><devices>
    <disk type='file' device='disk'><source file='/p/vm.qcow2'/><target dev='vda'/></disk>
    <disk type='file' device='cdrom'><source file='/iso/install.iso'/><target dev='sda'/><readonly/></disk>
  </devices></domain></domainsnapshot>`;
  assert.deepEqual(snapshotOwnFiles(xml), ["/p/vm.outside", "/p/vm.qcow2"]);
  assert.deepEqual(snapshotOwnFiles("<domainsnapshot><name>s</name></domainsnapshot>"), []);
});
