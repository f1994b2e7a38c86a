import { XMLParser, XMLValidator } from "fast-xml-parser";
import { ServiceError } from "../errors";

/**
 * XML namespaces resolved as an XML processor (libxml2, so libvirt) resolves them: every element
 * and attribute gets the URI its prefix, or the default namespace, is bound to in scope, with the
 * declaration's value decoded first. fast-xml-parser keeps qualified names as text, so deciding
 * "is this in namespace U?" by looking at prefixes is wrong (`<commandline xmlns="U">`, `xmlns:q`,
 * `xmlns:q="http&#58;//…"` all name U without the text U or the usual prefix); this does it right.
 *
 * Stricter than XML on purpose, since it guards what a user hands to libvirt: no DOCTYPE (so no
 * entity but the five predefined ones and character references), no encoding but UTF-8, and every
 * namespace error (unbound prefix, a name with two colons, a rebound `xml` prefix, an attribute
 * given twice through two prefixes) is refused instead of guessed around.
 */

export const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/";

export interface ExpandedName {
  prefix: string | null;
  local: string;
  /** null: in no namespace. */
  uri: string | null;
}

export interface NsAttribute extends ExpandedName {
  value: string;
}

export interface NsDeclaration {
  /** null: the default namespace. */
  prefix: string | null;
  /** "" undeclares the default namespace. */
  uri: string;
}

export interface NsElement extends ExpandedName {
  /** Attributes other than namespace declarations. */
  attributes: NsAttribute[];
  declarations: NsDeclaration[];
  children: NsElement[];
}

type RawNode = { [tag: string]: RawNode[] } & { ":@"?: Record<string, string> };

const ATTR = "@_";
// Raw values: references are decoded here, strictly, not by the parser (which leaves `&#58;` as it is).
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTR,
  preserveOrder: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
});

const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function fail(what: string, problem: string): never {
  throw new ServiceError(`${what}: ${problem}`, "invalid");
}

function codePoint(what: string, ref: string, n: number): string {
  const allowed = n === 0x9 || n === 0xa || n === 0xd || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd) || (n >= 0x10000 && n <= 0x10ffff);
  if (!allowed) fail(what, `character reference ${ref} is not an XML character`);
  return String.fromCodePoint(n);
}

/** An attribute value as the XML spec reads it: literal whitespace becomes a space, then references are replaced. */
export function decodeAttributeValue(raw: string, what: string): string {
  const normalised = raw.replace(/\r\n?/g, "\n").replace(/[\t\n\r]/g, " ");
  return normalised.replace(/&([^;]*);?/g, (ref: string, body: string) => {
    if (!ref.endsWith(";")) fail(what, `a bare & in an attribute value`);
    if (/^#[0-9]+$/.test(body)) return codePoint(what, ref, Number.parseInt(body.slice(1), 10));
    if (/^#x[0-9A-Fa-f]+$/.test(body)) return codePoint(what, ref, Number.parseInt(body.slice(2), 16));
    const named = PREDEFINED[body];
    if (named === undefined) fail(what, `entity ${ref} is not defined`);
    return named;
  });
}

function splitName(what: string, qname: string): { prefix: string | null; local: string } {
  const parts = qname.split(":");
  if (parts.length === 1) return { prefix: null, local: qname };
  if (parts.length !== 2 || !parts[0] || !parts[1]) fail(what, `"${qname}" is not a valid qualified name`);
  return { prefix: parts[0], local: parts[1] };
}

/** The declarations an element makes, checked against the rules of XML namespaces. */
function readDeclarations(what: string, raw: Record<string, string>): { declarations: NsDeclaration[]; others: [string, string][] } {
  const declarations: NsDeclaration[] = [];
  const others: [string, string][] = [];
  for (const [key, rawValue] of Object.entries(raw)) {
    const name = key.slice(ATTR.length);
    const value = decodeAttributeValue(rawValue, what);
    if (name === "xmlns") {
      if (value === XML_NAMESPACE || value === XMLNS_NAMESPACE) fail(what, `the default namespace cannot be ${value}`);
      declarations.push({ prefix: null, uri: value });
    } else if (name.startsWith("xmlns:")) {
      const prefix = splitName(what, name).local;
      if (prefix === "xmlns") fail(what, "the xmlns prefix cannot be declared");
      if ((prefix === "xml") !== (value === XML_NAMESPACE)) fail(what, `the xml prefix and ${XML_NAMESPACE} belong only to each other`);
      if (value === "" || value === XMLNS_NAMESPACE) fail(what, `prefix ${prefix} cannot be bound to "${value}"`);
      declarations.push({ prefix, uri: value });
    } else {
      others.push([name, value]);
    }
  }
  return { declarations, others };
}

function lookup(what: string, scope: ReadonlyMap<string | null, string>, prefix: string): string {
  if (prefix === "xml") return XML_NAMESPACE;
  const uri = scope.get(prefix);
  if (uri === undefined) fail(what, `prefix "${prefix}" is not bound to a namespace`);
  return uri;
}

function resolveElement(what: string, node: RawNode, tag: string, parentScope: ReadonlyMap<string | null, string>): NsElement {
  const { declarations, others } = readDeclarations(what, node[":@"] ?? {});
  const scope = new Map(parentScope);
  for (const d of declarations) scope.set(d.prefix, d.uri);
  const name = splitName(what, tag);
  if (name.prefix === "xmlns") fail(what, `element <${tag}> uses the reserved xmlns prefix`);
  const uri = name.prefix === null ? scope.get(null) || null : lookup(what, scope, name.prefix);
  const seen = new Set<string>();
  const attributes = others.map(([qname, value]): NsAttribute => {
    const a = splitName(what, qname);
    // An unprefixed attribute is in no namespace, whatever the default namespace is.
    const attrUri = a.prefix === null ? null : lookup(what, scope, a.prefix);
    const expanded = `${attrUri ?? ""} ${a.local}`;
    if (seen.has(expanded)) fail(what, `<${tag}> has attribute ${a.local}${attrUri ? ` of ${attrUri}` : ""} twice`);
    seen.add(expanded);
    return { ...a, uri: attrUri, value };
  });
  const children = (node[tag] ?? []).flatMap((c) => {
    const childTag = tagOf(c);
    return childTag ? [resolveElement(what, c, childTag, scope)] : [];
  });
  return { ...name, uri, attributes, declarations, children };
}

/** The element name of a parsed node; text, the XML declaration and processing instructions have none. */
function tagOf(node: RawNode): string | undefined {
  return Object.keys(node).find((k) => k !== ":@" && k !== "#text" && !k.startsWith("?"));
}

function parseRaw(xml: string, what: string): RawNode[] {
  try {
    return parser.parse(xml) as RawNode[];
  } catch (err) {
    // The parser refuses some names outright (`__proto__`), with a plain Error.
    return fail(what, (err as Error).message);
  }
}

/** Parses a document and resolves the namespace of every element and attribute; refuses what it cannot resolve for certain. */
export function parseNamespaced(xml: string, what: string): NsElement {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) fail(what, "a DOCTYPE or entity declaration is not accepted");
  const declaration = /^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([^"']*)["']/.exec(xml);
  if (declaration && declaration[1]!.toLowerCase() !== "utf-8") fail(what, `encoding ${declaration[1]} is not accepted, only UTF-8`);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) fail(what, `malformed XML at line ${valid.err.line}: ${valid.err.msg}`);
  const roots = parseRaw(xml, what).flatMap((node) => {
    const tag = tagOf(node);
    return tag ? [{ node, tag }] : [];
  });
  if (roots.length !== 1) fail(what, `expected one root element, found ${roots.length}`);
  return resolveElement(what, roots[0]!.node, roots[0]!.tag, new Map<string | null, string>([["xml", XML_NAMESPACE]]));
}

/** Every element of the tree, the root first, each with the chain of its ancestors. */
export function* walkElements(root: NsElement, ancestors: readonly NsElement[] = []): Generator<{ element: NsElement; ancestors: readonly NsElement[] }> {
  yield { element: root, ancestors };
  for (const c of root.children) yield* walkElements(c, [...ancestors, root]);
}

export function qualifiedName(name: ExpandedName): string {
  return name.prefix ? `${name.prefix}:${name.local}` : name.local;
}
