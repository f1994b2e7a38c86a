import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createCaller } from "@/server/api/root";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";

/**
 * The dashboard's VM figures (`hosts.info`, the only call the dashboard page makes per host) count
 * only the VMs a user may see. Real libvirtd: kvmm-test-dash-mine-<id> and kvmm-test-dash-other-<id>
 * (two idle domains, both started into SeaBIOS, plus a third, defined and stopped, out of scope).
 * An operator granted `name:kvmm-test-dash-mine-*` — as in the issue, an operator limited to a
 * name pattern saw "3 running" — is told 1 running and 0 stopped; the admin's figures include the
 * others. Everything is destroyed and undefined in `after`.
 */
const id = randomBytes(3).toString("hex");
const { db, cleanup } = tempDatabase();
const domains: IdleDomain[] = [];

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  for (const name of [`kvmm-test-dash-mine-${id}`, `kvmm-test-dash-other-${id}`, `kvmm-test-dash-stopped-${id}`]) domains.push(await defineIdleDomain(name));
  await virsh(["start", domains[0]!.name]);
  await virsh(["start", domains[1]!.name]);
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
  assert.deepEqual([mine.activeDomains, mine.inactiveDomains], [1, 0], "one running VM of theirs, none stopped");
  const all = await admin.hosts.info({ hostId: "local" });
  assert.ok(all.activeDomains >= 2 && all.inactiveDomains >= 1, `the admin's counts include the others: ${all.activeDomains}/${all.inactiveDomains}`);
});
