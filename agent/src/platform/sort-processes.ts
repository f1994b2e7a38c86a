import type { ProcessEntry } from "../../protocol/index";
import type { ProcessQuery } from "./platform";

/**
 * Names in code-unit order, as `LC_ALL=C ls` sorts: localeCompare loads ICU's collation data, ~3 MiB
 * of RSS an agent keeps for life after one sorted list (node 20, measured natively).
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortProcesses(processes: ProcessEntry[], sortBy: ProcessQuery["sortBy"]): ProcessEntry[] {
  const compare: Record<ProcessQuery["sortBy"], (a: ProcessEntry, b: ProcessEntry) => number> = {
    cpu: (a, b) => b.cpu_percent - a.cpu_percent || b.rss_bytes - a.rss_bytes,
    memory: (a, b) => b.rss_bytes - a.rss_bytes,
    pid: (a, b) => a.pid - b.pid,
    name: (a, b) => byCodeUnits(a.name, b.name) || a.pid - b.pid,
  };
  return [...processes].sort(compare[sortBy]);
}
