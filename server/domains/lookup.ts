import type { Connection, protocol } from "../libvirt";
import { uuidFromString } from "../libvirt";
import type { SessionUser } from "../users/service";
import { vmInScope } from "../auth/permissions";
import type { ResolvedHost } from "../hosts/connection";
import { auditTargets } from "../audit/targets";
import { withLibvirtContext, ServiceError } from "../errors";
import { userCoversHost } from "../hosts/scope";
import { parseDomainXml } from "./xml";
import { tagsOf } from "./tags";

export interface ResolvedVm {
  host: ResolvedHost;
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
export async function resolveVm(host: ResolvedHost, user: SessionUser, uuid: string): Promise<ResolvedVm> {
  const { conn } = host;
  const unnamed = auditTargets.vmById(host.id, uuid);
  const notFound = new ServiceError(`${unnamed}: not found`, "not_found");
  const asMissing = (err: unknown): never => {
    throw err instanceof ServiceError && err.kind === "not_found" ? notFound : err;
  };
  const dom = await withLibvirtContext(unnamed, () => conn.domainLookupByUuid({ uuid: uuidFromString(uuid) })).catch(asMissing);
  // Nothing may name the VM before its grants are checked, not even a failed check: reading the tags
  // of a VM undefined meanwhile fails in libvirt's words, "no domain with matching uuid '…' (web-1)".
  const allowed = await withLibvirtContext(unnamed, () => inScope(user, host.id, conn, dom)).catch(asMissing);
  if (!allowed) throw notFound;
  const context = auditTargets.vm(host.id, dom.name);
  return { host, hostId: host.id, conn, dom, name: dom.name, context };
}

/**
 * The host's VMs the user may see (`id` is -1 for those not running), by the same rule and the
 * same tag cache as the VM list, so storage and counts shown beside it agree with it.
 */
export async function vmsInScope(user: SessionUser, hostId: string, conn: Connection): Promise<protocol.NonnullDomain[]> {
  const { domains } = await conn.connectListAllDomains({ needResults: 1, flags: 0 });
  if (userCoversHost(user, hostId)) return domains;
  const needsTags = user.grants.some((g) => g.kind === "tag");
  // A VM whose tags cannot be read (gone meanwhile) is judged without them: shown only if a name grant matches.
  const tags = await Promise.all(domains.map((dom) => (needsTags ? tagsOf(hostId, conn, dom).catch(() => []) : [])));
  return domains.filter((dom, i) => vmInScope(user.role, user.grants, { hostId, name: dom.name, tags: tags[i]! }));
}
