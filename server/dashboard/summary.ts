import { decodeTypedParams, uuidToString, VIR_DOMAIN_STATS_STATE } from "../libvirt";
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import { coversHost, roleHas, vmInScope } from "../auth/permissions";
import { resolveHost } from "../hosts/connection";
import { listHosts } from "../hosts/service";
import { withLibvirtContext } from "../errors";
import { acrossHosts } from "../hosts/fan-out";
import { VM_STATES, vmStateName, type VmState } from "../domains/power";
import { tagsOf } from "../domains/tags";
import { runningGuestHub } from "../guest";
import { ALERT_SEVERITIES, type AlertSeverity } from "../alerts/kinds";
import { listAlerts } from "../alerts/store";
import { vmVisibleTo } from "../events/visibility";
import { listAudit } from "../audit/log";
import type { AuditResult } from "../db/schema";

/** The most firing alerts counted, as the navigation badge reads them (beyond it, the count is still "many"). */
const ALERT_LIMIT = 500;
/** The audit card's length. */
export const RECENT_AUDIT = 8;

/** Which guest agent answers in a running VM: ours (preferred when both do), qemu-guest-agent, or none. */
export type AgentKind = "agent" | "qga" | "none";

export interface DashboardAuditEntry {
  id: number;
  at: number;
  username: string | null;
  action: string;
  target: string | null;
  result: AuditResult;
}

export interface DashboardSummary {
  /** The VMs the user may see, by the state libvirt reports for each. */
  states: Record<VmState, number>;
  /** Of those running (libvirt's running or blocked), which guest agent each has connected. */
  agents: Record<AgentKind, number>;
  /** Hosts whose VMs could not be read: their VMs are missing from the counts. */
  unreachable: { hostId: string; error: string }[];
  /** Firing alerts the user may see that no silence covers (what the navigation badge counts), by severity; null without alert.read. */
  alerts: Record<AlertSeverity, number> | null;
  /** The newest audit rows; null for users who may not read the audit log. */
  audit: DashboardAuditEntry[] | null;
}

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/**
 * One host's VMs the user may see, each with its state: one bulk stats call (state only) for the
 * whole host, however many VMs it holds; tags (from the tag cache) only when a grant names one.
 */
async function hostVmStates(user: SessionUser, hostId: string, db: Db): Promise<{ uuid: string; state: VmState }[]> {
  const { conn, context } = resolveHost(db, hostId);
  return withLibvirtContext(context, async () => {
    const records = await conn.connectGetAllDomainStats({ doms: [], stats: VIR_DOMAIN_STATS_STATE, flags: 0 });
    const vms = records.map((r) => ({
      dom: r.dom,
      uuid: uuidToString(r.dom.uuid),
      state: vmStateName(Number(decodeTypedParams(r.params)["state.state"] ?? 0)),
    }));
    if (coversHost(user.role, user.grants, hostId)) return vms;
    const needsTags = user.grants.some((g) => g.kind === "tag");
    // A VM whose tags cannot be read (gone meanwhile) is judged without them, as the VM list does.
    const tags = await Promise.all(vms.map((vm) => (needsTags ? tagsOf(hostId, conn, vm.dom, vm.uuid).catch(() => []) : [])));
    return vms.filter((vm, i) => vmInScope(user.role, user.grants, { hostId, name: vm.dom.name, tags: tags[i]! }));
  });
}

async function alertCounts(db: Db, user: SessionUser, hostId: string | undefined): Promise<Record<AlertSeverity, number>> {
  const counts = zeros(ALERT_SEVERITIES);
  const uris = new Map(listHosts(db).map((h) => [h.id, h.uri]));
  const firing = listAlerts(db, { state: "firing", hostId, limit: ALERT_LIMIT }).filter((row) => !row.silenced);
  const visible = await Promise.all(
    firing.map((row) =>
      row.uuid === null || row.vmName === null
        ? coversHost(user.role, user.grants, row.hostId)
        : vmVisibleTo(user, { hostId: row.hostId, uuid: row.uuid, name: row.vmName }, (id) => uris.get(id)),
    ),
  );
  firing.forEach((row, i) => {
    if (visible[i]) counts[row.severity]++;
  });
  return counts;
}

function recentAudit(db: Db): DashboardAuditEntry[] {
  return listAudit(db, { limit: RECENT_AUDIT }).rows.map((row) => ({
    id: row.id,
    at: row.at.getTime(),
    username: row.username,
    action: row.action,
    target: row.target,
    result: row.result,
  }));
}

/**
 * The dashboard's counts, narrowed to what the user may see: VMs by state and running VMs by
 * connected agent (one libvirt call per host; agent states from the guest hub's memory), firing
 * alerts by severity and the latest audit rows (from the database). Every host is asked at once; one
 * that fails or does not answer within KVMM_HOST_TIMEOUT_S is named instead of failing or holding up the rest.
 * With `hostId` (the page's host filter) the VM and alert counts are that host's alone, so the
 * totals are those of the hosts shown; the audit rows are the installation's, as they name no host.
 */
export async function dashboardSummary(db: Db, user: SessionUser, hostId?: string): Promise<DashboardSummary> {
  const states = zeros(VM_STATES);
  const agents = zeros<AgentKind>(["agent", "qga", "none"]);
  const hub = runningGuestHub();
  const hosts = listHosts(db).filter((h) => hostId === undefined || h.id === hostId);
  const [answers, alerts] = await Promise.all([
    acrossHosts(hosts, (host) => hostVmStates(user, host.id, db)),
    roleHas(user.role, "alert.read") ? alertCounts(db, user, hostId) : null,
  ]);
  const unreachable = answers.flatMap((a) => (a.ok ? [] : [{ hostId: a.hostId, error: a.error }]));
  const perHost = answers.flatMap((a) => (a.ok ? [{ hostId: a.hostId, vms: a.value }] : []));
  for (const { hostId, vms } of perHost) {
    for (const vm of vms) {
      states[vm.state]++;
      if (vm.state !== "running" && vm.state !== "blocked") continue;
      const status = hub?.status(hostId, vm.uuid);
      agents[status?.agent.state === "connected" ? "agent" : status?.qga.connected ? "qga" : "none"]++;
    }
  }
  return { states, agents, unreachable, alerts, audit: roleHas(user.role, "audit.read") ? recentAudit(db) : null };
}
