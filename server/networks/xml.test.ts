import { test } from "node:test";
import assert from "node:assert/strict";
import { buildNetworkXml, parseNetworkXml } from "./xml";
import { intToIpv4, ipv4Problems, ipv4ToInt, netmaskToPrefix, prefixToNetmask, subnetBounds, subnetsOverlap, suggestDhcpRange } from "./ipv4";
import { networkNameSchema, networkSpecSchema, bridgeNameSchema } from "./schemas";
import { parseXml } from "../xml/codec";

test("a NAT network: forward mode, address, prefix and DHCP range", () => {
  const xml = buildNetworkXml({ mode: "nat", name: "lab", ipv4: { address: "10.213.7.1", prefix: 24, dhcp: { start: "10.213.7.100", end: "10.213.7.200" } } });
  assert.match(xml, /<forward mode="nat"\/>/);
  assert.doesNotMatch(xml, /<bridge/, "libvirt picks the bridge name when none is given");
  const info = parseNetworkXml(xml);
  assert.equal(info.forwardMode, "nat");
  assert.deepEqual(info.ips, [{ family: "ipv4", address: "10.213.7.1", prefix: 24, dhcpRanges: [{ start: "10.213.7.100", end: "10.213.7.200" }] }]);
});

test("an isolated network has no <forward>; a bridge network only names the host bridge", () => {
  const isolated = parseNetworkXml(buildNetworkXml({ mode: "isolated", name: "iso", bridge: "virbr42", ipv4: { address: "10.213.8.1", prefix: 24 } }));
  assert.equal(isolated.forwardMode, "isolated");
  assert.equal(isolated.bridge, "virbr42");
  assert.deepEqual(isolated.ips[0]?.dhcpRanges, []);
  const bridged = buildNetworkXml({ mode: "bridge", name: "lan", bridge: "br0" });
  assert.match(bridged, /<forward mode="bridge"\/>/);
  assert.doesNotMatch(bridged, /<ip/);
  assert.equal(parseNetworkXml(bridged).bridge, "br0");
});

test("libvirt's own network XML parses: netmask form, IPv6, a mode-less <forward/> meaning NAT", () => {
  const info = parseNetworkXml(`<network>
  <name>default</name>
  <uuid>0c2c4a4e-1111-4222-8333-944445555666</uuid>
  <forward/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <mac address='52:54:00:aa:bb:cc'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>
  </ip>
  <ip family='ipv6' address='fd00:1::1' prefix='64'/>
</network>`);
  assert.equal(info.forwardMode, "nat");
  assert.equal(info.uuid, "0c2c4a4e-1111-4222-8333-944445555666");
  assert.equal(info.bridge, "virbr0");
  assert.equal(info.ips.length, 2);
  assert.equal(info.ips[0]?.prefix, 24);
  assert.deepEqual(info.ips[1], { family: "ipv6", address: "fd00:1::1", prefix: 64, dhcpRanges: [] });
});

test("IPv4 arithmetic", () => {
  assert.equal(ipv4ToInt("10.213.7.1"), 0x0ad50701);
  assert.equal(intToIpv4(0xc0a87a01), "192.168.122.1");
  assert.equal(intToIpv4(ipv4ToInt("255.255.255.255")), "255.255.255.255");
  assert.deepEqual(subnetBounds("10.213.7.77", 24), { first: ipv4ToInt("10.213.7.0"), last: ipv4ToInt("10.213.7.255") });
  assert.equal(prefixToNetmask(24), "255.255.255.0");
  assert.equal(prefixToNetmask(20), "255.255.240.0");
  assert.equal(netmaskToPrefix("255.255.240.0"), 20);
  assert.equal(netmaskToPrefix("255.0.255.0"), null);
  assert.throws(() => ipv4ToInt("300.1.1.1"));
  assert.equal(subnetsOverlap({ address: "10.213.7.1", prefix: 24 }, { address: "10.213.0.1", prefix: 16 }), true);
  assert.equal(subnetsOverlap({ address: "10.213.7.1", prefix: 24 }, { address: "10.213.8.1", prefix: 24 }), false);
});

test("IPv4 configurations that cannot work are explained", () => {
  assert.deepEqual(ipv4Problems({ address: "10.213.7.1", prefix: 24, dhcp: { start: "10.213.7.2", end: "10.213.7.254" } }), []);
  assert.match(ipv4Problems({ address: "10.213.7.0", prefix: 24 }).join(), /network or broadcast/);
  assert.match(ipv4Problems({ address: "10.213.7.1", prefix: 31 }).join(), /prefix/);
  assert.match(ipv4Problems({ address: "10.213.7.1", prefix: 24, dhcp: { start: "10.213.8.2", end: "10.213.8.9" } }).join(), /not inside/);
  assert.match(ipv4Problems({ address: "10.213.7.1", prefix: 24, dhcp: { start: "10.213.7.9", end: "10.213.7.2" } }).join(), /backwards/);
  assert.match(
    ipv4Problems({ address: "10.213.7.50", prefix: 24, dhcp: { start: "10.213.7.2", end: "10.213.7.99" } }).join(),
    /contains the host's own address/,
  );
});

const HOSTILE = `n'/><forward mode="open"/>&amp;<![CDATA[x]]>]]><`;

test("injection: hostile names and bridges stay text", () => {
  for (const xml of [
    buildNetworkXml({ mode: "bridge", name: HOSTILE, bridge: HOSTILE }),
    buildNetworkXml({ mode: "isolated", name: HOSTILE, bridge: HOSTILE, ipv4: { address: "10.213.9.1", prefix: 24 } }),
  ]) {
    parseXml(xml, "built XML");
    assert.doesNotMatch(xml, /<forward mode="open"/);
    const info = parseNetworkXml(xml);
    assert.equal(info.name, HOSTILE);
    assert.equal(info.bridge, HOSTILE);
    assert.notEqual(info.forwardMode, "open");
  }
});

test("validation refuses hostile names, bridge names and bad subnets before any XML is built", () => {
  for (const bad of ["", "-x", "a/b", "a b", "x'y", "<n>", "]]>", "a&b", "x".repeat(65)]) {
    assert.equal(networkNameSchema.safeParse(bad).success, false, bad);
  }
  assert.equal(bridgeNameSchema.safeParse("virbr-is-too-long0").success, false);
  assert.equal(bridgeNameSchema.safeParse("br0;ip").success, false);
  const ok = networkSpecSchema.safeParse({ mode: "nat", name: "lab", ipv4: { address: "10.213.7.1", prefix: 24 } });
  assert.equal(ok.success, true);
  const badRange = networkSpecSchema.safeParse({
    mode: "nat",
    name: "lab",
    ipv4: { address: "10.213.7.1", prefix: 24, dhcp: { start: "10.213.7.1", end: "10.213.7.9" } },
  });
  assert.equal(badRange.success, false);
  assert.equal(networkSpecSchema.safeParse({ mode: "nat", name: "lab", ipv4: { address: "10.213.7.1'", prefix: 24 } }).success, false);
  assert.equal(networkSpecSchema.safeParse({ mode: "open", name: "lab" }).success, false);
});

test("the form's DHCP suggestion is the larger run of addresses beside the host's own, inside its subnet", () => {
  assert.deepEqual(suggestDhcpRange("10.213.1.1", 24), { start: "10.213.1.2", end: "10.213.1.254" });
  assert.deepEqual(suggestDhcpRange("10.213.1.254", 24), { start: "10.213.1.1", end: "10.213.1.253" });
  assert.equal(suggestDhcpRange("10.213.1.0", 24), null, "the network address itself");
  assert.equal(suggestDhcpRange("10.213.1.1", 31), null, "a prefix the server refuses");
  assert.equal(suggestDhcpRange("10.213.1", 24), null);
  // Whatever it suggests, the server's own check accepts.
  const suggested = suggestDhcpRange("192.168.50.1", 25)!;
  assert.deepEqual(ipv4Problems({ address: "192.168.50.1", prefix: 25, dhcp: suggested }), []);
});
