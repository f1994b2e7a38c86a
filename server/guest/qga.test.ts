import assert from "node:assert/strict";
import { test } from "node:test";
import { VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, VIR_IP_ADDR_TYPE_IPV4, VIR_IP_ADDR_TYPE_IPV6 } from "../libvirt";
import { fromDomainInterfaces, interfaceAddresses, parseGuestInfo, QgaReplyError, qgaReadFile, type QgaConnection } from "./qga";

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
  assert.deepEqual(info.filesystems, [{ mountpoint: "/", device: "vda1", fstype: "ext4", totalBytes: 21474836480, usedBytes: 5368709120, disks: ["vda"] }]);
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
  assert.deepEqual(info, { hostname: "h", os: null, timezone: null, users: null, filesystems: null, interfaces: null, truncated: false });
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
  assert.deepEqual(
    ifaces[0]!.addresses.map((a) => a.family),
    ["ipv4", "ipv6"],
  );
});

// What a hostile guest's qemu-ga can make libvirt hand us: up to 2,048 typed parameters and
// 10 MiB of strings of its choosing.
const dom = { name: "evil", uuid: Buffer.alloc(16), id: 1 };

/** A QgaConnection whose qemu-ga answers every command with `reply(cmd)`. */
function qgaAnswering(reply: (cmd: { execute: string; arguments?: Record<string, unknown> }) => unknown) {
  const conn = {
    qemuDomainAgentCommand: async ({ cmd }: { cmd: string }) => JSON.stringify({ return: reply(JSON.parse(cmd)) }),
  };
  return conn as unknown as QgaConnection;
}

test("lists longer than their bounds are read up to the bound and flagged", () => {
  const info = parseGuestInfo({ "user.count": 5_000, "user.0.name": "alice", "fs.count": 1e9, "fs.0.mountpoint": "/", "if.count": 0 });
  assert.equal(info.users?.length, 1_000);
  assert.equal(info.filesystems?.length, 256);
  assert.equal(info.truncated, true);
  assert.equal(parseGuestInfo(sample).truncated, false);
});

test("a string out of bounds refuses the whole answer, naming the field", () => {
  assert.throws(
    () => parseGuestInfo({ hostname: "h".repeat(5_000_000) }),
    (err: Error) => err instanceof QgaReplyError && /at hostname/.test(err.message),
  );
  assert.throws(() => parseGuestInfo({ "fs.count": 1, "fs.0.mountpoint": "/".repeat(5_000) }), QgaReplyError);
  assert.equal(parseGuestInfo({ "user.count": 1, "user.0.name": "a", "user.0.login-time": 1e300 }).users?.[0]?.loginTime, null, "a time no Date holds");
});

test("interface addresses: an answer out of bounds counts as none, and long lists are cut", async () => {
  const iface = (name: string, addr: string) => ({ name, hwaddr: null, addrs: [{ type: VIR_IP_ADDR_TYPE_IPV4, addr, prefix: 24 }] });
  const answers = new Map<number, unknown[]>([
    [VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, [iface("eth0", "1".repeat(1_000_000))]],
    [VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, Array.from({ length: 3_000 }, (_, i) => iface(`vnet${i}`, "192.168.122.9"))],
  ]);
  const conn = { domainInterfaceAddresses: async ({ source }: { source: number }) => answers.get(source) ?? [] } as unknown as QgaConnection;
  const found = await interfaceAddresses(conn, dom);
  assert.equal(found?.source, "lease");
  assert.equal(found?.interfaces.length, 256);
});

test("guest-file-read: a guest that never says eof is stopped at maxBytes, a chunk longer than asked is refused", async () => {
  const endless = qgaAnswering(({ execute, arguments: args }) =>
    execute === "guest-file-open"
      ? 7
      : execute === "guest-file-read"
        ? { count: args?.count, "buf-b64": Buffer.alloc(Number(args?.count)).toString("base64"), eof: false }
        : {},
  );
  await assert.rejects(qgaReadFile(endless, dom, "/dev/zero", 1024, 64 * 1024), /more than 65536 bytes/);
  const greedy = qgaAnswering(({ execute }) =>
    execute === "guest-file-open"
      ? 7
      : execute === "guest-file-read"
        ? { count: 10_000_000, "buf-b64": Buffer.alloc(4 * 1024 * 1024).toString("base64"), eof: true }
        : {},
  );
  await assert.rejects(qgaReadFile(greedy, dom, "/etc/hosts", 1024), QgaReplyError);
});
