import type { ScheduleTarget } from "./schemas";

/**
 * Whether a schedule belongs under a host filter (the /schedules page's `?host=`): its target is a
 * VM on that host, that host, or a tag on that host. A tag schedule on every host (`hostId` null)
 * belongs under every host's filter: it acts on that host's VMs with the tag as much as on any other's.
 */
export function scheduleCoversHost(target: ScheduleTarget, hostId: string): boolean {
  if (target.kind === "tag") return target.hostId === null || target.hostId === hostId;
  return target.hostId === hostId;
}
