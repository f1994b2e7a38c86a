import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import { resolveHost } from "../hosts/connection";
import { listHosts } from "../hosts/service";
import { resolveVm, vmsInScope, type ResolvedVm } from "../domains/lookup";
import { tagsOf } from "../domains/tags";
import { uuidToString } from "../libvirt";
import { withLibvirtContext } from "../errors";
import type { ScheduleRow } from "./service";

/** What a run acts on: the VMs found, and a failure line for each host that could not be read. */
export interface RunTargets {
  vms: ResolvedVm[];
  hostErrors: { hostId: string; message: string }[];
}

async function hostVms(db: Db, user: SessionUser, hostId: string, tag: string | null): Promise<ResolvedVm[]> {
  const host = resolveHost(db, hostId);
  const doms = await withLibvirtContext(host.context, () => vmsInScope(user, hostId, host.conn));
  const tagged = async (d: (typeof doms)[number]) => tag === null || (await tagsOf(hostId, host.conn, d).catch((): string[] => [])).includes(tag);
  const keep = await Promise.all(doms.map(tagged));
  const chosen = doms.filter((_, i) => keep[i]);
  return Promise.all(chosen.map((d) => resolveVm(host, user, uuidToString(d.uuid))));
}

/**
 * The VMs of a schedule's target as its creator sees them now (their grants narrow a host or tag
 * target; a VM target outside them answers "not found", like a missing VM).
 */
export async function resolveRunTargets(db: Db, user: SessionUser, schedule: ScheduleRow): Promise<RunTargets> {
  if (schedule.targetKind === "vm") return { vms: [await resolveVm(resolveHost(db, schedule.hostId!), user, schedule.vmUuid!)], hostErrors: [] };
  const hostIds = schedule.hostId ? [schedule.hostId] : listHosts(db).map((h) => h.id);
  const tag = schedule.targetKind === "tag" ? schedule.tag : null;
  const found = await Promise.allSettled(hostIds.map((id) => hostVms(db, user, id, tag)));
  const vms: ResolvedVm[] = [];
  const hostErrors: RunTargets["hostErrors"] = [];
  found.forEach((r, i) => {
    if (r.status === "fulfilled") vms.push(...r.value);
    else hostErrors.push({ hostId: hostIds[i]!, message: r.reason instanceof Error ? r.reason.message : String(r.reason) });
  });
  return { vms, hostErrors };
}
