import { useTranslations } from "next-intl";
import type { VmState } from "@/server/domains/power";

const TONE: Record<VmState, string> = {
  running: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100",
  blocked: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100",
  paused: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100",
  pmsuspended: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100",
  shutdown: "bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-100",
  shutoff: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
  crashed: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
  nostate: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
};

/** Each libvirt run state's name in the "common" catalog (common.state.*): blocked reads as running, as people see it. */
export const VM_STATE_KEY = {
  running: "running",
  blocked: "running",
  paused: "paused",
  pmsuspended: "suspended",
  shutdown: "shuttingDown",
  shutoff: "shutOff",
  crashed: "crashed",
  nostate: "unknown",
} as const satisfies Record<VmState, string>;

/** The words for a VM's run state in the page's language ("running", "shut off"): for filters, tables and notices. */
export function useVmStateLabel(): (state: VmState) => string {
  const t = useTranslations("common.state");
  return (state) => t(VM_STATE_KEY[state]);
}

export function VmStateBadge({ state }: { state: VmState }) {
  const label = useVmStateLabel();
  return <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${TONE[state]}`}>{label(state)}</span>;
}
