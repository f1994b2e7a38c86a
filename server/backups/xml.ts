import { ATTR, buildXml, type XmlNode } from "../xml/codec";
import { buildOrdered, element, elements, getAttr, parseOrdered, removeAttr, setAttr } from "../xml/ordered";
import { cloneDomainXml } from "../domains/clone";
import { parseDomainXml } from "../domains/xml";

/**
 * Pure build and parse of what a backup sends and keeps: libvirt's push-mode backup XML and
 * checkpoint XML, the disks of a domain that are backed up, the restored VM's definition, and the
 * `json:` image spec through which qemu-img reads an incremental chain without changing its files.
 */

/** A disk as the backup sees it: its target (vda), its image and that image's format. */
export interface BackupDisk {
  target: string;
  source: string;
  /** qcow2, raw…; checkpoints (and so incremental backups) need qcow2. */
  format: string;
}

/** The disks that are backed up: writable disks with a file or block source (CD-ROMs and read-only media are not). */
export function backupDisks(domainXml: string): BackupDisk[] {
  return parseDomainXml(domainXml)
    .disks.filter((d) => d.device === "disk" && !d.readonly && d.source && (d.type === "file" || d.type === "block"))
    .map((d) => ({ target: d.target, source: d.source!, format: d.format ?? "raw" }));
}

export interface BackupXmlSpec {
  /** The checkpoint an incremental backup starts from; null for a full one. */
  incremental: string | null;
  /** Each disk's target and the qcow2 file (created beforehand: the backup is begun with REUSE_EXTERNAL) it is written to. */
  disks: { target: string; file: string }[];
}

/** Push mode: QEMU writes each disk into the given file while the guest keeps running. */
export function buildBackupXml(spec: BackupXmlSpec): string {
  const backup: XmlNode = {
    [`${ATTR}mode`]: "push",
    ...(spec.incremental ? { incremental: spec.incremental } : {}),
    disks: {
      disk: spec.disks.map((d) => ({
        [`${ATTR}name`]: d.target,
        [`${ATTR}backup`]: "yes",
        [`${ATTR}type`]: "file",
        target: { [`${ATTR}file`]: d.file },
        driver: { [`${ATTR}type`]: "qcow2" },
      })),
    },
  };
  return buildXml({ domainbackup: backup });
}

/** A checkpoint (a persistent dirty bitmap in each qcow2 disk) taken at the backup's point in time. */
export function buildCheckpointXml(spec: { name: string; description?: string; targets: string[] }): string {
  const checkpoint: XmlNode = {
    name: spec.name,
    ...(spec.description ? { description: spec.description } : {}),
    disks: { disk: spec.targets.map((target) => ({ [`${ATTR}name`]: target, [`${ATTR}checkpoint`]: "bitmap" })) },
  };
  return buildXml({ domaincheckpoint: checkpoint });
}

/**
 * The restored VM's definition: the backed-up XML with a new name, no UUID and no MACs (libvirt
 * assigns new ones, as for a clone), and each backed-up disk pointed at its restored qcow2 image.
 */
export function restoredDomainXml(xml: string, newName: string, diskPaths: ReadonlyMap<string, string>): string {
  const tree = parseOrdered(cloneDomainXml(xml, newName, diskPaths), "domain XML");
  const domain = tree.find((n) => "domain" in n)!;
  const devices = element(domain, "devices");
  const restored = new Set(diskPaths.values());
  for (const disk of devices ? elements(devices, "disk") : []) {
    const source = element(disk, "source");
    const path = source && (getAttr(source, "file") ?? getAttr(source, "dev"));
    if (!path || !restored.has(path)) continue;
    // The restored image is a qcow2 file, whatever the original was (a raw file, a block device).
    setAttr(disk, "type", "file");
    if (getAttr(source, "dev") !== undefined) {
      removeAttr(source, "dev");
      setAttr(source, "file", path);
    }
    const driver = element(disk, "driver");
    if (driver) setAttr(driver, "type", "qcow2");
  }
  return buildOrdered(tree);
}

/**
 * How qemu-img opens an incremental chain read-only as one image: the newest file on top, each
 * backed by the previous one, the full backup at the bottom with no backing. The files are not
 * changed (their SHA-256 stay what the manifest says), unlike a `qemu-img rebase` in place.
 * `files` is oldest (the full backup) first.
 */
export function chainImageSpec(files: readonly string[]): string {
  if (files.length === 0) throw new Error("an image chain needs at least one file");
  let node: Record<string, unknown> | null = null;
  for (const file of files) node = { driver: "qcow2", file: { driver: "file", filename: file }, backing: node };
  return `json:${JSON.stringify(node)}`;
}
