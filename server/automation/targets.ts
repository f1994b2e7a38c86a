import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import { resolveHost } from "../hosts/connection";
import { listHosts } from "../hosts/service";
import { acrossHosts } from "../hosts/fan-out";
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
 * target; a VM target outside them answers "not found", like a missing VM). Every host is read at
 * once; one that fails or does not answer within KVMM_HOST_TIMEOUT_S is a failure line of the run.
 */
export async function resolveRunTargets(db: Db, user: SessionUser, schedule: ScheduleRow): Promise<RunTargets> {
  if (schedule.targetKind === "vm") return { vms: [await resolveVm(resolveHost(db, schedule.hostId!), user, schedule.vmUuid!)], hostErrors: [] };
  const hostIds = schedule.hostId ? [schedule.hostId] : listHosts(db).map((h) => h.id);
  const tag = schedule.targetKind === "tag" ? schedule.tag : null;
  const answers = await acrossHosts(
    hostIds.map((id) => ({ id })),
    (host) => hostVms(db, user, host.id, tag),
  );
  const vms = answers.flatMap((a) => (a.ok ? a.value : []));
  const hostErrors = answers.flatMap((a): RunTargets["hostErrors"] => (a.ok ? [] : [{ hostId: a.hostId, message: a.error }]));
  return { vms, hostErrors };
}
