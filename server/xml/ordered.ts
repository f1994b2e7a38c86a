import { XMLBuilder, XMLParser, XMLValidator } from "fast-xml-parser";
import { ServiceError } from "../errors";

/**
 * An order-preserving XML tree for editing documents libvirt gave us (clone, edit): every element,
 * its position among its siblings and its attributes survive the round trip, so an edit changes
 * only what it means to. Values are escaped on output like everywhere else.
 */
export type OrderedNode = { [tag: string]: OrderedNode[] } & { ":@"?: Record<string, string>; "#text"?: string };

const OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  preserveOrder: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
} as const;

const parser = new XMLParser(OPTIONS);
const builder = new XMLBuilder({ ...OPTIONS, format: true, suppressEmptyNode: true });

export function parseOrdered(xml: string, what: string): OrderedNode[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new ServiceError(`${what}: malformed XML at line ${valid.err.line}: ${valid.err.msg}`, "invalid");
  return parser.parse(xml) as OrderedNode[];
}

export function buildOrdered(nodes: OrderedNode[]): string {
  return builder.build(nodes) as string;
}

export function tagOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ":@" && k !== "#text");
}

export function childNodes(node: OrderedNode): OrderedNode[] {
  const tag = tagOf(node);
  return tag ? (node[tag] ?? []) : [];
}

/** Direct children with the given tag. */
export function elements(node: OrderedNode, tag: string): OrderedNode[] {
  return childNodes(node).filter((c) => tagOf(c) === tag);
}

export function element(node: OrderedNode, tag: string): OrderedNode | undefined {
  return elements(node, tag)[0];
}

export function getAttr(node: OrderedNode, name: string): string | undefined {
  return node[":@"]?.[`@_${name}`];
}

export function setAttr(node: OrderedNode, name: string, value: string): void {
  node[":@"] = { ...(node[":@"] ?? {}), [`@_${name}`]: value };
}

export function removeAttr(node: OrderedNode, name: string): void {
  if (node[":@"]) delete node[":@"][`@_${name}`];
}

export function setText(node: OrderedNode, text: string): void {
  const tag = tagOf(node);
  if (tag) node[tag] = [{ "#text": text } as OrderedNode];
}

export function removeChildren(node: OrderedNode, tag: string): void {
  const own = tagOf(node);
  if (own) node[own] = childNodes(node).filter((c) => tagOf(c) !== tag);
}
