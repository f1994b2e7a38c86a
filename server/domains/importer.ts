import {
  flagsOf,
  uuidToString,
  VIR_DOMAIN_DEFINE_VALIDATE,
  VIR_DOMAIN_UNDEFINE_KEEP_NVRAM,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
  type Connection,
  type protocol,
} from "../libvirt";
import type { ResolvedHost } from "../hosts/connection";
import { auditTargets } from "../audit/targets";
import { withLibvirtContext, ServiceError } from "../errors";
import { parseNamespaced } from "../xml/namespaces";
import { qemuPassthroughProblem, validateImportedDomainXml } from "./import";

/**
 * Defining a VM from a user's XML. Our checks run first (`validateImportedDomainXml`); then, since
 * what counts is how libvirt reads the document, not how we do, the definition libvirt made is read
 * back and a VM carrying QEMU passthrough there is undefined again before anyone can start it.
 */

/** Why the definition libvirt holds is refused, or null. Unreadable counts as refused: the check fails closed. */
async function problemWithDefinition(conn: Connection, dom: protocol.NonnullDomain): Promise<string | null> {
  try {
    const xml = await conn.domainGetXmlDesc({ dom, flags: flagsOf(VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE) });
    return qemuPassthroughProblem(parseNamespaced(xml, "the definition libvirt made"));
  } catch (err) {
    return `its definition could not be read back to check it: ${(err as Error).message}`;
  }
}

/**
 * Defines `xml` and keeps it only if libvirt's own definition has no QEMU passthrough. Exported
 * for the test that proves this check on its own, with XML our pre-check would have refused.
 */
export async function defineWithoutPassthrough(conn: Connection, context: string, xml: string): Promise<protocol.NonnullDomain> {
  const dom = await withLibvirtContext(context, () => conn.domainDefineXmlFlags({ xml, flags: VIR_DOMAIN_DEFINE_VALIDATE }));
  const problem = await problemWithDefinition(conn, dom);
  if (!problem) return dom;
  // KEEP_NVRAM: the NVRAM path came from the user's XML and may be any file of the host.
  await conn.domainUndefineFlags({ dom, flags: VIR_DOMAIN_UNDEFINE_KEEP_NVRAM }).catch((err: unknown) => {
    throw new ServiceError(`${context}: ${problem}; undefining it failed, remove it by hand: ${(err as Error).message}`, "invalid", { cause: err });
  });
  throw new ServiceError(`${context}: ${problem}; libvirt had defined it, and it was undefined again`, "invalid");
}

/** Defines a VM from XML after our own checks; never replaces an existing VM of that name or UUID. */
export async function importXml(host: ResolvedHost, xml: string) {
  const { conn } = host;
  const checked = validateImportedDomainXml(xml);
  const context = auditTargets.vm(host.id, checked.name);
  const clash = await withLibvirtContext(context, () => conn.domainLookupByName({ name: checked.name })).catch(() => null);
  if (clash) throw new ServiceError(`${context}: a VM with this name already exists`, "conflict");
  const dom = await defineWithoutPassthrough(conn, context, xml);
  return { context, uuid: uuidToString(dom.uuid), name: dom.name };
}
