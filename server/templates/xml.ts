import { cloneDomainXml } from "../domains/clone";
import { ServiceError } from "../errors";
import { nextFreeTarget } from "../storage/xml";
import { buildOrdered, element, elements, getAttr, parseOrdered, removeChildren, setAttr, tagOf, type OrderedNode } from "../xml/ordered";

/**
 * Pure XML of templates (server/templates/README.md): the definition a template keeps (the source
 * VM's, its disks pointed at the template's copies) and the definition of a VM deployed from it (its
 * disks pointed at the new volumes, a cloud-init seed CD-ROM added). Both go through
 * `cloneDomainXml`, which drops what must be unique (UUID, MACs, NVRAM, socket paths, fixed ports);
 * everything else — `<os>` with a direct kernel, devices, CPU — stays as the source had it.
 */

/** A disk of the new definition: its target and the volume that now backs it. */
export interface DiskPlacement {
  target: string;
  path: string;
  /** The volume's format (qcow2, raw): the disk's `<driver type>`. */
  format: string;
  /** A block device (a logical pool's volume) or a file. */
  type: "file" | "block";
}

/** The file name a NoCloud seed volume ends with (server/domains/cloud-init.ts `seedVolumeName`). */
const SEED_SUFFIX = "-cidata.iso";

function domainOf(tree: OrderedNode[]): OrderedNode {
  const domain = tree.find((n) => tagOf(n) === "domain");
  if (!domain) throw new ServiceError("domain XML has no <domain> root", "invalid");
  return domain;
}

function sourceOf(disk: OrderedNode): string | undefined {
  const source = element(disk, "source");
  return source && (getAttr(source, "file") ?? getAttr(source, "dev") ?? getAttr(source, "volume"));
}

function isSeedCdrom(disk: OrderedNode): boolean {
  return getAttr(disk, "device") === "cdrom" && (sourceOf(disk)?.endsWith(SEED_SUFFIX) ?? false);
}

/** Points each placed disk at its volume: a plain file or block source, its format, no backing chain of the old image. */
function placeDisks(devices: OrderedNode, placements: readonly DiskPlacement[]): void {
  const byTarget = new Map(placements.map((p) => [p.target, p]));
  const placed = new Set<string>();
  for (const disk of elements(devices, "disk")) {
    const target = element(disk, "target");
    const place = target && byTarget.get(getAttr(target, "dev") ?? "");
    if (!place) continue;
    setAttr(disk, "type", place.type);
    // The copy (or the overlay) carries its own chain; libvirt reads it from the image.
    removeChildren(disk, "backingStore");
    const source = { source: [], ":@": { [place.type === "block" ? "@_dev" : "@_file"]: place.path } } as unknown as OrderedNode;
    const children = disk.disk ?? [];
    const at = children.findIndex((c) => tagOf(c) === "source");
    if (at >= 0) children[at] = source;
    else children.unshift(source);
    const driver = element(disk, "driver");
    if (driver) setAttr(driver, "type", place.format);
    else children.unshift({ driver: [], ":@": { "@_name": "qemu", "@_type": place.format } } as unknown as OrderedNode);
    disk.disk = children;
    placed.add(place.target);
  }
  const missing = placements.find((p) => !placed.has(p.target));
  if (missing) throw new ServiceError(`domain XML has no disk ${missing.target}`, "invalid");
}

/**
 * The definition a template keeps: the source VM's inactive XML under the template's name, each
 * copied disk pointed at its copy, an earlier cloud-init seed CD-ROM removed (each deploy gets its
 * own), and what must be unique dropped.
 */
export function templateDomainXml(sourceXml: string, templateName: string, copies: readonly DiskPlacement[]): string {
  const tree = parseOrdered(sourceXml, "domain XML");
  const devices = element(domainOf(tree), "devices");
  if (devices) {
    devices.devices = (devices.devices ?? []).filter((d) => !(tagOf(d) === "disk" && isSeedCdrom(d)));
    placeDisks(devices, copies);
  } else if (copies.length) throw new ServiceError("domain XML has no <devices>", "invalid");
  return cloneDomainXml(buildOrdered(tree), templateName, new Map());
}

/** A seed CD-ROM to attach: the seed volume's path. */
export interface SeedPlacement {
  path: string;
  type: "file" | "block";
}

/**
 * The definition of a VM deployed from a template: the template's with the VM's name, each disk on
 * its new volume, and the cloud-init seed (if any) as a read-only SATA CD-ROM on the first free sdX.
 */
export function deployDomainXml(templateXml: string, vmName: string, disks: readonly DiskPlacement[], seed?: SeedPlacement): string {
  const tree = parseOrdered(templateXml, "domain XML");
  const domain = domainOf(tree);
  let devices = element(domain, "devices");
  if (!devices) {
    devices = { devices: [] } as unknown as OrderedNode;
    domain.domain = [...(domain.domain ?? []), devices];
  }
  // A template made outside this manager may still carry a seed: the deploy's own replaces it.
  devices.devices = (devices.devices ?? []).filter((d) => !(tagOf(d) === "disk" && isSeedCdrom(d)));
  placeDisks(devices, disks);
  if (seed) {
    const used = elements(devices, "disk").map((d) => getAttr(element(d, "target") ?? ({} as OrderedNode), "dev") ?? "");
    const target = nextFreeTarget("sata", used);
    if (!target) throw new ServiceError(`VM "${vmName}": no free SATA target for the cloud-init seed`, "invalid");
    const cdrom = {
      disk: [
        { driver: [], ":@": { "@_name": "qemu", "@_type": "raw" } },
        { source: [], ":@": { [seed.type === "block" ? "@_dev" : "@_file"]: seed.path } },
        { target: [], ":@": { "@_dev": target, "@_bus": "sata" } },
        { readonly: [] },
      ],
      ":@": { "@_type": seed.type, "@_device": "cdrom" },
    } as unknown as OrderedNode;
    // After the last disk: libvirt keeps devices of a kind together, and the boot order follows the disks' order.
    const list = devices.devices ?? [];
    const lastDisk = list.map((d) => tagOf(d)).lastIndexOf("disk");
    list.splice(lastDisk + 1, 0, cdrom);
    devices.devices = list;
  }
  return cloneDomainXml(buildOrdered(tree), vmName, new Map());
}
