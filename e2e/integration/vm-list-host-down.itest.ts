import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { hosts } from "@/server/db/schema";
import { listVms, type HostVmList } from "@/server/domains/service";
import { hostTimeoutMs } from "@/server/hosts/fan-out";
import { closeAllConnections, getConnection } from "@/server/libvirt/registry";
import { waitFor } from "@/server/libvirt/testing/libvirtd";
import { subscribe, watchHost } from "@/server/events/bus";
import { hostList } from "@/server/hosts/manage";
import { startSocketProxy, type SocketProxy } from "@/server/libvirt/testing/socket-proxy";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import type { SessionUser } from "@/server/users/service";
import { testDriverConfig, type FakeVm } from "@/scripts/bench/test-driver";
import { ensureLibvirtd } from "../fixtures/test-host";

/**
 * vm.list with one host that stops answering. Two hosts served by this machine's libvirtd through
 * libvirt's test driver, each from a config file of its own (its VMs exist only in that connection,
 * nothing is defined on the machine): "a" directly, "b" through a socket proxy that the test freezes
 * — the connection stays open and nothing comes back, as from a hung host. The per-host timeout is
 * 1 s here (KVMM_HOST_TIMEOUT_S, read once, before anything else reads the environment).
 */
process.env.KVMM_HOST_TIMEOUT_S = "1";
const TIMEOUT_MS = 1000;
const LIBVIRTD_SOCKET = "/run/libvirt/libvirt-sock";

const vmsOf = (host: string): FakeVm[] => [
  { name: `${host}-web-1`, running: true, tags: ["web"] },
  { name: `${host}-web-2`, running: false, tags: ["web"] },
  { name: `${host}-db-1`, running: true, tags: ["db"] },
];

const { db, cleanup } = tempDatabase();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-test-hostdown-"));
let proxy: SocketProxy;
let admin: SessionUser;
let webOperator: SessionUser;

before(async () => {
  await ensureLibvirtd();
  assert.equal(hostTimeoutMs(), TIMEOUT_MS, "the test's timeout is the one the service reads");
  proxy = await startSocketProxy(LIBVIRTD_SOCKET);
  for (const id of ["a", "b"]) fs.writeFileSync(path.join(dir, `${id}.xml`), testDriverConfig(vmsOf(id)));
  db.insert(hosts)
    .values([
      { id: "a", name: "host a", uri: `test+unix://${path.join(dir, "a.xml")}` },
      { id: "b", name: "host b", uri: `test+unix://${path.join(dir, "b.xml")}?socket=${proxy.path}` },
    ])
    .run();
  admin = await addUser(db, "ada", "admin");
  webOperator = await addUser(db, "otto", "operator", [{ kind: "tag", value: "web" }]);
});

after(async () => {
  await closeAllConnections();
  await proxy?.close();
  fs.rmSync(dir, { recursive: true, force: true });
  cleanup();
});

const hostUri = (id: string) =>
  db
    .select()
    .from(hosts)
    .all()
    .find((h) => h.id === id)!.uri;

const byHost = (lists: HostVmList[], id: string) => {
  const list = lists.find((l) => l.hostId === id);
  assert.ok(list, `host "${id}" is in the answer`);
  return { ...list, names: list.vms.map((vm) => vm.name) };
};

test("a host that stops answering shows its VMs as last listed (stale) with the reason, and the other host's list comes within the timeout", async () => {
  const fresh = await listVms(db, admin);
  assert.deepEqual(byHost(fresh, "b").names, ["b-db-1", "b-web-1", "b-web-2"]);
  assert.equal(byHost(fresh, "b").stale, false);

  proxy.freeze();
  try {
    const started = performance.now();
    const lists = await listVms(db, admin);
    const elapsed = performance.now() - started;
    const a = byHost(lists, "a");
    const b = byHost(lists, "b");
    assert.deepEqual({ names: a.names, error: a.error, stale: a.stale }, { names: ["a-db-1", "a-web-1", "a-web-2"], error: null, stale: false });
    assert.deepEqual(
      { names: b.names, error: b.error, stale: b.stale },
      { names: ["b-db-1", "b-web-1", "b-web-2"], error: 'host "b": no answer within 1 s', stale: true },
    );
    assert.deepEqual(
      b.vms.map((vm) => vm.state),
      byHost(fresh, "b").vms.map((vm) => vm.state),
      "as last listed: the states seen then",
    );
    assert.ok(elapsed >= TIMEOUT_MS - 5 && elapsed < TIMEOUT_MS + 1500, `answered after ${elapsed.toFixed(0)} ms, not libvirt's call wait`);
  } finally {
    proxy.thaw();
  }
});

test("the last list of a host that does not answer is narrowed to the asking user's grants, as a fresh one is", async () => {
  await listVms(db, admin);
  proxy.freeze();
  try {
    const lists = await listVms(db, webOperator);
    const a = byHost(lists, "a");
    const b = byHost(lists, "b");
    assert.deepEqual(a.names, ["a-web-1", "a-web-2"], "host a answered: its web VMs only");
    assert.deepEqual({ names: b.names, stale: b.stale }, { names: ["b-web-1", "b-web-2"], stale: true }, "the admin's last list of b, without b-db-1");
  } finally {
    proxy.thaw();
  }
});

test("a host that leaves a keepalive ping unanswered shows as not answering on the hosts page and in an event, is listed stale at once without its timeout, and shows connected once it answers", async (t) => {
  await listVms(db, admin);
  const conn = getConnection("b", hostUri("b"));
  const stopWatching = await watchHost("b", conn);
  const events: string[] = [];
  const unsubscribe = subscribe((event) => event.type === "host.connection" && event.hostId === "b" && events.push(event.state));
  const stateOfB = () => hostList(db, admin).find((h) => h.id === "b")!.connection;
  proxy.freeze();
  const frozenAt = performance.now();
  try {
    // libvirt's keepalive: a ping after 5 s without traffic, unanswered for 5 s more; the keepalive itself gives up only after 30 s.
    await waitFor("host b to show as not answering", () => stateOfB().state === "unresponsive", 20_000);
    t.diagnostic(`not answering shown ${((performance.now() - frozenAt) / 1000).toFixed(1)} s after the host froze`);
    assert.match(stateOfB().error ?? "", /^libvirtd has not answered since \d\d:\d\d:\d\d UTC/);
    assert.deepEqual(events, ["unresponsive"]);
    const b = byHost(await listVms(db, admin), "b");
    assert.deepEqual({ names: b.names, stale: b.stale }, { names: ["b-db-1", "b-web-1", "b-web-2"], stale: true });
    assert.match(b.error ?? "", /^host "b": libvirtd has not answered since/, "not asked, so not its timeout's words");
  } finally {
    proxy.thaw();
  }
  try {
    await waitFor("host b to show connected again", () => stateOfB().state === "connected", 20_000);
    assert.deepEqual(events, ["unresponsive", "open"]);
  } finally {
    unsubscribe();
    stopWatching();
  }
});

test("a host that answers again is listed fresh, no longer stale", async () => {
  const b = byHost(await listVms(db, admin), "b");
  assert.deepEqual({ names: b.names, error: b.error, stale: b.stale }, { names: ["b-db-1", "b-web-1", "b-web-2"], error: null, stale: false });
});
