import { statfsSync, type StatsFs } from "node:fs";
import { statfs } from "../../fs-async";
import { ErrorCode, RpcError } from "../../../protocol/errors";
import type { DiskUsage } from "../../../protocol/index";
import { parseMounts, type MountEntry } from "./procfs";
import { ProcFile } from "./read";
import { systemMountView, type MountView } from "./system-mounts";

type Filesystem = DiskUsage["filesystems"][number];

/** Filesystems with no storage behind them; `include_pseudo` lists them too. */
export const pseudoFilesystems = new Set([
  "autofs",
  "binfmt_misc",
  "bpf",
  "cgroup",
  "cgroup2",
  "configfs",
  "debugfs",
  "devpts",
  "devtmpfs",
  "efivarfs",
  "fusectl",
  "hugetlbfs",
  "mqueue",
  "nsfs",
  "proc",
  "pstore",
  "ramfs",
  "rpc_pipefs",
  "securityfs",
  "selinuxfs",
  "sysfs",
  "tracefs",
]);

/** A hung network filesystem must not hang the whole answer. */
const STATFS_TIMEOUT_MS = 2_000;

/**
 * Filesystems whose statfs(2) the kernel answers from memory, never waiting on a network, a FUSE
 * daemon or a device: asked synchronously. Telemetry asks every mount each pass, and each
 * asynchronous statfs wakes a thread-pool thread and costs a promise, a timer and an event-loop turn.
 * In the busybox test guest (four mounts) the disk part of a telemetry pass, run alone every 10 s,
 * went from 0.125 to 0.050 % of a TCG vCPU with this and the mount-table reuse below. Anything else
 * (nfs, cifs, fuse.*, 9p, an unknown type) keeps the thread pool and the timeout.
 */
const MEMORY_ANSWERED = new Set([
  "ext2",
  "ext3",
  "ext4",
  "xfs",
  "btrfs",
  "f2fs",
  "jfs",
  "reiserfs",
  "vfat",
  "exfat",
  "tmpfs",
  "overlay",
  "squashfs",
  "iso9660",
  // An initramfs root (the busybox test guest's).
  "rootfs",
]);

export function statfsMayBlock(fstype: string): boolean {
  return !MEMORY_ANSWERED.has(fstype);
}

/** Read for every telemetry sample: kept open (read.ts), one per table. */
const mountTables = new Map<string, ProcFile>();

function mountTable(path: string): ProcFile {
  let file = mountTables.get(path);
  if (!file) mountTables.set(path, (file = new ProcFile(path)));
  return file;
}

/**
 * The guest's filesystems as its system mounts them (system-mounts.ts), each measured through the
 * path the agent reaches it by. `writableOnly` (telemetry, which reports writable filesystems only)
 * leaves read-only mounts out before their statfs.
 */
export async function linuxDiskUsage(includePseudo: boolean, writableOnly = false, view: MountView = systemMountView()): Promise<DiskUsage> {
  // fs.statfs arrived in Node 18.15; Debian 12 and Ubuntu 24.04 ship 18.19, but older 18.x exist.
  if (typeof statfs !== "function") {
    throw new RpcError(ErrorCode.InternalError, `get_disk_usage needs Node.js 18.15 or newer; this is ${process.version}`);
  }
  const mounts = visibleMounts(mountTable(view.mounts).read() ?? "", includePseudo);
  const filesystems = await Promise.all((writableOnly ? mounts.filter((mount) => !mount.readOnly) : mounts).map((mount) => usageOf(mount, view)));
  return { filesystems: filesystems.filter((fs): fs is Filesystem => fs !== null) };
}

/** The mount table changes seldom and telemetry reads it every pass: the last answer, reused while the text is the same. */
let lastMounts: { text: string; includePseudo: boolean; visible: MountEntry[] } | null = null;

function visibleMounts(text: string, includePseudo: boolean): MountEntry[] {
  if (lastMounts?.text === text && lastMounts.includePseudo === includePseudo) return lastMounts.visible;
  const wanted = new Map<string, MountEntry>();
  // The last mount on a mountpoint is the one visible there.
  for (const mount of parseMounts(text)) {
    if (includePseudo || !pseudoFilesystems.has(mount.fstype)) wanted.set(mount.mountpoint, mount);
  }
  lastMounts = { text, includePseudo, visible: [...wanted.values()] };
  return lastMounts.visible;
}

async function usageOf(mount: MountEntry, view: MountView): Promise<Filesystem | null> {
  const path = view.path(mount.mountpoint);
  if (!statfsMayBlock(mount.fstype)) {
    try {
      return usage(mount, statfsSync(path));
    } catch {
      return null;
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), STATFS_TIMEOUT_MS);
  });
  const stats = await Promise.race([statfs(path).catch(() => null), timeout]);
  clearTimeout(timer);
  return stats ? usage(mount, stats) : null;
}

function usage(mount: MountEntry, stats: StatsFs): Filesystem {
  const total = stats.blocks * stats.bsize;
  const free = stats.bfree * stats.bsize;
  return {
    device: mount.device,
    mountpoint: mount.mountpoint,
    fstype: mount.fstype,
    read_only: mount.readOnly,
    total_bytes: total,
    used_bytes: total - free,
    free_bytes: free,
    available_bytes: stats.bavail * stats.bsize,
    inodes_total: stats.files,
    inodes_used: Math.max(0, stats.files - stats.ffree),
    inodes_free: stats.ffree,
  };
}
