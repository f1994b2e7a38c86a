import { ATTR, attr, buildXml, child, children, parseXml, textOf, type XmlNode } from "../xml/codec";

/** Pure build and parse of libvirt's network XML, and the IPv4 arithmetic that checks a subnet. */

export interface Ipv4Config {
  /** The host's address on the network (the guests' gateway), e.g. 10.213.1.1. */
  address: string;
  /** Prefix length, e.g. 24. */
  prefix: number;
  /** Range handed out by libvirt's dnsmasq; none: no DHCP. */
  dhcp?: { start: string; end: string };
}

export type NetworkSpec =
  /** Guests reach outside through the host's routing, masqueraded as the host. */
  | { mode: "nat"; name: string; bridge?: string; ipv4: Ipv4Config }
  /** Guests reach each other and the host only. */
  | { mode: "isolated"; name: string; bridge?: string; ipv4: Ipv4Config }
  /** Guests join an existing host bridge (e.g. br0) and the LAN behind it; no addresses from libvirt. */
  | { mode: "bridge"; name: string; bridge: string };

// ---- IPv4 ----

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

export function ipv4ToInt(text: string): number {
  if (!isIpv4(text)) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  return text.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** First and last address (network and broadcast) of the subnet `address/prefix`. */
export function subnetBounds(address: string, prefix: number): { first: number; last: number } {
  const size = 2 ** (32 - prefix);
  const first = Math.floor(ipv4ToInt(address) / size) * size;
  return { first, last: first + size - 1 };
}

export function prefixToNetmask(prefix: number): string {
  return intToIpv4(2 ** 32 - 2 ** (32 - prefix));
}

/** Prefix length of a dotted netmask (255.255.255.0 → 24), or null when it is not contiguous. */
export function netmaskToPrefix(netmask: string): number | null {
  const n = ipv4ToInt(netmask);
  for (let prefix = 0; prefix <= 32; prefix++) if (ipv4ToInt(prefixToNetmask(prefix)) === n) return prefix;
  return null;
}

export function subnetsOverlap(a: { address: string; prefix: number }, b: { address: string; prefix: number }): boolean {
  const x = subnetBounds(a.address, a.prefix);
  const y = subnetBounds(b.address, b.prefix);
  return x.first <= y.last && y.first <= x.last;
}

/** What is wrong with an IPv4 configuration, in words; empty when it is usable. */
export function ipv4Problems(ip: Ipv4Config): string[] {
  const problems: string[] = [];
  if (!isIpv4(ip.address)) return [`${JSON.stringify(ip.address)} is not an IPv4 address`];
  if (!Number.isInteger(ip.prefix) || ip.prefix < 8 || ip.prefix > 30) return [`prefix /${ip.prefix} must be 8 to 30`];
  const { first, last } = subnetBounds(ip.address, ip.prefix);
  const host = ipv4ToInt(ip.address);
  if (host === first || host === last) problems.push(`${ip.address} is the network or broadcast address of its /${ip.prefix}`);
  if (ip.dhcp) {
    const { start, end } = ip.dhcp;
    if (!isIpv4(start) || !isIpv4(end)) return [...problems, "the DHCP range needs two IPv4 addresses"];
    const s = ipv4ToInt(start);
    const e = ipv4ToInt(end);
    if (s > e) problems.push(`DHCP range ${start}–${end} is backwards`);
    if (s <= first || e >= last)
      problems.push(`DHCP range ${start}–${end} is not inside ${intToIpv4(first)}/${ip.prefix} (excluding its network and broadcast addresses)`);
    if (s <= host && host <= e) problems.push(`DHCP range ${start}–${end} contains the host's own address ${ip.address}`);
  }
  return problems;
}

// ---- XML ----

export function buildNetworkXml(spec: NetworkSpec): string {
  const network: XmlNode = { name: spec.name };
  if (spec.mode === "bridge") {
    network.forward = { [`${ATTR}mode`]: "bridge" };
    network.bridge = { [`${ATTR}name`]: spec.bridge };
    return buildXml({ network });
  }
  if (spec.mode === "nat") network.forward = { [`${ATTR}mode`]: "nat" };
  // Without a name libvirt picks the next free virbrN.
  if (spec.bridge) network.bridge = { [`${ATTR}name`]: spec.bridge, [`${ATTR}stp`]: "on", [`${ATTR}delay`]: "0" };
  const { address, prefix, dhcp } = spec.ipv4;
  network.ip = {
    [`${ATTR}address`]: address,
    [`${ATTR}prefix`]: String(prefix),
    ...(dhcp ? { dhcp: { range: { [`${ATTR}start`]: dhcp.start, [`${ATTR}end`]: dhcp.end } } } : {}),
  };
  return buildXml({ network });
}

export interface NetworkIp {
  family: "ipv4" | "ipv6";
  address: string;
  prefix: number | null;
  dhcpRanges: { start: string; end: string }[];
}

export interface NetworkXmlInfo {
  name: string;
  uuid: string;
  /** nat, route, open, bridge, passthrough…; "isolated" when there is no `<forward>`. */
  forwardMode: string;
  bridge: string | null;
  ips: NetworkIp[];
}

function ipPrefix(ip: XmlNode, family: "ipv4" | "ipv6"): number | null {
  const prefix = attr(ip, "prefix");
  if (prefix !== undefined) return Number(prefix);
  const netmask = attr(ip, "netmask");
  if (netmask && family === "ipv4" && isIpv4(netmask)) return netmaskToPrefix(netmask);
  return null;
}

export function parseNetworkXml(xml: string): NetworkXmlInfo {
  const network = child(parseXml(xml, "network XML"), "network");
  if (!network) throw new Error("network XML has no <network> root");
  const forward = network.forward;
  return {
    name: textOf(network.name) ?? "",
    uuid: textOf(network.uuid) ?? "",
    forwardMode: forward === undefined ? "isolated" : (attr(forward, "mode") ?? "nat"),
    bridge: attr(child(network, "bridge"), "name") ?? null,
    ips: children(network, "ip").map((ip) => {
      const family = attr(ip, "family") === "ipv6" ? "ipv6" : "ipv4";
      return {
        family,
        address: attr(ip, "address") ?? "",
        prefix: ipPrefix(ip, family),
        dhcpRanges: children(child(ip, "dhcp"), "range").map((r) => ({ start: attr(r, "start") ?? "", end: attr(r, "end") ?? "" })),
      };
    }),
  };
}
