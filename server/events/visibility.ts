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
  if (event.type === "alert") {
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
