import { statfs } from "node:fs/promises";
import { ErrorCode, RpcError } from "../../../protocol/errors";
import type { DiskUsage } from "../../../protocol/index";
import { parseMounts, type MountEntry } from "./procfs";
import { ProcFile } from "./read";

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
/** Read for every telemetry sample: kept open (read.ts). */
const mountsFile = new ProcFile("/proc/self/mounts");

export async function linuxDiskUsage(includePseudo: boolean): Promise<DiskUsage> {
  // fs.statfs arrived in Node 18.15; Debian 12 and Ubuntu 24.04 ship 18.19, but older 18.x exist.
  if (typeof statfs !== "function") {
    throw new RpcError(ErrorCode.InternalError, `get_disk_usage needs Node.js 18.15 or newer; this is ${process.version}`);
  }
  const mounts = parseMounts(mountsFile.read() ?? "");
  const wanted = new Map<string, MountEntry>();
  // The last mount on a mountpoint is the one visible there.
  for (const mount of mounts) {
    if (includePseudo || !pseudoFilesystems.has(mount.fstype)) wanted.set(mount.mountpoint, mount);
  }
  const filesystems = await Promise.all([...wanted.values()].map(usageOf));
  return { filesystems: filesystems.filter((fs): fs is Filesystem => fs !== null) };
}

async function usageOf(mount: MountEntry): Promise<Filesystem | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), STATFS_TIMEOUT_MS);
  });
  const stats = await Promise.race([statfs(mount.mountpoint).catch(() => null), timeout]);
  clearTimeout(timer);
  if (!stats) return null;
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
