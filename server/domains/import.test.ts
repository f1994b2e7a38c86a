import { test } from "node:test";
import assert from "node:assert/strict";
import { buildChannelDeviceXml, qemuPassthroughProblem, validateImportedDomainXml } from "./import";
import { parseNamespaced } from "../xml/namespaces";
import { parseTagsMetadata, buildTagsMetadata } from "./tags";

const ok = "<domain type='qemu'><name>imported-1</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>";

test("well-formed domain XML with a valid name and type passes", () => {
  assert.deepEqual(validateImportedDomainXml(ok), { name: "imported-1" });
});

test("malformed XML, other roots, bad names and foreign types are refused with a reason", () => {
  assert.throws(() => validateImportedDomainXml("<domain type='qemu'><name>x</name>"), /malformed XML/);
  assert.throws(() => validateImportedDomainXml("<network><name>x</name></network>"), /root element must be <domain>/);
  assert.throws(() => validateImportedDomainXml("<domain type='qemu'><name>a b</name></domain>"), /<name>/);
  assert.throws(() => validateImportedDomainXml("<domain type='xen'><name>a</name></domain>"), /type must be kvm or qemu/);
});

const QEMU = "http://libvirt.org/schemas/domain/qemu/1.0";
const head = "<domain type='kvm'><name>evil</name><memory>65536</memory><os><type>hvm</type></os>";

/** Each spelling of `<qemu:commandline>` that libvirt reads as QEMU passthrough. */
const PASSTHROUGH_VARIANTS: Record<string, string> = {
  "the usual qemu prefix": `<domain type='kvm' xmlns:qemu='${QEMU}'><name>evil</name><qemu:commandline><qemu:arg value='-x'/></qemu:commandline></domain>`,
  "a declaration alone, on the root": `<domain type='kvm' xmlns:q='${QEMU}'><name>evil</name></domain>`,
  "the default namespace on the element": `${head}<commandline xmlns='${QEMU}'><arg value='-x'/></commandline></domain>`,
  "another prefix, declared on the element": `${head}<q:commandline xmlns:q='${QEMU}'><q:arg value='-x'/></q:commandline></domain>`,
  "a named character reference in the URI": `${head}<q:commandline xmlns:q='http&#58;//libvirt.org/schemas/domain/qemu/1.0'><q:arg value='-x'/></q:commandline></domain>`,
  "hexadecimal character references": `${head}<commandline xmlns='&#x68;ttp://libvirt.org/schemas/domain/qemu/1.0'><arg value='-x'/></commandline></domain>`,
  "decimal character references": `${head}<commandline xmlns='&#104;ttp://libvirt.org/schemas/domain/qemu&#47;1.0'><arg value='-x'/></commandline></domain>`,
  "capabilities passthrough under a prefix": `${head}<x:capabilities xmlns:x='${QEMU}'><x:del capability='sandbox'/></x:capabilities></domain>`,
  "override passthrough in the default namespace": `${head}<override xmlns='${QEMU}'><device alias='x'/></override></domain>`,
  "an attribute in the QEMU namespace": `<domain type='kvm' xmlns:q='http://libvirt.org/schemas/domain/qemu&#x2F;1.0'><name q:x='1'>evil</name></domain>`,
};

test("QEMU passthrough is refused however its namespace is spelled", () => {
  for (const [variant, xml] of Object.entries(PASSTHROUGH_VARIANTS)) {
    assert.throws(() => validateImportedDomainXml(xml), /QEMU passthrough/, variant);
  }
});

test("a DOCTYPE (and so any custom entity), a foreign encoding and unresolvable names are refused", () => {
  const entity = `<!DOCTYPE domain [<!ENTITY ns "${QEMU}">]><domain type='kvm'><name>evil</name><q:commandline xmlns:q='&ns;'/></domain>`;
  assert.throws(() => validateImportedDomainXml(entity), /DOCTYPE/);
  assert.throws(() => validateImportedDomainXml(`<?xml version="1.0" encoding="UTF-7"?>${ok}`), /encoding UTF-7/);
  assert.throws(() => validateImportedDomainXml(`${head}<q:commandline/></domain>`), /prefix "q" is not bound/);
  assert.throws(() => validateImportedDomainXml(`${head}<a:b:c/></domain>`), /not a valid qualified name/);
  assert.throws(() => validateImportedDomainXml(`${head}<x a='&foo;'/></domain>`), /entity &foo; is not defined/);
  assert.throws(() => validateImportedDomainXml(`${head}<x a='&#0;'/></domain>`), /not an XML character/);
  assert.throws(() => validateImportedDomainXml(`${head}<__proto__/></domain>`), /imported domain XML/);
});

test("CDATA and comments are text, not markup: passthrough written inside them is harmless and accepted", () => {
  const xml = `<domain type='qemu'><name>quiet</name><description><![CDATA[<qemu:commandline xmlns:qemu='${QEMU}'/>]]></description><!-- <qemu:arg/> --></domain>`;
  assert.deepEqual(validateImportedDomainXml(xml), { name: "quiet" });
});

test("other namespaces are accepted inside <metadata> only", () => {
  const metadata = `<domain type='kvm'><name>tagged</name><metadata><kvmm:vm xmlns:kvmm='https://kvm-manager.dev/xmlns/vm/1'><kvmm:tags><kvmm:tag>prod</kvmm:tag></kvmm:tags></kvmm:vm><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='http://debian.org/debian/12'/></libosinfo:libosinfo></metadata></domain>`;
  assert.deepEqual(validateImportedDomainXml(metadata), { name: "tagged" });
  const lxc = `<domain type='kvm' xmlns:lxc='http://libvirt.org/schemas/domain/lxc/1.0'><name>x</name><lxc:namespace/></domain>`;
  assert.throws(() => validateImportedDomainXml(lxc), /<lxc:namespace> is in namespace .*only <metadata>/);
  assert.throws(() => validateImportedDomainXml(`<domain type='kvm' xmlns='urn:x'><name>x</name></domain>`), /<domain> is in namespace urn:x/);
  assert.throws(() => validateImportedDomainXml(`<domain type='kvm' xmlns:p='urn:p'><name p:a='1'>x</name></domain>`), /attribute p:a of <name>/);
  assert.throws(() => validateImportedDomainXml(`<domain type='kvm'><name>x</name><metadata><m:x xmlns:m='${QEMU}'/></metadata></domain>`), /QEMU passthrough/);
});

test("the same check reads what libvirt writes back: its qemu: prefix, whichever spelling was imported", () => {
  const dumped = `<domain type='kvm' xmlns:qemu='${QEMU}'>\n  <name>evil</name>\n  <qemu:commandline>\n    <qemu:arg value='-x'/>\n  </qemu:commandline>\n</domain>`;
  assert.equal(
    qemuPassthroughProblem(parseNamespaced(dumped, "dumped")),
    `QEMU passthrough (the ${QEMU} namespace) is not allowed: <domain> binds prefix qemu to it`,
  );
  assert.equal(qemuPassthroughProblem(parseNamespaced(ok, "plain")), null);
});

test("channel device XML names the channel, escaped", () => {
  assert.match(buildChannelDeviceXml("org.kvmmanager.agent.0"), /<target type="virtio" name="org.kvmmanager.agent.0"\/>/);
});

test("tags metadata round-trips, and hostile tags stay text", () => {
  assert.deepEqual(parseTagsMetadata(buildTagsMetadata(["prod", "<x>&"])), ["prod", "<x>&"]);
  assert.deepEqual(parseTagsMetadata("<vm><tags/></vm>"), []);
});
