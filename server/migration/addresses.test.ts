import { test } from "node:test";
import assert from "node:assert/strict";
import { migrationAddress, peerUri, routeSource, tcpUri, uriHost } from "./addresses";

const local = { id: "local", uri: "qemu:///system" };
const b = { id: "b", uri: "qemu+ssh://root@10.77.0.2/system?keyfile=/data/ssh/id&known_hosts=/data/ssh/known" };

test("the host part of a URI, without user, port or brackets; none for a local socket", () => {
  assert.equal(uriHost(b.uri), "10.77.0.2");
  assert.equal(uriHost("qemu+tcp://[fd00::2]:16509/system"), "fd00::2");
  assert.equal(uriHost("qemu:///system"), null);
  assert.equal(tcpUri("10.77.0.2"), "tcp://10.77.0.2");
  assert.equal(tcpUri("fd00::2"), "tcp://[fd00::2]");
});

test("routeSource reads the src of `ip route get`", () => {
  assert.equal(routeSource("10.77.0.2 dev kvbo src 10.77.0.1 uid 0 \n    cache \n"), "10.77.0.1");
  assert.equal(routeSource("local 127.0.0.1 dev lo table local src 127.0.0.1 uid 0"), "127.0.0.1");
  assert.equal(routeSource("RTNETLINK answers: Network is unreachable"), null);
});

test("a remote destination is reached at the address in its URI; this machine at its address on the route towards the source", async () => {
  const noRoute = async () => assert.fail("no route lookup for a remote destination");
  assert.deepEqual(await migrationAddress(local, b, noRoute), { address: "10.77.0.2", how: `the address in host "b"'s URI` });
  const asked: string[] = [];
  const route = async (towards: string) => (asked.push(towards), "10.77.0.1");
  const back = await migrationAddress(b, local, route);
  assert.equal(back.address, "10.77.0.1");
  assert.match(back.how, /route towards host "b" \(10\.77\.0\.2\)/);
  assert.deepEqual(asked, ["10.77.0.2"]);
  await assert.rejects(
    migrationAddress(b, local, async () => null),
    /no route towards host "b"/,
  );
  await assert.rejects(migrationAddress(local, { id: "c", uri: "qemu:///system?socket=/x" }), /both reached by a local socket/);
});

test("peer-to-peer: the destination's URI without the manager's own key and known_hosts; this machine only when KVMM_LIBVIRT_PEER_URI says how", () => {
  const there = peerUri(local, b, undefined);
  assert.equal(there.uri, "qemu+ssh://root@10.77.0.2/system");
  assert.match(there.note, /host "local"'s libvirtd connects to qemu\+ssh:\/\/root@10\.77\.0\.2\/system itself, with its own credentials/);
  assert.deepEqual(peerUri(b, local, "qemu+ssh://kvm1/system").uri, "qemu+ssh://kvm1/system");
  const none = peerUri(b, local, undefined);
  assert.equal(none.uri, null);
  assert.match(none.note, /set KVMM_LIBVIRT_PEER_URI/);
});
