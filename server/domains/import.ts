import { ATTR, attr, buildXml, child, parseXml, textOf } from "../xml/codec";
import { parseNamespaced, qualifiedName, walkElements, type NsElement } from "../xml/namespaces";
import { ServiceError } from "../errors";
import { nameSchema } from "../identifiers";

export const MAX_IMPORT_XML_BYTES = 1024 * 1024;
/** libvirt's QEMU passthrough: `<commandline>`, `<capabilities>`, `<override>`, `<deprecation>` run or alter QEMU as the user wrote. */
export const QEMU_NAMESPACE = "http://libvirt.org/schemas/domain/qemu/1.0";

/**
 * Where the document uses the QEMU namespace, by its resolved URI: a declaration binding it (to
 * any prefix, or as the default namespace), or an element or attribute in it. null when nowhere.
 */
function qemuNamespaceUse(root: NsElement): string | null {
  for (const { element } of walkElements(root)) {
    const declared = element.declarations.find((d) => d.uri === QEMU_NAMESPACE);
    if (declared) return `<${qualifiedName(element)}> binds ${declared.prefix === null ? "the default namespace" : `prefix ${declared.prefix}`} to it`;
    if (element.uri === QEMU_NAMESPACE) return `<${qualifiedName(element)}> is in it`;
    const attribute = element.attributes.find((a) => a.uri === QEMU_NAMESPACE);
    if (attribute) return `attribute ${qualifiedName(attribute)} of <${qualifiedName(element)}> is in it`;
  }
  return null;
}

/** Why the document is refused for QEMU passthrough, or null when it has none. Used before the define and after it. */
export function qemuPassthroughProblem(root: NsElement): string | null {
  const use = qemuNamespaceUse(root);
  return use && `QEMU passthrough (the ${QEMU_NAMESPACE} namespace) is not allowed: ${use}`;
}

/**
 * libvirt's domain schema is in no namespace; other namespaces belong only inside <metadata>,
 * which libvirt stores without reading (our tags live there). Any namespaced element or attribute
 * elsewhere is a driver extension at best, so it is refused whatever its namespace.
 */
function namespacedOutsideMetadata(root: NsElement): string | null {
  for (const { element, ancestors } of walkElements(root)) {
    const inMetadata = ancestors.length >= 2 && ancestors[1]!.local === "metadata" && ancestors[1]!.uri === null;
    if (inMetadata) continue;
    if (element.uri !== null) return `<${qualifiedName(element)}> is in namespace ${element.uri}`;
    const attribute = element.attributes.find((a) => a.uri !== null);
    if (attribute) return `attribute ${qualifiedName(attribute)} of <${element.local}> is in namespace ${attribute.uri}`;
  }
  return null;
}

/**
 * Checks domain XML from a user before libvirt sees it: one well-formed <domain> of a type we run,
 * a valid name, no QEMU passthrough (which would let an import run anything as the QEMU user) and
 * no namespaced content outside <metadata>. Namespaces are resolved, not read off prefixes.
 * libvirt validates the rest against its schema when we define it, and `importer.ts` checks what
 * libvirt actually defined, in case libvirt reads the document differently from us.
 */
export function validateImportedDomainXml(xml: string): { name: string } {
  if (Buffer.byteLength(xml) > MAX_IMPORT_XML_BYTES) throw new ServiceError("domain XML is larger than 1 MiB", "invalid");
  const root = parseNamespaced(xml, "imported domain XML");
  const passthrough = qemuPassthroughProblem(root);
  if (passthrough) throw new ServiceError(`imported domain XML: ${passthrough}`, "invalid");
  if (root.local !== "domain") throw new ServiceError("imported domain XML: the root element must be <domain>", "invalid");
  const foreign = namespacedOutsideMetadata(root);
  if (foreign) throw new ServiceError(`imported domain XML: ${foreign}; only <metadata> may hold elements of other namespaces`, "invalid");
  const domain = child(parseXml(xml, "imported domain XML"), "domain");
  if (!domain) throw new ServiceError("imported domain XML: the root element must be <domain>", "invalid");
  const type = attr(domain, "type");
  if (type !== "kvm" && type !== "qemu") throw new ServiceError(`imported domain XML: type must be kvm or qemu, not ${JSON.stringify(type ?? "")}`, "invalid");
  const name = nameSchema.safeParse(textOf(domain.name) ?? "");
  if (!name.success) throw new ServiceError(`imported domain XML: <name> ${name.error.issues[0]?.message ?? "is invalid"}`, "invalid");
  return { name: name.data };
}

export function buildChannelDeviceXml(name: string): string {
  return buildXml({
    channel: {
      [`${ATTR}type`]: "unix",
      source: { [`${ATTR}mode`]: "bind" },
      target: { [`${ATTR}type`]: "virtio", [`${ATTR}name`]: name },
    },
  });
}
