import { ATTR, attr, buildXml, child, parseXml, textOf, type XmlNode } from "../xml/codec";
import { DomainError } from "../errors";
import { vmNameSchema } from "./lookup";

export const MAX_IMPORT_XML_BYTES = 1024 * 1024;
const QEMU_NAMESPACE = "http://libvirt.org/schemas/domain/qemu/1.0";

/** Any element or attribute from QEMU's passthrough namespace (`<qemu:commandline>` runs arbitrary QEMU arguments). */
function usesQemuNamespace(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(usesQemuNamespace);
  if (typeof node !== "object" || node === null) return false;
  return Object.entries(node as XmlNode).some(
    ([key, value]) =>
      (key.startsWith(ATTR) && key.startsWith(`${ATTR}xmlns:`) && value === QEMU_NAMESPACE) ||
      key.startsWith("qemu:") ||
      usesQemuNamespace(value),
  );
}

/**
 * Checks domain XML from a user before libvirt sees it: one well-formed <domain> of a type we run,
 * a valid name, and no QEMU passthrough (which would let an import run anything as the QEMU user).
 * libvirt validates the rest against its schema when we define it.
 */
export function validateImportedDomainXml(xml: string): { name: string } {
  if (Buffer.byteLength(xml) > MAX_IMPORT_XML_BYTES) throw new DomainError("domain XML is larger than 1 MiB", "invalid");
  const domain = child(parseXml(xml, "imported domain XML"), "domain");
  if (!domain) throw new DomainError("imported domain XML: the root element must be <domain>", "invalid");
  const type = attr(domain, "type");
  if (type !== "kvm" && type !== "qemu") throw new DomainError(`imported domain XML: type must be kvm or qemu, not ${JSON.stringify(type ?? "")}`, "invalid");
  const name = vmNameSchema.safeParse(textOf(domain.name) ?? "");
  if (!name.success) throw new DomainError(`imported domain XML: <name> ${name.error.issues[0]?.message ?? "is invalid"}`, "invalid");
  if (usesQemuNamespace(domain)) throw new DomainError("imported domain XML: QEMU command-line passthrough (qemu: namespace) is not allowed", "invalid");
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
