import { test } from "node:test";
import assert from "node:assert/strict";
import { buildDomainXml, type DomainBuildSpec } from "@/server/domains/xml";
import { consoleDevices, withVncGraphics } from "./devices";

const spec: DomainBuildSpec = {
  name: "web-1",
  domainType: "qemu",
  vcpus: 1,
  memoryMiB: 512,
  firmware: "bios",
  secureBoot: false,
  disks: [],
  nics: [],
  graphics: "vnc",
  tpm: false,
  tags: [],
};

const live = (devices: string) => `<domain type='qemu'><name>a</name><devices>${devices}</devices></domain>`;

test("a wizard-built VM has VNC on loopback only, a virtio video device, and a pty serial port with its console", () => {
  const xml = buildDomainXml(spec);
  assert.match(xml, /<graphics type="vnc" port="-1" autoport="yes" listen="127\.0\.0\.1">\s*<listen type="address" address="127\.0\.0\.1"\/?>/);
  assert.match(xml, /<video>\s*<model type="virtio"/);
  assert.match(xml, /<serial type="pty">\s*<target port="0"/);
  assert.match(xml, /<console type="pty">\s*<target type="serial" port="0"/);
  // Before it runs there is no port yet: nothing to connect to, but both kinds of console are configured.
  assert.deepEqual(consoleDevices(xml), { vnc: null, hasGraphics: true, serial: true });
});

test("a VM built without graphics has no graphics or video device", () => {
  const xml = buildDomainXml({ ...spec, graphics: "none" });
  assert.doesNotMatch(xml, /<graphics|<video/);
  assert.equal(consoleDevices(xml).hasGraphics, false);
});

test("the live XML's VNC port and listen address are read as QEMU has them", () => {
  assert.deepEqual(
    consoleDevices(live(`<graphics type='vnc' port='5901' autoport='yes' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>`)).vnc,
    {
      kind: "tcp",
      address: "0.0.0.0",
      port: 5901,
    },
  );
  assert.deepEqual(consoleDevices(live(`<graphics type='vnc' port='5903'/>`)).vnc, { kind: "tcp", address: "127.0.0.1", port: 5903 });
  assert.deepEqual(consoleDevices(live(`<graphics type='vnc' port='5902' listen='192.0.2.7'/>`)).vnc, { kind: "tcp", address: "192.0.2.7", port: 5902 });
  assert.deepEqual(consoleDevices(live(`<graphics type='vnc' socket='/run/vnc.sock'><listen type='socket' socket='/run/vnc.sock'/></graphics>`)).vnc, {
    kind: "unix",
    path: "/run/vnc.sock",
  });
});

test("SPICE-only graphics count as graphics but give no VNC; a file-backed serial port is no console", () => {
  const devices = consoleDevices(live(`<graphics type='spice' port='5930'/><serial type='file'><source path='/tmp/s.log'/></serial>`));
  assert.deepEqual(devices, { vnc: null, hasGraphics: true, serial: false });
});

const WIZARD_VNC = /<graphics type="vnc" port="-1" autoport="yes" listen="127\.0\.0\.1">\s*<listen type="address" address="127\.0\.0\.1"\/>\s*<\/graphics>/;

test("the VNC display added to an existing VM is the wizard's, with a video card when it has none, and everything else kept in order", () => {
  const before = `<domain type='kvm'><name>old-1</name><uuid>8f0e4c1a-6c1f-4a55-9d1b-0e6f2b3c4d5e</uuid><devices><disk type='file' device='disk'><source file='/a &amp; b.qcow2'/><target dev='vda'/></disk><serial type='pty'/></devices><on_crash>destroy</on_crash></domain>`;
  const after = withVncGraphics(before)!;
  assert.match(buildDomainXml(spec), WIZARD_VNC);
  assert.match(after, WIZARD_VNC);
  assert.match(after, /<\/graphics>\s*<video>\s*<model type="virtio"\/>\s*<\/video>\s*<\/devices>\s*<on_crash>destroy<\/on_crash>/);
  assert.match(
    after,
    /<name>old-1<\/name>\s*<uuid>8f0e4c1a-6c1f-4a55-9d1b-0e6f2b3c4d5e<\/uuid>\s*<devices>\s*<disk type="file" device="disk">\s*<source file="\/a &amp; b\.qcow2"\/>/,
  );
  assert.deepEqual(consoleDevices(after), { vnc: null, hasGraphics: true, serial: true });
});

test("a VM with a display keeps it (nothing is added); one with a video card but no display gets only the display", () => {
  assert.equal(withVncGraphics(live(`<graphics type='spice' autoport='yes'/>`)), null);
  const withVideo = withVncGraphics(live(`<video><model type='vga'/></video>`))!;
  assert.equal(withVideo.match(/<video>/g)?.length, 1);
  assert.match(withVideo, /<model type="vga"\/>/);
});
