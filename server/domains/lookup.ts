import { z } from "zod";
import type { Db } from "../db/client";
import type { Connection, protocol } from "../libvirt";
import { uuidFromString } from "../libvirt";
import type { SessionUser } from "../users/service";
import { vmInScope } from "../auth/permissions";
import { hostConnection } from "../hosts/connection";
import { withLibvirtContext, ServiceError } from "../errors";
import { userCoversHost } from "../hosts/scope";
import { watchHost } from "../events/bus";
import { parseDomainXml } from "./xml";
import { tagsOf } from "./tags";

export const vmNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit");

export const vmRefSchema = z.object({
  hostId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "a host id"),
  uuid: z.uuid(),
});
export type VmRefInput = z.infer<typeof vmRefSchema>;

export interface ResolvedVm {
  hostId: string;
  conn: Connection;
  dom: protocol.NonnullDomain;
  name: string;
  /** `VM "web-1" on host "local"`: the prefix of every error about this VM. */
  context: string;
}

/** Whether the user's grants let them act on this VM; tags are read from its XML only when a grant needs them. */
async function inScope(user: SessionUser, hostId: string, conn: Connection, dom: protocol.NonnullDomain): Promise<boolean> {
  if (user.role === "admin" || user.grants.length === 0) return true;
  const needsTags = user.grants.some((g) => g.kind === "tag");
  const tags = needsTags ? parseDomainXml(await conn.domainGetXmlDesc({ dom, flags: 0 })).tags : [];
  return vmInScope(user.role, user.grants, { hostId, name: dom.name, tags });
}

/**
 * Finds a VM by (host, uuid) and checks the user's grants. Out-of-scope VMs answer "not found",
 * exactly like missing ones, so grants do not reveal which VMs exist.
 */
export async function resolveVm(db: Db, user: SessionUser, ref: VmRefInput): Promise<ResolvedVm> {
  const { host, conn } = hostConnection(db, ref.hostId);
  const notFound = new ServiceError(`VM ${ref.uuid} on host "${host.id}": not found`, "not_found");
  const dom = await withLibvirtContext(`VM ${ref.uuid} on host "${host.id}"`, () => conn.domainLookupByUuid({ uuid: uuidFromString(ref.uuid) })).catch((err: unknown) => {
    throw err instanceof ServiceError && err.kind === "not_found" ? notFound : err;
  });
  const context = `VM "${dom.name}" on host "${host.id}"`;
  if (!(await withLibvirtContext(context, () => inScope(user, host.id, conn, dom)))) throw notFound;
  return { hostId: host.id, conn, dom, name: dom.name, context };
}

/**
 * The host's VMs the user may see (`id` is -1 for those not running), by the same rule and the
 * same tag cache as the VM list, so storage and counts shown beside it agree with it.
 */
export async function vmsInScope(user: SessionUser, hostId: string, conn: Connection): Promise<protocol.NonnullDomain[]> {
  const { domains } = await conn.connectListAllDomains({ needResults: 1, flags: 0 });
  if (userCoversHost(user, hostId)) return domains;
  const needsTags = user.grants.some((g) => g.kind === "tag");
  // The tag cache is kept honest by the host's events.
  if (needsTags) void watchHost(hostId, conn).catch(() => undefined);
  // A VM whose tags cannot be read (gone meanwhile) is judged without them: shown only if a name grant matches.
  const tags = await Promise.all(domains.map((dom) => (needsTags ? tagsOf(hostId, conn, dom).catch(() => []) : [])));
  return domains.filter((dom, i) => vmInScope(user.role, user.grants, { hostId, name: dom.name, tags: tags[i]! }));
}
