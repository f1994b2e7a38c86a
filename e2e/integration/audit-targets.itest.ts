// Every mutation of the router, called by an admin against a host served by libvirt's test driver,
// writes exactly one audit row, and its target has one of the canonical forms of
// server/audit/targets.ts — whether the call succeeded or libvirt refused it. The test driver is
// enough here: what is checked is the API's bookkeeping, not what libvirt does (that is proven on
// real guests by the other integration tests).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { hosts, auditLog, users } from "../../server/db/schema";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import { allProcedures, callByPath } from "../../server/api/testing/procedures";
import { CANONICAL_TARGET } from "../../server/audit/targets";
import { closeAllConnections } from "../../server/libvirt/registry";
import { ensureLibvirtd } from "../fixtures/test-host";
import type { Db } from "../../server/db/client";
import type { SessionUser } from "../../server/users/service";

const HOST = "tdrv";
const VM = "kvmm-test-audit-vm";
const VM_UUID = randomUUID();
const vm = { hostId: HOST, uuid: VM_UUID };
const OTHER_UUID = randomUUID();

let db: Db;
let cleanup: () => void;
let admin: SessionUser;
let configDir: string;

const alertRule = {
  name: "kvmm audit CPU",
  metric: "vm.cpu",
  scope: { kind: "vm", ...vm },
  comparison: ">",
  threshold: 90,
  resolveThreshold: 80,
  forMs: 15_000,
  severity: "warning",
};

const smtp = { host: "127.0.0.1", port: 9, security: "none", user: "kvmm", password: "audit-smtp-password", from: "kvmm@example.com" };

/** An input for each mutation, valid enough to reach the service; a new mutation must be added here. */
function inputs(otherUserId: number): Record<string, unknown> {
  return {
    "auth.changePassword": { currentPassword: "not-the-password", newPassword: "a-new-password-42" },
    "auth.setLocale": { locale: null },
    "auth.endSession": { sessionId: "x".repeat(32) },
    "auth.signOutEverywhere": undefined,
    // Refused before any connection (qemu+tcp is unencrypted); audited with the name typed.
    "hosts.add": { transport: "ssh", name: "kvmm-audit-host", address: "qemu+tcp://192.0.2.1/system", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5" },
    "hosts.update": { hostId: HOST, name: "test driver" },
    // Refused (the name typed back is wrong), so the later calls still have their host.
    "hosts.remove": { hostId: HOST, confirmName: "not-its-name" },
    // Refused by the pre-flight: the destination is the VM's own host.
    "migration.start": { ...vm, destHostId: HOST },
    // Refused: no such destination host.
    "migration.evacuate": { hostId: HOST, destHostId: "kvmm-audit-nowhere" },
    "users.create": { username: "kvmm-audit-new", role: "viewer" },
    "users.update": { userId: otherUserId, role: "operator" },
    "users.setDisabled": { userId: otherUserId, disabled: true },
    // Refused (the name typed back is wrong), so the later calls still have their account.
    "users.delete": { userId: otherUserId, confirmUsername: "not-bob" },
    "users.resetPassword": { userId: otherUserId },
    "vms.power": { ...vm, action: "pause" },
    // One VM: one row, with the VM as its target (the batch writes a row per VM).
    "vms.batch": { vms: [vm], action: "start" },
    "vms.delete": { ...vm, confirmName: "not-its-name" },
    "vms.setAutostart": { ...vm, enabled: true },
    "vms.rename": { ...vm, newName: "kvmm-test-renamed" },
    "vms.setResources": { ...vm, vcpus: 1, memoryMiB: 256 },
    "vms.setTags": { ...vm, tags: ["audit"] },
    "vms.setCpu": { ...vm, cpu: { mode: "custom", model: "qemu64" } },
    "vms.setMemoryHotplug": { ...vm, enabled: true },
    "vms.setDescription": { ...vm, title: "audit", description: "" },
    "vms.create": { hostId: HOST, name: "kvmm-test-created", vcpus: 1, memoryMiB: 128, install: { kind: "none" }, network: { kind: "none" } },
    "vms.clone": { ...vm, newName: "kvmm-test-clone" },
    "vms.importXml": { hostId: HOST, xml: "<domain type='kvm'><name>kvmm-test-imported</name><memory>131072</memory><os><type>hvm</type></os></domain>" },
    "vms.addAgentChannels": vm,
    "nics.add": { ...vm, source: { kind: "network", name: "kvmm-audit-net" }, mac: "52:54:00:00:aa:01" },
    "nics.setLink": { ...vm, mac: "52:54:00:00:aa:01", state: "down" },
    "nics.setSource": { ...vm, mac: "52:54:00:00:aa:01", source: { kind: "bridge", name: "kvmmbr-audit" } },
    "nics.remove": { ...vm, mac: "52:54:00:00:aa:01" },
    "storage.definePool": { hostId: HOST, spec: { type: "dir", name: "kvmm-audit-pool", path: "/srv/kvmm-audit-pool" } },
    "storage.buildPool": { hostId: HOST, pool: "kvmm-audit-pool" },
    "storage.startPool": { hostId: HOST, pool: "kvmm-audit-pool" },
    "storage.stopPool": { hostId: HOST, pool: "kvmm-audit-pool" },
    "storage.refreshPool": { hostId: HOST, pool: "kvmm-audit-pool" },
    "storage.setPoolAutostart": { hostId: HOST, pool: "kvmm-audit-pool", autostart: false },
    "storage.deletePool": { hostId: HOST, pool: "kvmm-audit-pool" },
    "storage.createVolume": { hostId: HOST, pool: "kvmm-audit-pool", name: "v.qcow2", capacityBytes: 1024 ** 3 },
    "storage.deleteVolume": { hostId: HOST, pool: "kvmm-audit-pool", volume: "v.qcow2" },
    "storage.resizeVolume": { hostId: HOST, pool: "kvmm-audit-pool", volume: "v.qcow2", capacityBytes: 2 * 1024 ** 3 },
    "storage.startUpload": { hostId: HOST, pool: "kvmm-audit-pool", name: "up.iso", sizeBytes: 1024 ** 2, fileName: "up.iso" },
    // Refused before any connection is made (not http or https).
    "storage.downloadFromUrl": { hostId: HOST, pool: "kvmm-audit-pool", name: "dl.iso", url: "ftp://example.invalid/dl.iso" },
    "storage.cancelTransfer": { hostId: HOST, pool: "kvmm-audit-pool", id: "0".repeat(32) },
    "storage.attachDisk": { ...vm, pool: "kvmm-audit-pool", volume: "v.qcow2" },
    "storage.detachDisk": { ...vm, target: "vdb" },
    "storage.attachNewDisk": { ...vm, pool: "kvmm-audit-pool", name: "new.qcow2", capacityBytes: 1024 ** 3 },
    "storage.growDisk": { ...vm, target: "vda", capacityBytes: 2 * 1024 ** 3 },
    "storage.changeMedia": { ...vm, target: "sda", media: null },
    "storage.setBootOrder": { ...vm, order: [{ kind: "disk", target: "vda" }] },
    "networks.create": { hostId: HOST, spec: { mode: "isolated", name: "kvmm-audit-net", ipv4: { address: "10.213.250.1", prefix: 24 } } },
    "networks.start": { hostId: HOST, network: "kvmm-audit-net" },
    "networks.stop": { hostId: HOST, network: "kvmm-audit-net" },
    "networks.setAutostart": { hostId: HOST, network: "kvmm-audit-net", autostart: false },
    "networks.delete": { hostId: HOST, network: "kvmm-audit-net" },
    "snapshots.create": { ...vm, name: "s1" },
    "snapshots.revert": { ...vm, snapshot: "s1" },
    "snapshots.delete": { ...vm, snapshot: "s1" },
    "guest.exec": { ...vm, command: "true" },
    "guest.fileRead": { ...vm, path: "/etc/hostname" },
    "guest.fileWrite": { ...vm, path: "/tmp/x", contentBase64: "eA==" },
    "guest.fileRename": { ...vm, from: "/tmp/.x.kvmm-upload-0", to: "/tmp/x" },
    "guest.fileRemove": { ...vm, path: "/tmp/x" },
    "guest.qgaFileRead": { ...vm, path: "/etc/hostname" },
    "guest.qgaFileWrite": { ...vm, path: "/tmp/x", offset: 0, contentBase64: "eA==" },
    "guest.shutdown": vm,
    "guest.reboot": vm,
    "guest.setPassword": { ...vm, user: "deploy", password: "audit-target-secret" },
    "guest.serviceAction": { ...vm, name: "cron", action: "restart" },
    // One VM: one row, with the VM as its target (like vms.batch).
    "guest.agentUpdate": { vms: [vm] },
    // Refused: a test-driver VM has no serial console; the refusal is audited like a ticket would be.
    "consoles.ticket": { ...vm, kind: "serial" },
    "consoles.addVnc": vm,
    "metrics.setRetention": { rawHours: 24, minuteDays: 7, hourDays: 90 },
    // The first rule of this fresh database is rule 1; it is deleted before the silence, so silence a tag.
    "alerts.createRule": alertRule,
    "alerts.updateRule": { id: 1, rule: { ...alertRule, threshold: 95 } },
    "alerts.enableRule": { id: 1, enabled: false },
    "alerts.deleteRule": { id: 1 },
    // Refused: no alert has fired in this database; the refusal is audited with the alert's id.
    "alerts.acknowledge": { id: 1 },
    "alerts.silence": { target: { kind: "tag", tag: "audit" }, endsAt: Date.now() + 3600_000, reason: "audit test" },
    "alerts.endSilence": { id: 1 },
    "insights.recompute": {},
    "metricsTokens.create": { name: "kvmm-audit-scraper" },
    // The token made just above (the first in this database).
    "metricsTokens.revoke": { id: 1 },
    // Refused: no task ran in this database; the refusal is audited with the task's id.
    "tasks.cancel": { id: "0123456789abcdef01234567" },
    // The first two channels of this database: the webhook, then the e-mail list made just above them.
    "notifications.createWebhook": { name: "kvmm-audit-hook", url: "http://127.0.0.1:9/hook", secret: "audit-secret-0123456789" },
    "notifications.updateWebhook": { id: 1, webhook: { name: "kvmm-audit-hook", url: "http://127.0.0.1:9/other" } },
    "notifications.createEmailList": { name: "kvmm-audit-mail", recipients: ["ops@example.com"] },
    "notifications.updateEmailList": { id: 2, list: { name: "kvmm-audit-mail", recipients: ["ops@example.com", "oncall@example.com"] } },
    "notifications.setRuleChannels": { ruleId: 1, channelIds: [1, 2] },
    "notifications.deleteChannel": { id: 2 },
    "notifications.setSmtp": smtp,
    // Port 9 (discard) refuses: the answer is the refusal in words, audited as the call it was.
    "notifications.testEmail": { smtp, to: "ops@example.com" },
    // The pool is gone by now (storage.deletePool above): refused by libvirt, audited against the pool.
    "backups.setTarget": { hostId: HOST, pool: "kvmm-audit-pool" },
    "backups.removeTarget": { hostId: HOST, pool: "kvmm-audit-pool" },
    // Refused: the host has no backup target; audited against the VM.
    "backups.create": vm,
    // Refused: no backup in this database; audited with the backup's id.
    "backups.verify": { id: "0123456789abcdef" },
    "backups.restore": { id: "0123456789abcdef", name: "kvmm-test-restored", pool: "kvmm-audit-pool" },
    "backups.restoreOver": { ...vm, id: "0123456789abcdef", confirmName: VM },
    "backups.delete": { id: "0123456789abcdef" },
    // The first schedule of this database is schedule 1; it is deleted before "run now", which is refused and audited by its id.
    "schedules.create": { name: "kvmm-audit-schedule", target: { kind: "vm", ...vm }, cron: "0 3 * * *", timeZone: "UTC", action: "start" },
    "schedules.update": {
      id: 1,
      schedule: { name: "kvmm-audit-schedule", target: { kind: "vm", ...vm }, cron: "0 4 * * *", timeZone: "UTC", action: "reboot" },
    },
    "schedules.delete": { id: 1 },
    "schedules.runNow": { id: 1 },
    "schedules.setHostConcurrency": { limit: 3 },
    // Refused: the pool is gone (or the VM runs); audited against the VM and the template's name.
    "templates.create": { ...vm, name: "kvmm-audit-template", pool: "kvmm-audit-pool" },
    // Refused: no template in this database; audited with the template's id.
    "templates.deploy": { id: "0123456789abcdef", name: "kvmm-test-deployed", mode: "linked", pool: "kvmm-audit-pool" },
    "templates.delete": { id: "0123456789abcdef" },
  };
}

before(async () => {
  await ensureLibvirtd();
  ({ db, cleanup } = tempDatabase());
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-audit-targets-"));
  const config = path.join(configDir, "node.xml");
  fs.writeFileSync(
    config,
    `<node><domain type="test"><name>${VM}</name><uuid>${VM_UUID}</uuid><memory unit="MiB">256</memory><vcpu>1</vcpu><os><type arch="x86_64">hvm</type></os></domain></node>`,
  );
  db.insert(hosts)
    .values({ id: HOST, name: "test driver", uri: `test+unix://${config}` })
    .run();
  admin = await addUser(db, "ada", "admin");
  await addUser(db, "bob", "viewer");
});

after(async () => {
  await closeAllConnections();
  cleanup();
  fs.rmSync(configDir, { recursive: true, force: true });
});

test("every mutation, succeeding or refused by libvirt, writes one audit row whose target has a canonical form", async () => {
  const bob = db
    .select()
    .from(users)
    .all()
    .find((u) => u.username === "bob")!;
  const table = inputs(bob.id);
  const mutations = allProcedures().filter((p) => p.type === "mutation");
  const missing = mutations.filter((p) => !(p.path in table)).map((p) => p.path);
  assert.deepEqual(missing, [], "mutations without an input in this test: add them");

  const outcomes: string[] = [];
  for (const { path: procedure } of mutations) {
    const before = db.select().from(auditLog).all().length;
    const outcome = await callByPath({ db, user: admin, clientIp: "192.0.2.7" }, procedure, table[procedure]).then(
      () => "ok",
      (err: unknown) => (err as Error).message,
    );
    outcomes.push(`${procedure}: ${outcome}`);
    const rows = db.select().from(auditLog).all().slice(before);
    assert.equal(rows.length, 1, `${procedure} wrote ${rows.length} audit rows (${outcome})`);
    assert.match(rows[0]!.target ?? "(none)", CANONICAL_TARGET, `${procedure}: target ${rows[0]!.target} (${outcome})`);
  }
  // Most calls really reach libvirt: the test is not passing on validation errors alone.
  assert.ok(outcomes.filter((o) => o.endsWith(": ok")).length >= 10, outcomes.join("\n"));
});

test("a VM that is not there is named by its UUID in the audit row", async () => {
  await assert.rejects(callByPath({ db, user: admin, clientIp: "192.0.2.7" }, "vms.power", { hostId: HOST, uuid: OTHER_UUID, action: "start" }));
  const row = db.select().from(auditLog).all().at(-1)!;
  assert.equal(row.target, `VM ${OTHER_UUID} on host "${HOST}"`);
  assert.equal(row.result, "error");
});
