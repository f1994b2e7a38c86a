// Which mounts fs_freeze freezes, from the system's mountinfo (proc(5)): writable filesystems on a
// block device, in mount order. Pure, so the rules are tested without a guest.
import { pseudoFilesystems } from "../platform/linux/disks";

export interface MountInfoEntry {
  mountId: number;
  parentId: number;
  mountpoint: string;
  /** Per-mount options (ro/rw of this mount). */
  options: string[];
  fstype: string;
  source: string;
  /** Superblock options (ro/rw of the filesystem). */
  superOptions: string[];
}

/**
 * Filesystems with nothing to freeze or that cannot be frozen: memory-backed ones (tmpfs, the
 * initramfs' rootfs), stacked ones (overlay: its upper filesystem is frozen in its own right),
 * read-only images, and network or host-shared ones (freezing them would stop other clients, and
 * most refuse FIFREEZE).
 */
const notFreezable = new Set([
  ...pseudoFilesystems,
  "tmpfs",
  "rootfs",
  "ramfs",
  "overlay",
  "squashfs",
  "iso9660",
  "udf",
  "nfs",
  "nfs4",
  "cifs",
  "smb3",
  "smbfs",
  "9p",
  "ceph",
  "glusterfs",
  "afs",
  "virtiofs",
  "fuse",
  "fuseblk",
]);

/** The `\040`-style octal escapes mountinfo uses for space, tab, newline and backslash. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-", 6);
    if (separator < 0 || fields.length < separator + 3) continue;
    entries.push({
      mountId: Number(fields[0]),
      parentId: Number(fields[1]),
      mountpoint: unescape(fields[4]!),
      options: fields[5]!.split(","),
      fstype: fields[separator + 1]!,
      source: unescape(fields[separator + 2]!),
      superOptions: (fields[separator + 3] ?? "").split(","),
    });
  }
  return entries;
}

function freezable(entry: MountInfoEntry): boolean {
  if (notFreezable.has(entry.fstype) || entry.fstype.startsWith("fuse.")) return false;
  if (entry.options.includes("ro") || entry.superOptions.includes("ro")) return false;
  // A filesystem on a block device (/dev/vda1, /dev/mapper/…); anything else has no disk to make consistent.
  return entry.source.startsWith("/dev/");
}

/**
 * The mount points to freeze, in mount order (thaw order; freeze goes in reverse). Only the mount
 * visible at each mount point counts (a later mount hides an earlier one there), and a filesystem
 * mounted at several places (bind mounts, btrfs subvolumes of one device) is frozen once, at its
 * first place: a second FIFREEZE of one superblock fails with EBUSY.
 */
export function mountsToFreeze(entries: readonly MountInfoEntry[]): string[] {
  const visible = new Map<string, MountInfoEntry>();
  for (const entry of entries) {
    visible.delete(entry.mountpoint);
    visible.set(entry.mountpoint, entry);
  }
  const seenSources = new Set<string>();
  const mounts: string[] = [];
  for (const entry of visible.values()) {
    if (!freezable(entry) || seenSources.has(entry.source)) continue;
    seenSources.add(entry.source);
    mounts.push(entry.mountpoint);
  }
  return mounts;
}
