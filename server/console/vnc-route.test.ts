import assert from "node:assert/strict";
import { test } from "node:test";
import { parseLibvirtUri } from "../libvirt";
import { planTransport } from "../libvirt/transport-plan";
import { vncRoute } from "./vnc-route";

const CONTEXT = 'VM "web-1" on host "b"';
const SSH_HOST = "qemu+ssh://root@10.77.0.2/system?keyfile=%2Fdata%2Fssh%2Fid_ed25519&known_hosts=%2Fdata%2Fhosts%2Fb%2Fknown_hosts";
const tcp = (address: string, port = 5901) => ({ kind: "tcp" as const, address, port });

test("on this machine QEMU's VNC is reached directly: any-address and loopback on 127.0.0.1, a unix socket as is", () => {
  for (const address of ["0.0.0.0", "::", "127.0.0.1", "::1", "localhost"]) {
    assert.deepEqual(vncRoute("qemu:///system", tcp(address), CONTEXT), { kind: "tcp", host: "127.0.0.1", port: 5901 }, address);
  }
  assert.deepEqual(vncRoute("qemu:///system", tcp("192.0.2.7"), CONTEXT), { kind: "tcp", host: "192.0.2.7", port: 5901 });
  assert.deepEqual(vncRoute("qemu+unix:///system?socket=/run/x.sock", { kind: "unix", path: "/run/vnc.sock" }, CONTEXT), {
    kind: "unix",
    path: "/run/vnc.sock",
  });
});

test("an ssh host's VNC goes through ssh -W to the address on the host, with the libvirt transport's own key and pinned host key options", () => {
  const route = vncRoute(SSH_HOST, tcp("127.0.0.1"), CONTEXT);
  const transport = planTransport(parseLibvirtUri(SSH_HOST), { uid: 0, home: "/root", runtimeDir: undefined, exists: () => false }, { readOnly: false });
  assert.ok(route.kind === "ssh" && transport.kind === "command");
  assert.equal(route.file, "ssh");
  assert.equal(route.target, "127.0.0.1:5901");
  assert.deepEqual(route.args, [
    "-l",
    "root",
    "-i",
    "/data/ssh/id_ed25519",
    "-T",
    "-e",
    "none",
    "-o",
    "BatchMode=yes",
    "-o",
    "UserKnownHostsFile=/data/hosts/b/known_hosts",
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-W",
    "127.0.0.1:5901",
    "--",
    "10.77.0.2",
  ]);
  // The libvirt connection to the same host uses the same options before its destination.
  assert.deepEqual(transport.args.slice(0, transport.args.indexOf("--")), route.args.slice(0, route.args.indexOf("-W")));
});

test("through ssh: any-address is the host's 127.0.0.1, another address is forwarded as is (IPv6 in brackets), port and command follow the URI", () => {
  const route = (uri: string, address: string) => {
    const r = vncRoute(uri, tcp(address, 5905), CONTEXT);
    assert.equal(r.kind, "ssh");
    return r as Extract<typeof r, { kind: "ssh" }>;
  };
  assert.equal(route(SSH_HOST, "0.0.0.0").target, "127.0.0.1:5905");
  assert.equal(route(SSH_HOST, "::1").target, "[::1]:5905");
  assert.equal(route(SSH_HOST, "192.0.2.9").target, "192.0.2.9:5905");
  const custom = route("qemu+ssh://admin@kvm1:2222/system?command=/usr/bin/myssh&no_verify=1", "127.0.0.1");
  assert.equal(custom.file, "/usr/bin/myssh");
  assert.deepEqual(custom.args, [
    "-p",
    "2222",
    "-l",
    "admin",
    "-T",
    "-e",
    "none",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-W",
    "127.0.0.1:5905",
    "--",
    "kvm1",
  ]);
});

test("a TLS host's VNC is reached on the network when QEMU listens there: any-address at the URI's host, a given address as is", () => {
  assert.deepEqual(vncRoute("qemu+tls://kvm2.lan/system", tcp("0.0.0.0"), CONTEXT), { kind: "tcp", host: "kvm2.lan", port: 5901 });
  assert.deepEqual(vncRoute("qemu+tls://kvm2.lan/system", tcp("192.0.2.20"), CONTEXT), { kind: "tcp", host: "192.0.2.20", port: 5901 });
});

test("refusals name the VM and host and say what the host needs: loopback over TLS, a unix socket off this machine, the ext transport", () => {
  for (const address of ["127.0.0.1", "::1", "localhost"]) {
    assert.throws(
      () => vncRoute("qemu+tls://kvm2.lan/system", tcp(address), CONTEXT),
      (err: Error & { kind?: string }) =>
        err.kind === "unavailable" &&
        err.message.startsWith(
          `${CONTEXT}: its VNC display listens on the host's loopback only, which the manager cannot reach over TLS; add the host over ssh`,
        ) &&
        err.message.includes("vnc_listen in the host's /etc/libvirt/qemu.conf"),
    );
  }
  for (const uri of [SSH_HOST, "qemu+tls://kvm2.lan/system"]) {
    assert.throws(() => vncRoute(uri, { kind: "unix", path: "/var/lib/libvirt/qemu/vnc.sock" }, CONTEXT), {
      message: new RegExp(`^VM "web-1" on host "b": its VNC display is a unix socket on the host \\(/var/lib/libvirt/qemu/vnc\\.sock\\)`),
    });
  }
  assert.throws(() => vncRoute("qemu+ext:///system?command=/bin/x", tcp("127.0.0.1"), CONTEXT), {
    message: /^VM "web-1" on host "b": .*not over qemu\+ext:\/\/$/,
  });
});
