import type { SessionUser } from "../users/service";
import { coversHost } from "../auth/permissions";
import { ServiceError } from "../errors";

type Narrowable = Pick<SessionUser, "role" | "grants">;

/** Whether the user sees (and, role permitting, manages) the host's shared resources: see `coversHost`. */
export function userCoversHost(user: Narrowable, hostId: string): boolean {
  return coversHost(user.role, user.grants, hostId);
}

/**
 * Storage pools, volumes and networks serve every VM of a host, so changing them is for users
 * whose grants cover the whole host, whatever their role allows. Refused whether or not the
 * named pool or network exists, so the refusal tells nothing about the host.
 */
export function assertCoversHost(user: Narrowable, hostId: string): void {
  if (userCoversHost(user, hostId)) return;
  throw new ServiceError(`host "${hostId}": your grants cover only some of its VMs, not its storage and networks`, "forbidden");
}
