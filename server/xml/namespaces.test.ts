import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeAttributeValue, parseNamespaced, walkElements, XML_NAMESPACE, type NsElement } from "./namespaces";

/** `{uri}local` of every element, in document order, as a namespace-aware processor names them. */
function expanded(root: NsElement): string[] {
  return [...walkElements(root)].map(({ element }) => `{${element.uri ?? ""}}${element.local}`);
}

test("prefixes and the default namespace resolve by scope, and a declaration reaches only its own subtree", () => {
  const root = parseNamespaced(`<a xmlns:p='urn:p'><p:b><c xmlns='urn:d'><d/><e xmlns=''/></c></p:b><f/><p:g xmlns:p='urn:other'/></a>`, "t");
  assert.deepEqual(expanded(root), ["{}a", "{urn:p}b", "{urn:d}c", "{urn:d}d", "{}e", "{}f", "{urn:other}g"]);
});

test("unprefixed attributes are in no namespace even under a default one; prefixed ones take their prefix's", () => {
  const root = parseNamespaced(`<a xmlns='urn:d' xmlns:p='urn:p' x='1' p:y='2' xml:lang='en'/>`, "t");
  assert.equal(root.uri, "urn:d");
  assert.deepEqual(
    root.attributes.map((a) => [a.local, a.uri, a.value]),
    [
      ["x", null, "1"],
      ["y", "urn:p", "2"],
      ["lang", XML_NAMESPACE, "en"],
    ],
  );
  assert.deepEqual(root.declarations, [
    { prefix: null, uri: "urn:d" },
    { prefix: "p", uri: "urn:p" },
  ]);
});

test("declarations are read after references are decoded, as libxml2 reads them", () => {
  const root = parseNamespaced(`<a xmlns:p='urn&#58;x&#x3A;&amp;&lt;'><p:b/></a>`, "t");
  assert.equal(root.children[0]!.uri, "urn:x:&<");
});

test("attribute values: literal tabs and newlines are spaces, references are not normalised", () => {
  assert.equal(decodeAttributeValue("a\tb\r\nc&#9;d", "t"), "a b c\td");
  assert.throws(() => decodeAttributeValue("a & b", "t"), /bare &/);
  assert.throws(() => decodeAttributeValue("&nbsp;", "t"), /entity &nbsp; is not defined/);
  assert.throws(() => decodeAttributeValue("&#xD800;", "t"), /not an XML character/);
  assert.throws(() => decodeAttributeValue("&#1114112;", "t"), /not an XML character/);
});

test("what a namespace-aware parser would reject is refused, never guessed", () => {
  const refused: Record<string, RegExp> = {
    "<a><p:b/></a>": /prefix "p" is not bound/,
    "<a p:x='1'/>": /prefix "p" is not bound/,
    "<a><b:c:d/></a>": /not a valid qualified name/,
    "<a xmlns:xml='urn:x'/>": /xml prefix/,
    "<a xmlns:p='http://www.w3.org/XML/1998/namespace'/>": /xml prefix/,
    "<a xmlns:xmlns='urn:x'/>": /xmlns prefix cannot be declared/,
    "<a xmlns:p=''/>": /cannot be bound to ""/,
    "<a xmlns:p='urn:x' xmlns:q='urn:x' p:v='1' q:v='2'/>": /attribute v of urn:x twice/,
    "<a/><b/>": /malformed XML|one root element/,
  };
  for (const [xml, reason] of Object.entries(refused)) assert.throws(() => parseNamespaced(xml, "t"), reason, xml);
});

test("a DOCTYPE, an encoding other than UTF-8 and names the parser refuses are refused as invalid input", () => {
  assert.throws(() => parseNamespaced(`<!DOCTYPE a [<!ENTITY e "urn:x">]><a xmlns:p='&e;'/>`, "t"), /^ServiceError: t: a DOCTYPE/);
  assert.throws(() => parseNamespaced(`<?xml version="1.0" encoding="ISO-2022-JP"?><a/>`, "t"), /encoding ISO-2022-JP/);
  assert.doesNotThrow(() => parseNamespaced(`<?xml version='1.0' encoding='utf-8'?><a/>`, "t"));
  assert.throws(
    () => parseNamespaced(`<a><__proto__/></a>`, "t"),
    (err: unknown) => err instanceof Error && err.name === "ServiceError",
  );
});

test("comments, CDATA and processing instructions carry no elements", () => {
  const root = parseNamespaced(`<?xml version="1.0"?><a><!-- <p:x/> --><![CDATA[<p:y xmlns:p='urn:p'/>]]><?pi data?><b/></a>`, "t");
  assert.deepEqual(expanded(root), ["{}a", "{}b"]);
});

test("walking gives each element with its ancestors, root first", () => {
  const walked = [...walkElements(parseNamespaced(`<a><b><c/></b></a>`, "t"))].map(({ element, ancestors }) => [
    element.local,
    ancestors.map((a) => a.local).join("/"),
  ]);
  assert.deepEqual(walked, [
    ["a", ""],
    ["b", "a"],
    ["c", "a/b"],
  ]);
});
