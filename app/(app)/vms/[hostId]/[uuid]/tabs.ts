import type { VmPermissions } from "./load-vm";

export type VmTab = { slug: string; label: string };

/** The VM page's tabs in the order a sysadmin reaches for them; each is offered only to who may use it. */
const TABS: readonly (VmTab & { shown: (can: VmPermissions) => boolean })[] = [
  { slug: "overview", label: "Overview", shown: () => true },
  { slug: "console", label: "Console", shown: (can) => can.console },
  { slug: "guest", label: "Guest", shown: (can) => can.guestRead },
  { slug: "files", label: "Files", shown: (can) => can.guestFiles },
  { slug: "disks", label: "Disks", shown: () => true },
  { slug: "network", label: "Network", shown: () => true },
  { slug: "snapshots", label: "Snapshots", shown: () => true },
  { slug: "settings", label: "Settings", shown: () => true },
];

export function tabsFor(can: VmPermissions): VmTab[] {
  return TABS.filter((tab) => tab.shown(can)).map(({ slug, label }) => ({ slug, label }));
}
