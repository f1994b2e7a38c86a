import { test } from "node:test";
import assert from "node:assert/strict";
import { ServiceError } from "../errors";
import { parseHostAddress, sameEndpoint } from "./address";

const refusedWith = (pattern: RegExp) => (err: unknown) =>
  err instanceof ServiceError && err.kind === "invalid" && err.field === "address" && pattern.test(err.message);

test("ssh and TLS addresses of a host's system libvirtd are accepted, with user and port as typed", () => {
  assert.deepEqual(parseHostAddress(" qemu+ssh://root@kvm2.lan:2222/system ", "ssh"), {
    transport: "ssh",
    address: "qemu+ssh://root@kvm2.lan:2222/system",
    host: "kvm2.lan",
    port: 2222,
    user: "root",
  });
  assert.deepEqual(parseHostAddress("qemu+tls://10.0.0.5/system", "tls"), {
    transport: "tls",
    address: "qemu+tls://10.0.0.5/system",
    host: "10.0.0.5",
    port: null,
    user: null,
  });
});

test("qemu+tcp is refused as unencrypted and unauthenticated; other schemes, paths and parameters in plain words", () => {
  assert.throws(() => parseHostAddress("qemu+tcp://10.0.0.5/system", "ssh"), refusedWith(/unencrypted and unauthenticated/));
  assert.throws(() => parseHostAddress("qemu:///system", "ssh"), refusedWith(/not a remote QEMU host/));
  assert.throws(() => parseHostAddress("xen+ssh://root@h/system", "ssh"), refusedWith(/not a remote QEMU host/));
  assert.throws(() => parseHostAddress("qemu+unix:///system", "tls"), refusedWith(/not a remote QEMU host/));
  assert.throws(() => parseHostAddress("kvm2.lan", "ssh"), refusedWith(/not a libvirt address/));
  assert.throws(() => parseHostAddress("qemu+ssh://root@h/session", "ssh"), refusedWith(/ends in \/system, not "\/session"/));
  assert.throws(() => parseHostAddress("qemu+ssh://root@h/system?keyfile=/root/.ssh/id", "ssh"), refusedWith(/takes no parameters/));
  assert.throws(() => parseHostAddress("qemu+ssh:///system", "ssh"), refusedWith(/names no host/));
  assert.throws(() => parseHostAddress("qemu+tls://h/system", "ssh"), refusedWith(/qemu\+tls:\/\/ but the ssh form/));
  assert.throws(() => parseHostAddress("qemu+tls://admin@h/system", "tls"), refusedWith(/names no user/));
});

test("the same endpoint is the same transport, host and port, whoever logs in and whether the default port is spelled out", () => {
  const a = parseHostAddress("qemu+ssh://root@KVM2/system", "ssh");
  assert.ok(sameEndpoint(a, parseHostAddress("qemu+ssh://admin@kvm2:22/system", "ssh")));
  assert.ok(!sameEndpoint(a, parseHostAddress("qemu+ssh://root@kvm2:2222/system", "ssh")));
  assert.ok(sameEndpoint(parseHostAddress("qemu+tls://kvm2/system", "tls"), parseHostAddress("qemu+tls://kvm2:16514/system", "tls")));
});
