// What `telemetry` says about the guest's filesystems, from what get_disk_usage lists (pseudo
// filesystems already left out). Read-only ones are left out too: they cannot fill up, and a
// squashfs (snap packages) or an ISO 9660 disc always reads 100 %, which would keep a "filesystem
// above 90 %" alert firing for nothing. Fullest first, so that cutting the list to the protocol's
// bound (fit.ts) keeps the ones an alert is about.
import type { DiskUsage, TelemetryFilesystem } from "../../protocol/index";

export function filesystemUse(filesystems: DiskUsage["filesystems"]): TelemetryFilesystem[] {
  return filesystems
    .filter((fs) => !fs.read_only && fs.total_bytes > 0)
    .map((fs) => {
      // As df counts it: the blocks reserved for root are neither used nor available to anyone else.
      const usable = fs.used_bytes + fs.available_bytes;
      const percent = usable > 0 ? Math.min(100, (fs.used_bytes / usable) * 100) : 0;
      return { mount: fs.mountpoint, total_bytes: fs.total_bytes, used_bytes: fs.used_bytes, used_percent: Math.round(percent * 10) / 10 };
    })
    .sort((a, b) => b.used_percent - a.used_percent);
}
