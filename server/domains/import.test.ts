import { test } from "node:test";
import assert from "node:assert/strict";
import { buildChannelDeviceXml, validateImportedDomainXml } from "./import";
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

test("QEMU command-line passthrough is refused wherever it hides", () => {
  const passthrough = `<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>evil</name><qemu:commandline><qemu:arg value='-x'/></qemu:commandline></domain>`;
  assert.throws(() => validateImportedDomainXml(passthrough), /passthrough/);
  const renamed = `<domain type='kvm' xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'><name>evil</name></domain>`;
  assert.throws(() => validateImportedDomainXml(renamed), /passthrough/);
});

test("channel device XML names the channel, escaped", () => {
  assert.match(buildChannelDeviceXml("org.kvmmanager.agent.0"), /<target type="virtio" name="org.kvmmanager.agent.0"\/>/);
});

test("tags metadata round-trips, and hostile tags stay text", () => {
  assert.deepEqual(parseTagsMetadata(buildTagsMetadata(["prod", "<x>&"])), ["prod", "<x>&"]);
  assert.deepEqual(parseTagsMetadata("<vm><tags/></vm>"), []);
});
