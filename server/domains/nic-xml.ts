import { ATTR, attr, buildXml, child, children, parseXml, type XmlNode } from "../xml/codec";
import { nicNode, parseDomainXml, type NicInfo } from "./xml";
import type { NicModel } from "./nic-schemas";

/**
 * A VM's network cards as pure XML functions, for server/domains/nics.ts: the `<interface>`
 * element to attach, and an existing element changed in one respect (its source or its link) for
 * libvirt's update-device call. Changes start from the element libvirt gave us, whole: an update
 * that left out the model or the PCI address would be refused as a change of those.
 */

/** What a NIC connects to: one of the host's libvirt networks, or one of its bridges directly. */
export type NicSource = { kind: "network"; name: string } | { kind: "bridge"; name: string };

export interface NewNic {
  source: NicSource;
  model: NicModel;
  /** Absent: libvirt generates one (52:54:00:…). */
  mac?: string;
}

function sourceSpec(source: NicSource) {
  return source.kind === "network" ? { kind: "network" as const, network: source.name } : { kind: "bridge" as const, bridge: source.name };
}

/** The `<interface>` to attach for a new NIC, built by the domain builder's own function. */
export function buildNicXml(nic: NewNic): string {
  return buildXml({ interface: nicNode({ ...sourceSpec(nic.source), model: nic.model, mac: nic.mac }) });
}

function interfaces(domainXml: string): XmlNode[] {
  return children(child(child(parseXml(domainXml, "domain XML"), "domain"), "devices"), "interface");
}

function macOf(node: XmlNode): string | null {
  return attr(child(node, "mac"), "address")?.toLowerCase() ?? null;
}

/** The `<interface>` element with this MAC, as libvirt wrote it; null when the document has none. */
export function findNicElement(domainXml: string, mac: string): XmlNode | null {
  return interfaces(domainXml).find((n) => macOf(n) === mac.toLowerCase()) ?? null;
}

/** The MACs of a domain's NICs, in document order. */
export function nicMacs(domainXml: string): string[] {
  return interfaces(domainXml).flatMap((n) => macOf(n) ?? []);
}

/** The element as XML again, for detach and update calls (libvirt matches a NIC by its MAC). */
export function nicElementXml(node: XmlNode): string {
  return buildXml({ interface: node });
}

/**
 * The same NIC on another source. Everything else stays (libvirt moves the same tap device to the
 * new bridge); the old `<source>` goes whole, since a running VM's source carries what libvirt
 * filled in for the old one (`portid`, the network's bridge).
 */
export function withNicSource(node: XmlNode, source: NicSource): XmlNode {
  return {
    ...node,
    [`${ATTR}type`]: source.kind,
    source: source.kind === "network" ? { [`${ATTR}network`]: source.name } : { [`${ATTR}bridge`]: source.name },
  };
}

/** The same NIC with its link up or down (as if its cable were plugged in or pulled). */
export function withNicLink(node: XmlNode, state: "up" | "down"): XmlNode {
  return { ...node, link: { [`${ATTR}state`]: state } };
}

/** One NIC as the Network tab shows it: what runs now, and what the saved definition holds for the next boot. */
export interface NicView {
  mac: string;
  model: string | null;
  /** network, bridge, user (QEMU's own NAT), direct… */
  kind: string;
  source: string | null;
  link: "up" | "down";
  /** The host-side tap device of a running VM (vnet3). */
  hostDevice: string | null;
  /** In the running VM. */
  live: boolean;
  /** In the saved definition, so present after a restart. */
  persistent: boolean;
  /** The saved definition differs from what runs: what the next boot brings. Null when they agree, or when only one exists. */
  nextBoot: { kind: string; source: string | null; link: "up" | "down" } | null;
}

function nicsOf(xml: string | null): Map<string, NicInfo> {
  if (xml === null) return new Map();
  return new Map(parseDomainXml(xml).nics.flatMap((n) => (n.mac ? [[n.mac.toLowerCase(), n] as const] : [])));
}

/**
 * The NICs of a VM from its running XML (null when it is off) and its saved definition (null when
 * transient): running NICs first, in their order, then those that come only at the next boot.
 */
export function nicViews(liveXml: string | null, configXml: string | null): NicView[] {
  const live = nicsOf(liveXml);
  const config = nicsOf(configXml);
  const views: NicView[] = [];
  for (const [mac, nic] of live) {
    const saved = config.get(mac);
    const differs = saved !== undefined && (saved.type !== nic.type || saved.source !== nic.source || saved.link !== nic.link);
    views.push({
      mac,
      model: nic.model,
      kind: nic.type,
      source: nic.source,
      link: nic.link,
      hostDevice: nic.target,
      live: true,
      persistent: saved !== undefined,
      nextBoot: differs ? { kind: saved.type, source: saved.source, link: saved.link } : null,
    });
  }
  for (const [mac, nic] of config) {
    if (live.has(mac)) continue;
    views.push({ mac, model: nic.model, kind: nic.type, source: nic.source, link: nic.link, hostDevice: null, live: false, persistent: true, nextBoot: null });
  }
  return views;
}

/** The name of a host interface libvirt describes, when it is a bridge (`<interface type='bridge' name='br0'>`); else null. */
export function bridgeNameOf(interfaceXml: string): string | null {
  const iface = child(parseXml(interfaceXml, "host interface XML"), "interface");
  return attr(iface, "type") === "bridge" ? (attr(iface, "name") ?? null) : null;
}
