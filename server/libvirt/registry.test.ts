import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { closeAllConnections, closeConnection, getConnection, localUri } from "./registry";

afterEach(async () => {
  await closeAllConnections();
  delete process.env.KVMM_LIBVIRT_URI;
});

test("one lazy connection per host; `local` follows KVMM_LIBVIRT_URI", () => {
  assert.equal(localUri(), "qemu:///system");
  process.env.KVMM_LIBVIRT_URI = "test+unix:///default";
  const local = getConnection("local");
  assert.equal(local.uri, "test+unix:///default");
  assert.equal(local.state, "idle", "nothing is opened before the first call");
  assert.equal(getConnection("local"), local, "shared");
  const remote = getConnection("kvm2", "qemu+ssh://kvm2/system");
  assert.notEqual(remote, local);
  assert.throws(() => getConnection("kvm3"), /needs a URI/);
});

test("a changed URI replaces the connection; closing makes the next get a fresh one", async () => {
  const first = getConnection("kvm2", "qemu+ssh://kvm2/system");
  const second = getConnection("kvm2", "qemu+tls://kvm2/system");
  assert.notEqual(second, first);
  assert.equal(first.state, "closed");
  await closeConnection("kvm2");
  assert.equal(second.state, "closed");
  assert.notEqual(getConnection("kvm2", "qemu+tls://kvm2/system"), second);
  await closeAllConnections();
});
