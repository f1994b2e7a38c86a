import type { HostListItem } from "@/server/hosts/contract";

/** Hosts a VM can move to from `fromHostId`: enabled, connected, another one. */
export function migrationTargets<H extends Pick<HostListItem, "id" | "enabled" | "connection">>(hosts: readonly H[], fromHostId: string): H[] {
  return hosts.filter((h) => h.id !== fromHostId && h.enabled && h.connection.state === "connected");
}
