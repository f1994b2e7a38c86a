import { ATTR, attr, child, children, parseXml, type XmlNode } from "../xml/codec";
import { buildOrdered, childNodes, element, elements, parseOrdered, type OrderedNode } from "../xml/ordered";

/**
 * What a domain's XML says about its consoles (pure: no I/O). The live XML carries the VNC port
 * QEMU actually took (`autoport` fills it in at start); the inactive one says what the next start gets.
 * `address` is where QEMU listens, as the host sees it; how the manager gets there is vnc-route.ts's.
 */
export type VncEndpoint = { kind: "tcp"; address: string; port: number } | { kind: "unix"; path: string };

export interface ConsoleDevices {
  /** Where QEMU serves VNC; null without a VNC graphics device (or before it has a port). */
  vnc: VncEndpoint | null;
  /** Whether any graphics device is configured (a SPICE-only VM has graphics but no VNC). */
  hasGraphics: boolean;
  /** A serial port or console on a pty: what libvirt's console stream can open. */
  serial: boolean;
}

export function consoleDevices(xml: string): ConsoleDevices {
  const devices = child(child(parseXml(xml, "domain XML"), "domain"), "devices");
  const graphics = children(devices, "graphics");
  const vnc = graphics.find((g) => attr(g, "type") === "vnc");
  const serial = [...children(devices, "serial"), ...children(devices, "console")].some((s) => attr(s, "type") === "pty");
  return { vnc: vnc ? vncEndpoint(vnc) : null, hasGraphics: graphics.length > 0, serial };
}

function vncEndpoint(vnc: XmlNode): VncEndpoint | null {
  const socketListen = children(vnc, "listen").find((l) => attr(l, "type") === "socket");
  const socket = attr(vnc, "socket") ?? attr(socketListen, "socket");
  if (socket) return { kind: "unix", path: socket };
  const port = Number(attr(vnc, "port") ?? "-1");
  if (!Number.isInteger(port) || port <= 0) return null;
  const addressListen = children(vnc, "listen").find((l) => attr(l, "type") === "address");
  const address = attr(addressListen, "address") ?? attr(vnc, "listen") ?? "127.0.0.1";
  return { kind: "tcp", address, port };
}

/**
 * The VNC graphics device the manager gives VMs: on loopback only (the manager's console proxy is
 * the way in, with a ticket; nothing else on the LAN reaches QEMU's unauthenticated VNC), a port
 * chosen at start.
 */
export function vncGraphicsNode(): XmlNode {
  return {
    [`${ATTR}type`]: "vnc",
    [`${ATTR}port`]: "-1",
    [`${ATTR}autoport`]: "yes",
    [`${ATTR}listen`]: "127.0.0.1",
    listen: { [`${ATTR}type`]: "address", [`${ATTR}address`]: "127.0.0.1" },
  };
}

function orderedElement(tag: string, attributes: Record<string, string>, content: OrderedNode[] = []): OrderedNode {
  const node = { [tag]: content } as OrderedNode;
  node[":@"] = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`@_${k}`, v]));
  return node;
}

/**
 * A domain definition (its inactive XML) with the wizard's VNC display added, and a video card
 * (virtio, as the wizard gives) when it has none; null when it already has a display. libvirt
 * cannot add a graphics device to a persistent definition by attaching it ("persistent attach of
 * device 'graphics' is not supported"), so the definition is edited and defined again; the edit
 * keeps every other element, attribute and their order.
 */
export function withVncGraphics(inactiveXml: string): string | null {
  const tree = parseOrdered(inactiveXml, "domain XML");
  const domain = tree.find((n) => "domain" in n);
  const devices = domain && element(domain, "devices");
  if (!domain || !devices) throw new Error("domain XML has no <devices>");
  if (elements(devices, "graphics").length > 0) return null;
  const added = [
    orderedElement("graphics", { type: "vnc", port: "-1", autoport: "yes", listen: "127.0.0.1" }, [
      orderedElement("listen", { type: "address", address: "127.0.0.1" }),
    ]),
  ];
  if (elements(devices, "video").length === 0) added.push(orderedElement("video", {}, [orderedElement("model", { type: "virtio" })]));
  childNodes(devices).push(...added);
  return buildOrdered(tree);
}
