import { uuidToString, VIR_DOMAIN_XML_INACTIVE, type Connection, type protocol } from "../libvirt";
import { withLibvirtContext, ServiceError } from "../errors";
import { buildVolumeXml, parseVolumeXml } from "../storage/xml";
import { buildOrdered, element, elements, getAttr, parseOrdered, removeAttr, removeChildren, setAttr, setText, type OrderedNode } from "../xml/ordered";
import type { ResolvedVm } from "./lookup";
import { vmStateName } from "./power";
import type { TaskHandle } from "../tasks/runner";
import { parseDomainXml } from "./xml";

/**
 * The clone's definition: the source's XML with a new name, its disks pointed at the copies, and
 * everything that must be unique dropped for libvirt to assign anew (UUID, MACs, NVRAM file,
 * channel socket paths, fixed VNC ports, serial output files).
 */
export function cloneDomainXml(xml: string, newName: string, diskPaths: ReadonlyMap<string, string>): string {
  const tree = parseOrdered(xml, "domain XML");
  const domain = tree.find((n) => "domain" in n);
  if (!domain) throw new ServiceError("domain XML has no <domain> root", "invalid");
  const name = element(domain, "name");
  if (name) setText(name, newName);
  removeChildren(domain, "uuid");
  const os = element(domain, "os");
  if (os) removeChildren(os, "nvram");
  const devices = element(domain, "devices");
  if (devices) rewriteDevices(devices, diskPaths);
  return buildOrdered(tree);
}

function rewriteDevices(devices: OrderedNode, diskPaths: ReadonlyMap<string, string>) {
  for (const disk of elements(devices, "disk")) {
    const source = element(disk, "source");
    for (const key of ["file", "dev"]) {
      const path = source && getAttr(source, key);
      const copy = path && diskPaths.get(path);
      if (source && copy) setAttr(source, key, copy);
    }
  }
  for (const nic of elements(devices, "interface")) removeChildren(nic, "mac");
  for (const channel of elements(devices, "channel")) {
    const source = element(channel, "source");
    if (source && getAttr(source, "mode") === "bind") removeAttr(source, "path");
  }
  // A serial port or console writing to a file would make the source and its copy write (and, with
  // append off, truncate) one file: the copy's becomes a pty, reached through the console as usual.
  for (const port of [...elements(devices, "serial"), ...elements(devices, "console")]) {
    removeChildren(port, "log");
    if (getAttr(port, "type") === "file") {
      setAttr(port, "type", "pty");
      removeChildren(port, "source");
    }
  }
  for (const graphics of elements(devices, "graphics")) {
    if (getAttr(graphics, "autoport") === "no" || getAttr(graphics, "port")) {
      setAttr(graphics, "port", "-1");
      setAttr(graphics, "autoport", "yes");
    }
  }
}

/** A volume name for the copy: the source's with the VM's name swapped, else prefixed with the clone's. */
export function cloneVolumeName(volume: string, sourceVm: string, newVm: string): string {
  return volume.startsWith(sourceVm) ? `${newVm}${volume.slice(sourceVm.length)}` : `${newVm}-${volume}`;
}

async function copyVolume(
  conn: Connection,
  path: string,
  sourceVm: string,
  newVm: string,
): Promise<{ from: string; to: string; vol: protocol.NonnullStorageVol }> {
  const source = await conn.storageVolLookupByPath({ path });
  const pool = await conn.storagePoolLookupByVolume({ vol: source });
  const info = parseVolumeXml(await conn.storageVolGetXmlDesc({ vol: source, flags: 0 }));
  const xml = buildVolumeXml({
    name: cloneVolumeName(source.name, sourceVm, newVm),
    capacityBytes: info.capacityBytes,
    format: info.format === "qcow2" || info.format === "raw" ? info.format : undefined,
  });
  const vol = await conn.storageVolCreateXmlFrom({ pool, xml, clonevol: source, flags: 0 });
  return { from: path, to: await conn.storageVolGetPath({ vol }), vol };
}

/**
 * Copies a shut-off VM and its writable disks; shared read-only media (ISOs) are referenced, not copied.
 * As a task: progress by disks copied (libvirt copies one volume in one call, which it cannot abort),
 * so a cancel takes effect between disks and deletes the copies made so far.
 */
export async function cloneVm(vm: ResolvedVm, newName: string, task?: TaskHandle): Promise<{ uuid: string; name: string }> {
  const { conn, dom } = vm;
  return withLibvirtContext(vm.context, async () => {
    const { state } = await conn.domainGetState({ dom, flags: 0 });
    if (vmStateName(state) !== "shutoff") throw new ServiceError(`${vm.context}: shut it off before cloning it`, "conflict");
    if (await conn.domainLookupByName({ name: newName }).catch(() => null)) {
      throw new ServiceError(`${vm.context}: a VM named "${newName}" already exists`, "conflict");
    }
    const xml = await conn.domainGetXmlDesc({ dom, flags: VIR_DOMAIN_XML_INACTIVE });
    const writable = parseDomainXml(xml).disks.filter((d) => d.device === "disk" && !d.readonly && d.source);
    const copies: Awaited<ReturnType<typeof copyVolume>>[] = [];
    try {
      for (const [i, disk] of writable.entries()) {
        if (task?.signal.aborted) throw new ServiceError(`${vm.context}: cloning cancelled; the ${copies.length} disk copies made were deleted`, "conflict");
        const path = disk.source!;
        task?.log(`Copying disk ${disk.target} (${path})`);
        task?.progress({ fraction: i / writable.length });
        const copy = await copyVolume(conn, path, vm.name, newName).catch((err: unknown) => {
          throw new ServiceError(`${vm.context}: disk ${disk.target} (${path}) cannot be copied: ${(err as Error).message}`, "invalid", { cause: err });
        });
        copies.push(copy);
        task?.log(`Disk ${disk.target} copied to ${copy.to}`);
      }
      task?.setCancellable(false);
      const clone = await conn.domainDefineXmlFlags({ xml: cloneDomainXml(xml, newName, new Map(copies.map((c) => [c.from, c.to]))), flags: 0 });
      return { uuid: uuidToString(clone.uuid), name: clone.name };
    } catch (err) {
      for (const c of copies) await conn.storageVolDelete({ vol: c.vol, flags: 0 }).catch(() => undefined);
      throw err;
    }
  });
}
