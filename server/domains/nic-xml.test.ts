import { test } from "node:test";
import assert from "node:assert/strict";
import { parseXml } from "../xml/codec";
import { bridgeNameOf, buildNicXml, findNicElement, nicElementXml, nicMacs, nicViews, withNicLink, withNicSource } from "./nic-xml";
import { parseDomainXml } from "./xml";
import { macSchema } from "./nic-schemas";

const wrap = (interfaces: string) => `<domain type="qemu"><name>web-1</name><devices>${interfaces}</devices></domain>`;

// As libvirt 9.0 writes a running VM's NIC on a network.
const LIVE_NIC = `<interface type="network">
  <mac address="52:54:00:AA:bb:01"/>
  <source network="lan" portid="0f6a3c0e-2b0e-4ab4-9d0b-0fb7b1f0a1f2" bridge="virbr3"/>
  <target dev="vnet7"/>
  <model type="virtio"/>
  <link state="down"/>
  <alias name="net1"/>
  <address type="pci" domain="0x0000" bus="0x00" slot="0x05" function="0x0"/>
</interface>`;

const CONFIG_NIC = `<interface type="bridge">
  <mac address="52:54:00:aa:bb:01"/>
  <source bridge="br0"/>
  <model type="virtio"/>
  <address type="pci" domain="0x0000" bus="0x00" slot="0x05" function="0x0"/>
</interface>`;

test("a new NIC's XML escapes the source name and carries model and MAC", () => {
  const xml = buildNicXml({ source: { kind: "network", name: `lan"><evil/>` }, model: "virtio", mac: "52:54:00:12:34:56" });
  const iface = parseXml(xml, "nic").interface as Record<string, unknown>;
  assert.ok(!xml.includes("<evil/>"), xml);
  assert.equal((iface.source as Record<string, string>)["@_network"], `lan"><evil/>`);
  const nic = parseDomainXml(wrap(xml)).nics[0]!;
  assert.deepEqual(nic, { type: "network", mac: "52:54:00:12:34:56", source: `lan"><evil/>`, model: "virtio", target: null, link: "up" });
});

test("a new NIC on a bridge without a MAC leaves the MAC to libvirt", () => {
  const nic = parseDomainXml(wrap(buildNicXml({ source: { kind: "bridge", name: "br0" }, model: "e1000e" }))).nics[0]!;
  assert.deepEqual(nic, { type: "bridge", mac: null, source: "br0", model: "e1000e", target: null, link: "up" });
});

test("the domain parser reads a NIC's link state and host device", () => {
  const nic = parseDomainXml(wrap(LIVE_NIC)).nics[0]!;
  assert.equal(nic.link, "down");
  assert.equal(nic.target, "vnet7");
  assert.equal(nic.source, "lan");
});

test("a NIC is found by its MAC whatever the case, and the MACs are listed lowercase", () => {
  const xml = wrap(LIVE_NIC + `<interface type="user"><mac address="52:54:00:00:00:02"/><model type="e1000e"/></interface>`);
  assert.deepEqual(nicMacs(xml), ["52:54:00:aa:bb:01", "52:54:00:00:00:02"]);
  assert.ok(findNicElement(xml, "52:54:00:aa:BB:01"));
  assert.equal(findNicElement(xml, "52:54:00:00:00:09"), null);
});

test("changing the source keeps model, MAC, address and tap device and drops the old source's filled-in parts", () => {
  const element = findNicElement(wrap(LIVE_NIC), "52:54:00:aa:bb:01")!;
  const changed = nicElementXml(withNicSource(element, { kind: "bridge", name: "br1" }));
  assert.ok(!changed.includes("portid"), changed);
  assert.ok(!changed.includes("virbr3"), changed);
  const nic = parseDomainXml(wrap(changed)).nics[0]!;
  assert.deepEqual(nic, { type: "bridge", mac: "52:54:00:AA:bb:01", source: "br1", model: "virtio", target: "vnet7", link: "down" });
  assert.match(changed, /slot="0x05"/);
});

test("setting the link changes only the link", () => {
  const element = findNicElement(wrap(LIVE_NIC), "52:54:00:aa:bb:01")!;
  const up = parseDomainXml(wrap(nicElementXml(withNicLink(element, "up")))).nics[0]!;
  assert.deepEqual(up, { type: "network", mac: "52:54:00:AA:bb:01", source: "lan", model: "virtio", target: "vnet7", link: "up" });
});

test("the views pair running and saved NICs by MAC and say what the next boot brings", () => {
  const plain = `<interface type="network"><mac address="52:54:00:00:00:03"/><source network="lan"/><model type="virtio"/></interface>`;
  const onlyNext = `<interface type="network"><mac address="52:54:00:00:00:04"/><source network="lab"/><model type="virtio"/></interface>`;
  const onlyNow = `<interface type="network"><mac address="52:54:00:00:00:05"/><source network="lab"/><model type="virtio"/></interface>`;
  const views = nicViews(wrap(LIVE_NIC + plain + onlyNow), wrap(CONFIG_NIC + plain + onlyNext));
  assert.deepEqual(
    views.map((v) => [v.mac, v.live, v.persistent, v.link]),
    [
      ["52:54:00:aa:bb:01", true, true, "down"],
      ["52:54:00:00:00:03", true, true, "up"],
      ["52:54:00:00:00:05", true, false, "up"],
      ["52:54:00:00:00:04", false, true, "up"],
    ],
  );
  assert.deepEqual(views[0]!.nextBoot, { kind: "bridge", source: "br0", link: "up" });
  assert.equal(views[0]!.hostDevice, "vnet7");
  assert.equal(views[1]!.nextBoot, null);
});

test("a shut-off VM's NICs come from its saved definition alone", () => {
  const views = nicViews(null, wrap(CONFIG_NIC));
  assert.equal(views.length, 1);
  assert.deepEqual(views[0], {
    mac: "52:54:00:aa:bb:01",
    model: "virtio",
    kind: "bridge",
    source: "br0",
    link: "up",
    hostDevice: null,
    live: false,
    persistent: true,
    nextBoot: null,
  });
});

test("a MAC must be well-formed and unicast, and is kept lowercase", () => {
  assert.equal(macSchema.parse(" 52:54:00:AB:cd:EF "), "52:54:00:ab:cd:ef");
  for (const bad of ["52:54:00:ab:cd", "52-54-00-ab-cd-ef", "01:00:5e:00:00:01", "00:00:00:00:00:00", "52:54:00:ab:cd:eg"]) {
    assert.equal(macSchema.safeParse(bad).success, false, bad);
  }
});

test("only bridges among the host's interfaces are named", () => {
  assert.equal(bridgeNameOf(`<interface type="bridge" name="br0"><bridge><interface type="ethernet" name="eth0"/></bridge></interface>`), "br0");
  assert.equal(bridgeNameOf(`<interface type="ethernet" name="eth0"><mac address="02:fc:00:00:00:01"/></interface>`), null);
});
