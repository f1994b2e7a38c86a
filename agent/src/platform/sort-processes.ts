import type { ProcessEntry } from "../../protocol/index";
import type { ProcessQuery } from "./platform";

export function sortProcesses(processes: ProcessEntry[], sortBy: ProcessQuery["sortBy"]): ProcessEntry[] {
  const compare: Record<ProcessQuery["sortBy"], (a: ProcessEntry, b: ProcessEntry) => number> = {
    cpu: (a, b) => b.cpu_percent - a.cpu_percent || b.rss_bytes - a.rss_bytes,
    memory: (a, b) => b.rss_bytes - a.rss_bytes,
    pid: (a, b) => a.pid - b.pid,
    name: (a, b) => a.name.localeCompare(b.name) || a.pid - b.pid,
  };
  return [...processes].sort(compare[sortBy]);
}
