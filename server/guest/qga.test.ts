import assert from "node:assert/strict";
import { test } from "node:test";
import { VIR_IP_ADDR_TYPE_IPV4, VIR_IP_ADDR_TYPE_IPV6 } from "../libvirt";
import { fromDomainInterfaces, parseGuestInfo } from "./qga";

// The typed parameters libvirt 9.0 returned for a Debian guest running qemu-ga 7.2 (shape per
// virDomainGetGuestInfo's documentation; counters arrive as uint, sizes and times as ullong).
const sample = {
  "user.count": 1,
  "user.0.name": "alice",
  "user.0.login-time": 1735732800000n,
  "os.id": "debian",
  "os.name": "Debian GNU/Linux",
  "os.pretty-name": "Debian GNU/Linux 12 (bookworm)",
  "os.version": "12 (bookworm)",
  "os.version-id": "12",
  "os.kernel-release": "6.1.0-28-amd64",
  "os.kernel-version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1",
  "os.machine": "x86_64",
  "timezone.offset": 3600,
  hostname: "web-1",
  "fs.count": 1,
  "fs.0.mountpoint": "/",
  "fs.0.name": "vda1",
  "fs.0.fstype": "ext4",
  "fs.0.total-bytes": 21474836480n,
  "fs.0.used-bytes": 5368709120n,
  "fs.0.disk.count": 1,
  "fs.0.disk.0.alias": "vda",
  "if.count": 2,
  "if.0.name": "lo",
  "if.0.addr.count": 1,
  "if.0.addr.0.type": "ipv4",
  "if.0.addr.0.addr": "127.0.0.1",
  "if.0.addr.0.prefix": 8,
  "if.1.name": "eth0",
  "if.1.hwaddr": "52:54:00:12:34:56",
  "if.1.addr.count": 2,
  "if.1.addr.0.type": "ipv4",
  "if.1.addr.0.addr": "10.0.2.15",
  "if.1.addr.0.prefix": 24,
  "if.1.addr.1.type": "ipv6",
  "if.1.addr.1.addr": "fe80::5054:ff:fe12:3456",
  "if.1.addr.1.prefix": 64,
};

test("guest info typed parameters become structured facts", () => {
  const info = parseGuestInfo(sample);
  assert.equal(info.hostname, "web-1");
  assert.deepEqual(info.os, {
    id: "debian",
    name: "Debian GNU/Linux",
    prettyName: "Debian GNU/Linux 12 (bookworm)",
    version: "12 (bookworm)",
    versionId: "12",
    kernelRelease: "6.1.0-28-amd64",
    kernelVersion: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1",
    machine: "x86_64",
  });
  assert.deepEqual(info.timezone, { name: null, offsetSeconds: 3600 });
  assert.deepEqual(info.users, [{ user: "alice", domain: null, loginTime: "2025-01-01T12:00:00.000Z" }]);
  assert.deepEqual(info.filesystems, [
    { mountpoint: "/", device: "vda1", fstype: "ext4", totalBytes: 21474836480, usedBytes: 5368709120, disks: ["vda"] },
  ]);
  assert.deepEqual(info.interfaces?.[1], {
    name: "eth0",
    mac: "52:54:00:12:34:56",
    addresses: [
      { family: "ipv4", address: "10.0.2.15", prefix: 24 },
      { family: "ipv6", address: "fe80::5054:ff:fe12:3456", prefix: 64 },
    ],
  });
});

test("groups qemu-ga did not answer are null, not empty", () => {
  const info = parseGuestInfo({ hostname: "h" });
  assert.deepEqual(info, { hostname: "h", os: null, timezone: null, users: null, filesystems: null, interfaces: null });
  assert.deepEqual(parseGuestInfo({ "user.count": 0 }).users, []);
});

test("libvirt's interface list converts to the same shape", () => {
  const ifaces = fromDomainInterfaces([
    {
      name: "eth0",
      hwaddr: "52:54:00:aa:bb:cc",
      addrs: [
        { type: VIR_IP_ADDR_TYPE_IPV4, addr: "192.168.122.5", prefix: 24 },
        { type: VIR_IP_ADDR_TYPE_IPV6, addr: "fe80::1", prefix: 64 },
      ],
    },
  ]);
  assert.deepEqual(ifaces[0]!.addresses.map((a) => a.family), ["ipv4", "ipv6"]);
});
