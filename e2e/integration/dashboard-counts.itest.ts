import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createCaller } from "@/server/api/root";
import { alerts } from "@/server/db/schema";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";

/**
 * The dashboard's VM figures (`hosts.info` per host, `dashboard.summary` for all of them) count only
 * the VMs a user may see. Real libvirtd: kvmm-test-dash-mine-<id> and kvmm-test-dash-other-<id> (two
 * idle domains, both started into SeaBIOS), a third, defined and stopped, out of scope, and two more
 * in scope: kvmm-test-dash-mine-paused-<id> (started, then suspended) and kvmm-test-dash-mine-off-<id>
 * (defined, stopped). An operator granted `name:kvmm-test-dash-mine-*` — as in the issue, an operator
 * limited to a name pattern saw "3 running" — is told about those three only; the admin's figures
 * include the others. Everything is destroyed and undefined in `after`.
 */
const id = randomBytes(3).toString("hex");
const { db, cleanup } = tempDatabase();
const domains: IdleDomain[] = [];

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  for (const name of [
    `kvmm-test-dash-mine-${id}`,
    `kvmm-test-dash-other-${id}`,
    `kvmm-test-dash-stopped-${id}`,
    `kvmm-test-dash-mine-paused-${id}`,
    `kvmm-test-dash-mine-off-${id}`,
  ])
    domains.push(await defineIdleDomain(name));
  await virsh(["start", domains[0]!.name]);
  await virsh(["start", domains[1]!.name]);
  await virsh(["start", domains[3]!.name]);
  await virsh(["suspend", domains[3]!.name]);
});

after(async () => {
  await Promise.all(domains.map((d) => d.remove()));
  await closeAllConnections();
  cleanup();
});

test("an operator narrowed to some VMs is told about their VMs only in the dashboard's counts", async () => {
  const narrowed = createCaller({
    db,
    user: await addUser(db, "nora", "operator", [{ kind: "name", value: "kvmm-test-dash-mine-*" }]),
    clientIp: "192.0.2.41",
  });
  const admin = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.41" });
  const mine = await narrowed.hosts.info({ hostId: "local" });
  assert.deepEqual([mine.activeDomains, mine.inactiveDomains], [2, 1], "a running and a paused VM of theirs, one stopped");
  const all = await admin.hosts.info({ hostId: "local" });
  assert.ok(all.activeDomains >= 2 && all.inactiveDomains >= 1, `the admin's counts include the others: ${all.activeDomains}/${all.inactiveDomains}`);
});

test("the host's memory in hosts.info is what nodememstats reports, as on the collector's chart beside it", async () => {
  const admin = createCaller({ db, user: await addUser(db, "hank", "admin"), clientIp: "192.0.2.41" });
  const info = await admin.hosts.info({ hostId: "local" });
  const totalKiB = Number(/^total\s*:\s*(\d+) KiB/m.exec(await virsh(["nodememstats"]))?.[1]);
  assert.equal(info.memoryBytes, totalKiB * 1024);
  assert.ok(info.memoryFreeBytes! > 0 && info.memoryFreeBytes! < info.memoryBytes, `free ${info.memoryFreeBytes} of ${info.memoryBytes}`);
});

test("dashboard.summary counts VMs by state, agents, firing alerts and audit rows only as far as the user may see", async () => {
  const nora = await addUser(db, "nina", "operator", [{ kind: "name", value: "kvmm-test-dash-mine-*" }]);
  const narrowed = createCaller({ db, user: nora, clientIp: "192.0.2.42" });
  const admin = createCaller({ db, user: await addUser(db, "adam", "admin"), clientIp: "192.0.2.42" });
  const viewer = createCaller({ db, user: await addUser(db, "vera", "viewer"), clientIp: "192.0.2.42" });
  const [mine, other] = [domains[0]!, domains[1]!];
  const firedAt = new Date();
  const alert = { ruleName: "test rule", metric: "vm.cpu", hostId: "local", threshold: 50, firedAt };
  db.insert(alerts)
    .values([
      { ...alert, severity: "critical", uuid: mine.uuid, vmName: mine.name, state: "firing" },
      { ...alert, severity: "critical", uuid: other.uuid, vmName: other.name, state: "firing" },
      { ...alert, severity: "warning", uuid: mine.uuid, vmName: mine.name, state: "firing", silenced: true },
      { ...alert, severity: "warning", uuid: mine.uuid, vmName: mine.name, state: "resolved", resolvedAt: firedAt },
      { ...alert, severity: "info", uuid: null, vmName: null, state: "firing", metric: "host.unreachable" },
    ])
    .run();
  // A mutation of the admin's, so the audit log has a row to show: a silence of the stopped VM, which has no
  // alert (a silence also covers the active alerts it matches, so one of `other` would change the counts).
  await admin.alerts.silence({ target: { kind: "vm", hostId: "local", uuid: domains[2]!.uuid }, endsAt: Date.now() + 3600_000, reason: "dashboard test" });

  const theirs = await narrowed.dashboard.summary();
  const total = (states: Record<string, number>) => Object.values(states).reduce((n, c) => n + c, 0);
  assert.deepEqual(
    [theirs.states.running, theirs.states.paused, theirs.states.shutoff, total(theirs.states)],
    [1, 1, 1, 3],
    "their running, paused and shut-off VM, no other",
  );
  assert.deepEqual(theirs.agents, { agent: 0, qga: 0, none: 1 }, "their one running VM, which runs no agent");
  assert.deepEqual(
    theirs.alerts,
    { critical: 1, warning: 0, info: 0 },
    "their VM's firing alert; not the other VM's, the silenced, the resolved or the host's",
  );
  assert.equal(theirs.audit, null, "an operator may not read the audit log");
  assert.deepEqual(theirs.unreachable, []);

  const all = await admin.dashboard.summary();
  assert.ok(
    all.states.running >= 2 && all.states.paused >= 1 && all.states.shutoff >= 2,
    `the admin's counts include the others: ${JSON.stringify(all.states)}`,
  );
  assert.deepEqual(all.alerts, { critical: 2, warning: 0, info: 1 }, "every firing alert that no silence covered");
  assert.equal(all.audit?.[0]?.action, "alerts.silence", "the admin sees the newest audit row");
  assert.equal(all.audit?.[0]?.username, "adam");

  const seen = await viewer.dashboard.summary();
  assert.equal(seen.audit, null, "a viewer may not read the audit log");
  assert.deepEqual(seen.alerts, all.alerts, "a viewer without grants sees every alert");
});
