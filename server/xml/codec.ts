import { XMLBuilder, XMLParser, XMLValidator } from "fast-xml-parser";
import { ServiceError } from "../errors";

/**
 * One XML codec for everything we exchange with libvirt. Attributes are `@_name`, text is `#text`.
 * The builder escapes every value (&, <, >, ", '), so user text can never become markup.
 */
export const ATTR = "@_";

/** Elements that libvirt may repeat; parsed as arrays even when there is one, so code never guesses. */
const ALWAYS_ARRAY = new Set([
  "domain.devices.disk",
  "domain.devices.interface",
  "domain.devices.graphics",
  "domain.devices.channel",
  "domain.devices.serial",
  "domain.devices.console",
  "domain.devices.controller",
  "domain.devices.hostdev",
  "domain.devices.tpm",
  "domain.os.boot",
  "domain.metadata.kvmm:vm.kvmm:tags.kvmm:tag",
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (_name, jpath) => ALWAYS_ARRAY.has(String(jpath)),
});

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  format: true,
  suppressEmptyNode: true,
  processEntities: true,
});

export type XmlNode = Record<string, unknown>;

/** Parses XML after checking it is well-formed, so a truncated or hostile document fails loudly and early. */
export function parseXml(xml: string, what: string): XmlNode {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new ServiceError(`${what}: malformed XML at line ${valid.err.line}: ${valid.err.msg}`, "invalid");
  }
  return parser.parse(xml) as XmlNode;
}

export function buildXml(tree: XmlNode): string {
  return builder.build(tree) as string;
}

/** Text of an element that may carry attributes (`<memory unit='KiB'>1024</memory>`). */
export function textOf(node: unknown): string | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === "string" || typeof node === "number") return String(node);
  if (typeof node === "object" && "#text" in node) return String((node as XmlNode)["#text"]);
  return undefined;
}

export function attr(node: unknown, name: string): string | undefined {
  if (typeof node !== "object" || node === null) return undefined;
  const v = (node as XmlNode)[`${ATTR}${name}`];
  return v === undefined ? undefined : String(v);
}

export function child(node: unknown, name: string): XmlNode | undefined {
  if (typeof node !== "object" || node === null) return undefined;
  const v = (node as XmlNode)[name];
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as XmlNode) : undefined;
}

export function children(node: unknown, name: string): XmlNode[] {
  if (typeof node !== "object" || node === null) return [];
  const v = (node as XmlNode)[name];
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "object" && x !== null ? (x as XmlNode) : { "#text": x }));
}
