import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { formatBytes } from "@/app/_components/format";

type Change = inferRouterOutputs<AppRouter>["vms"]["setResources"]["changes"][number];

const NAMES: Record<Change["what"], string> = {
  vcpus: "vCPUs",
  maxVcpus: "Maximum vCPUs",
  memoryKiB: "Memory",
  maxMemoryKiB: "Maximum memory",
};

function figure(what: Change["what"], value: number): string {
  return what === "vcpus" || what === "maxVcpus" ? String(value) : formatBytes(value * 1024);
}

/** "vCPUs 1 → 2: now and at next boot", one line per figure changed, for the notice after saving. */
export function changeWords(change: Change): string {
  return `${NAMES[change.what]} ${figure(change.what, change.from)} → ${figure(change.what, change.to)}: ${change.applies}`;
}
