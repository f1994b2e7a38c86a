import { uuidFromString } from "../libvirt";
import { getConnection } from "../libvirt/registry";
import { coversHost, vmInScope } from "../auth/permissions";
import type { SessionUser } from "../users/service";
import { tagsOf } from "../domains/tags";
import type { ManagerEvent } from "./bus";

/**
 * Whether a user may see an event: the same grants that filter VM lists filter the live stream,
 * and host-wide resources (networks, pools) are seen only by users whose grants cover the host,
 * as on their pages.
 */
export async function visibleTo(user: SessionUser, event: ManagerEvent, hostUri: (hostId: string) => string | undefined): Promise<boolean> {
  if (event.type === "network.lifecycle" || event.type === "pool.lifecycle" || event.type === "storage.transfer")
    return coversHost(user.role, user.grants, event.hostId);
  if (event.type === "alert" || event.type === "task") {
    if (event.uuid === null || event.name === null) return coversHost(user.role, user.grants, event.hostId);
    return vmVisibleTo(user, { hostId: event.hostId, uuid: event.uuid, name: event.name }, hostUri);
  }
  if (!("uuid" in event)) return true;
  return vmVisibleTo(user, event, hostUri);
}

/** Whether a user's grants cover a VM; tags are read from libvirt only when a grant names one. */
export async function vmVisibleTo(
  user: SessionUser,
  event: { hostId: string; uuid: string; name: string },
  hostUri: (hostId: string) => string | undefined,
): Promise<boolean> {
  if (user.role === "admin" || user.grants.length === 0) return true;
  const needsTags = user.grants.some((g) => g.kind === "tag");
  let tags: string[] = [];
  if (needsTags) {
    const uri = hostUri(event.hostId);
    if (!uri) return false;
    const dom = { name: event.name, uuid: uuidFromString(event.uuid), id: -1 };
    tags = await tagsOf(event.hostId, getConnection(event.hostId, uri), dom).catch(() => []);
  }
  return vmInScope(user.role, user.grants, { hostId: event.hostId, name: event.name, tags });
}

/**
 * What a user receives of an event, or null for nothing: a collector tick keeps only the VMs the
 * user's grants cover, and the host's own figures only for users whose grants cover the host
 * (as on the dashboard); every other event is passed whole or not at all (`visibleTo`).
 */
export async function viewFor(user: SessionUser, event: ManagerEvent, hostUri: (hostId: string) => string | undefined): Promise<ManagerEvent | null> {
  if (event.type !== "metrics.tick") return (await visibleTo(user, event, hostUri)) ? event : null;
  if (user.role === "admin" || user.grants.length === 0) return event;
  const checks = await Promise.all(
    event.vms.map((vm) => visibleTo(user, { type: "domain.metadata", hostId: event.hostId, uuid: vm.uuid, name: vm.name }, hostUri)),
  );
  const vms = event.vms.filter((_, i) => checks[i]);
  const seesHost = coversHost(user.role, user.grants, event.hostId);
  if (!seesHost && vms.length === 0) return null;
  return { ...event, host: seesHost ? event.host : { cpu: null, memoryUsed: null, memoryTotal: null }, vms };
}
