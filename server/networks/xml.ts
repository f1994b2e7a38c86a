import { ATTR, attr, buildXml, child, children, parseXml, textOf, type XmlNode } from "../xml/codec";
import { isIpv4, netmaskToPrefix, type Ipv4Config } from "./ipv4";

export type { Ipv4Config } from "./ipv4";

/** Pure build and parse of libvirt's network XML (the IPv4 arithmetic is in ./ipv4.ts). */

export type NetworkSpec =
  /** Guests reach outside through the host's routing, masqueraded as the host. */
  | { mode: "nat"; name: string; bridge?: string; ipv4: Ipv4Config }
  /** Guests reach each other and the host only. */
  | { mode: "isolated"; name: string; bridge?: string; ipv4: Ipv4Config }
  /** Guests join an existing host bridge (e.g. br0) and the LAN behind it; no addresses from libvirt. */
  | { mode: "bridge"; name: string; bridge: string };

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
