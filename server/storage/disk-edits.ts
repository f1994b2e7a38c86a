import { attr, child, children, parseXml, type XmlNode } from "../xml/codec";
import { buildOrdered, element, elements, getAttr, parseOrdered, removeChildren, setAttr, tagOf, type OrderedNode } from "../xml/ordered";
import { ServiceError } from "../errors";

/**
 * Pure reading and editing of a domain's disks for the VM's Disks tab: the disk list, the media of
 * a CD-ROM, and the boot order. Edits work on libvirt's own document in an order-preserving tree,
 * so everything they do not mean to change (addresses, aliases, drivers) goes back as it came.
 */

export interface DiskDevice {
  target: string;
  bus: string;
  /** disk, cdrom, floppy, lun. */
  device: string;
  /** file, block, volume, network. */
  type: string;
  format: string | null;
  /** The host file or device; null for an empty CD-ROM, a network disk, or one naming a pool's volume. */
  path: string | null;
  /** A `<disk type='volume'>`'s pool and volume. */
  poolVolume: { pool: string; volume: string } | null;
  readonly: boolean;
  /** Its `<boot order>`, when the definition boots by device. */
  bootOrder: number | null;
}

function domainOf(xml: string): XmlNode {
  const domain = child(parseXml(xml, "domain XML"), "domain");
  if (!domain) throw new ServiceError("domain XML has no <domain> root", "invalid");
  return domain;
}

function bootOrderOf(node: XmlNode): number | null {
  const order = Number(attr(child(node, "boot"), "order"));
  return Number.isInteger(order) && order > 0 ? order : null;
}

export function parseDiskDevices(domainXml: string): DiskDevice[] {
  return children(child(domainOf(domainXml), "devices"), "disk").map((d) => {
    const source = child(d, "source");
    const pool = attr(source, "pool");
    const volume = attr(source, "volume");
    return {
      target: attr(child(d, "target"), "dev") ?? "",
      bus: attr(child(d, "target"), "bus") ?? "",
      device: attr(d, "device") ?? "disk",
      type: attr(d, "type") ?? "file",
      format: attr(child(d, "driver"), "type") ?? null,
      path: attr(source, "file") ?? attr(source, "dev") ?? null,
      poolVolume: attr(d, "type") === "volume" && pool && volume ? { pool, volume } : null,
      readonly: "readonly" in d,
      bootOrder: bootOrderOf(d),
    };
  });
}

/** Something the firmware can boot from: a disk or CD-ROM by its target, a NIC by its MAC. */
export type BootDevice = { kind: "disk"; target: string } | { kind: "nic"; mac: string };

export interface BootOrder {
  /** First to last. */
  order: BootDevice[];
  /**
   * `devices`: per-device `<boot order>` elements; `os`: the older `<os><boot dev>` list, read as
   * the devices it means (its first hard disk, first CD-ROM, first NIC); `none`: neither.
   */
  style: "devices" | "os" | "none";
}

interface Bootable {
  device: BootDevice;
  order: number | null;
  kind: string;
}

function bootables(domain: XmlNode): Bootable[] {
  const devices = child(domain, "devices");
  return [
    ...children(devices, "disk").map((d) => ({
      device: { kind: "disk" as const, target: attr(child(d, "target"), "dev") ?? "" },
      order: bootOrderOf(d),
      kind: attr(d, "device") ?? "disk",
    })),
    ...children(devices, "interface").flatMap((n) => {
      const mac = attr(child(n, "mac"), "address");
      return mac ? [{ device: { kind: "nic" as const, mac }, order: bootOrderOf(n), kind: "network" }] : [];
    }),
  ];
}

/** `<os><boot dev>` names a kind of device; the firmware tries the first of that kind. */
const OS_BOOT_KIND: Record<string, string> = { hd: "disk", cdrom: "cdrom", network: "network", fd: "floppy" };

export function parseBootOrder(domainXml: string): BootOrder {
  const domain = domainOf(domainXml);
  const devices = bootables(domain);
  const ordered = devices.filter((d) => d.order !== null).sort((a, b) => a.order! - b.order!);
  if (ordered.length) return { order: ordered.map((d) => d.device), style: "devices" };
  const osBoot = children(child(domain, "os"), "boot").map((b) => attr(b, "dev") ?? "");
  if (!osBoot.length) return { order: [], style: "none" };
  const order = osBoot.flatMap((dev) => {
    const first = devices.find((d) => d.kind === OS_BOOT_KIND[dev]);
    return first ? [first.device] : [];
  });
  return { order, style: "os" };
}

export function bootDeviceKey(device: BootDevice): string {
  return device.kind === "disk" ? `disk:${device.target}` : `nic:${device.mac.toLowerCase()}`;
}

function domainNode(tree: OrderedNode[]): OrderedNode {
  const domain = tree.find((n) => tagOf(n) === "domain");
  if (!domain) throw new ServiceError("domain XML has no <domain> root", "invalid");
  return domain;
}

function keyOfNode(node: OrderedNode): string | null {
  const tag = tagOf(node);
  if (tag === "disk") {
    const target = element(node, "target");
    return target ? `disk:${getAttr(target, "dev") ?? ""}` : null;
  }
  const mac = element(node, "mac");
  return tag === "interface" && mac ? `nic:${(getAttr(mac, "address") ?? "").toLowerCase()}` : null;
}

/** `<tag a='…'/>`: an element with attributes and no content. */
function emptyElement(tag: string, attributes: Record<string, string>): OrderedNode {
  const node = { [tag]: [] } as OrderedNode;
  for (const [name, value] of Object.entries(attributes)) setAttr(node, name, value);
  return node;
}

/**
 * The definition with `order` as its boot order: a `<boot order='n'/>` on each listed device,
 * none on the other disks and NICs. libvirt refuses `<os><boot dev>` together with per-device boot
 * elements, so the `<os>` list goes. Devices this editor does not list (host and USB pass-through)
 * keep their relative order, after ours.
 */
export function applyBootOrder(domainXml: string, order: readonly BootDevice[], context: string): string {
  if (!order.length) throw new ServiceError(`${context}: a boot order needs at least one device`, "invalid");
  const keys = order.map(bootDeviceKey);
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicate) throw new ServiceError(`${context}: ${describeKey(duplicate)} is listed twice in the boot order`, "invalid");
  const tree = parseOrdered(domainXml, "domain XML");
  const domain = domainNode(tree);
  const os = element(domain, "os");
  if (os) removeChildren(os, "boot");
  const devices = element(domain, "devices");
  const nodes = devices ? [...elements(devices, "disk"), ...elements(devices, "interface")] : [];
  const byKey = new Map(nodes.flatMap((n) => (keyOfNode(n) ? [[keyOfNode(n)!, n] as const] : [])));
  const missing = keys.find((k) => !byKey.has(k));
  if (missing) throw new ServiceError(`${context}: has no ${describeKey(missing)}`, "invalid");
  for (const node of nodes) removeChildren(node, "boot");
  keys.forEach((key, i) => {
    const node = byKey.get(key)!;
    node[tagOf(node)!]!.push(emptyElement("boot", { order: String(i + 1) }));
  });
  const others = devices
    ? [...elements(devices, "hostdev"), ...elements(devices, "redirdev")]
        .map((node) => ({ node, boot: element(node, "boot") }))
        .filter((o): o is { node: OrderedNode; boot: OrderedNode } => o.boot !== undefined)
        .sort((a, b) => Number(getAttr(a.boot, "order") ?? 0) - Number(getAttr(b.boot, "order") ?? 0))
    : [];
  others.forEach((o, i) => setAttr(o.boot, "order", String(keys.length + i + 1)));
  return buildOrdered(tree);
}

function describeKey(key: string): string {
  const [kind, name] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
  return kind === "disk" ? `disk ${name}` : `network interface ${name}`;
}

/** What to put into a CD-ROM drive: a file (an ISO) or a host block device. */
export interface Media {
  path: string;
  type: "file" | "block";
  /** The image format for `<driver type>`; raw for an ISO. */
  format: string;
}

/**
 * The `<disk>` element for virDomainUpdateDeviceFlags that puts `media` into the drive with target
 * `target` (null: ejects it). Built from the drive's own element, so libvirt matches it by target
 * and keeps its bus, address and alias; only the source (and the type and format that go with it) change.
 */
export function mediaChangeXml(domainXml: string, target: string, media: Media | null, context: string): string {
  const tree = parseOrdered(domainXml, "domain XML");
  const devices = element(domainNode(tree), "devices");
  const disk =
    devices &&
    elements(devices, "disk").find((d) => {
      const own = element(d, "target");
      return own !== undefined && getAttr(own, "dev") === target;
    });
  if (!disk) throw new ServiceError(`${context}: has no drive ${target}`, "not_found");
  const kind = getAttr(disk, "device") ?? "disk";
  if (kind !== "cdrom" && kind !== "floppy") {
    throw new ServiceError(`${context}: ${target} is a ${kind}, not a CD-ROM drive; only removable media can be changed`, "invalid");
  }
  const copy = structuredClone(disk);
  removeChildren(copy, "source");
  removeChildren(copy, "backingStore");
  if (media) {
    setAttr(copy, "type", media.type);
    const source = emptyElement("source", { [media.type === "block" ? "dev" : "file"]: media.path });
    const body = copy.disk!;
    const driver = body.findIndex((n) => tagOf(n) === "driver");
    body.splice(driver + 1, 0, source);
    if (driver >= 0) setAttr(body[driver]!, "type", media.format);
  } else {
    // An empty drive keeps type='file' with no source, which is how libvirt writes an ejected CD-ROM.
    setAttr(copy, "type", "file");
  }
  return buildOrdered([copy]);
}
