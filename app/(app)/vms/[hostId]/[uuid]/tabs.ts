import type { VmPermissions } from "./load-vm";

/** A tab's slug is its address and its key in the catalog (vm.tabs). */
export type VmTabSlug = "overview" | "metrics" | "console" | "guest" | "files" | "disks" | "network" | "snapshots" | "settings";

export type VmTab = { slug: VmTabSlug };

/** The VM page's tabs in the order a sysadmin reaches for them; each is offered only to who may use it. */
const TABS: readonly (VmTab & { shown: (can: VmPermissions) => boolean })[] = [
  { slug: "overview", shown: () => true },
  { slug: "metrics", shown: () => true },
  { slug: "console", shown: (can) => can.console },
  { slug: "guest", shown: (can) => can.guestRead },
  { slug: "files", shown: (can) => can.guestFiles },
  { slug: "disks", shown: () => true },
  { slug: "network", shown: () => true },
  { slug: "snapshots", shown: () => true },
  { slug: "settings", shown: () => true },
];

export function tabsFor(can: VmPermissions): VmTab[] {
  return TABS.filter((tab) => tab.shown(can)).map(({ slug }) => ({ slug }));
}
