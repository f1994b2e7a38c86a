import { test } from "node:test";
import assert from "node:assert/strict";
import { buildDomainXml, type DomainBuildSpec } from "@/server/domains/xml";
import { consoleDevices, vncGraphicsDeviceXml } from "./devices";

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

test("the live XML's VNC port and address are read; any-address and localhost are reached on loopback", () => {
  assert.deepEqual(
    consoleDevices(live(`<graphics type='vnc' port='5901' autoport='yes' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>`)).vnc,
    {
      kind: "tcp",
      address: "127.0.0.1",
      port: 5901,
    },
  );
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

test("the VNC device added to an existing VM is the wizard's", () => {
  assert.match(
    vncGraphicsDeviceXml(),
    /^<graphics type="vnc" port="-1" autoport="yes" listen="127\.0\.0\.1">\s*<listen type="address" address="127\.0\.0\.1"\/>\s*<\/graphics>/,
  );
});
