import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ExecResult } from "@/agent/protocol";
import { resolveVm } from "@/server/domains/lookup";
import { startGuestHub, stopGuestHub, type GuestHub } from "@/server/guest";
import { quiesce } from "@/server/guest/quiesce";
import { runBackup, setBackupTarget } from "@/server/backups/service";
import type { GuestVm } from "@/server/guest/service";
import { bootAgentGuest } from "@/server/guest/testing/agent-guest";
import { resolveHost } from "@/server/hosts/connection";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { createSnapshot, listSnapshots } from "@/server/snapshots/service";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import type { Db } from "@/server/db/client";
import type { SessionUser } from "@/server/users/service";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, virsh, type TestDomain } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";
import { kvmmCacheDir } from "../fixtures/paths";

/**
 * Freezing a real guest's filesystems for a consistent copy (server/guest/quiesce.ts): one TCG test
 * guest with an ext4 data disk, our agent and stock qemu-guest-agent serves every test; an idle
 * domain stands for a VM without any agent.
 */

const HOST = "local";
const DATA = "/mnt/data";
let db: Db;
let cleanupDb: () => void;
let admin: SessionUser;
let guest: TestDomain;
let hub: GuestHub;
let vm: GuestVm;
let idle: IdleDomain | undefined;

const asAdmin = (uuid: string) => resolveVm(resolveHost(db, HOST), admin, uuid);
const exec = (script: string, timeoutMs = 30_000): Promise<ExecResult> =>
  hub.call(HOST, guest.uuid, "exec_command", { command: "sh", args: ["-c", script], timeout_ms: timeoutMs }, { timeoutMs: timeoutMs + 15_000 });
/** The guest's uptime in seconds (10 ms steps): a clock the guest reads for itself. */
const uptime = async () => Number((await exec("cut -d' ' -f1 /proc/uptime")).stdout.trim());

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  admin = await addUser(db, "ada", "admin");
  ({ guest } = await bootAgentGuest({ label: "quiesce", qemuGuestAgent: true, dataDisk: { sizeMiB: 64, mountpoint: DATA } }));
  hub = await startGuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
  vm = await asAdmin(guest.uuid);
  await waitFor(() => hub.status(HOST, guest.uuid)?.agent.state === "connected" && hub.status(HOST, guest.uuid)?.qga.connected, {
    timeoutMs: 120_000,
    intervalMs: 250,
    what: "our agent and qemu-ga to connect",
    describe: async () => `${JSON.stringify(hub.status(HOST, guest.uuid))}\n${(await guest.serialLog()).split("\n").slice(-15).join("\n")}`,
  });
});

after(async () => {
  await stopGuestHub();
  await guest?.destroy();
  await idle?.remove();
  await closeAllConnections();
  cleanupDb?.();
});

test("our agent freezes the ext4 data disk: a write issued while frozen finishes only after the thaw", async () => {
  const quiesced = await quiesce(vm, { timeoutMs: 60_000 }, hub);
  assert.equal(quiesced.method, "kvmm-agent", quiesced.reason ?? "");
  assert.deepEqual(quiesced.frozen, [DATA]);
  let writer: Promise<ExecResult> | undefined;
  try {
    writer = exec(`read up _ < /proc/uptime; echo "before $up"; echo frozen-write > ${DATA}/during.txt; read up _ < /proc/uptime; echo "after $up"`);
    // The writer is blocked once the kernel holds it in uninterruptible sleep at the frozen superblock.
    await waitFor(
      async () => {
        const { processes } = await hub.call(HOST, guest.uuid, "list_processes", { sort_by: "pid", limit: 1000 });
        return processes.some((p) => p.command.includes("during.txt") && p.state === "D");
      },
      { timeoutMs: 20_000, intervalMs: 100, what: "the writer to block on the frozen filesystem" },
    );
    const beforeThaw = await uptime();
    const status = await hub.call(HOST, guest.uuid, "fs_freeze_status");
    assert.equal(status.frozen, true);
    assert.deepEqual(status.mounts, [DATA]);
    await quiesced.thaw();
    const { stdout, exit_code } = await writer;
    assert.equal(exit_code, 0);
    const [, started, finished] = /before ([\d.]+)\nafter ([\d.]+)/.exec(stdout) ?? [];
    assert.ok(Number(started) <= beforeThaw && Number(finished) >= beforeThaw, `write began ${started}, ended ${finished}, thawed after ${beforeThaw}`);
    assert.equal((await exec(`cat ${DATA}/during.txt`)).stdout, "frozen-write\n");
  } finally {
    await quiesced.thaw();
    await writer?.catch(() => undefined);
  }
});

test("the agent thaws by itself when the host never sends fs_thaw", async () => {
  const quiesced = await quiesce(vm, { timeoutMs: 2_000 }, hub);
  assert.equal(quiesced.method, "kvmm-agent");
  const frozen = await hub.call(HOST, guest.uuid, "fs_freeze_status");
  assert.equal(frozen.frozen, true);
  const thawed = await waitFor(
    async () => {
      const status = await hub.call(HOST, guest.uuid, "fs_freeze_status");
      return status.frozen ? null : status;
    },
    { timeoutMs: 20_000, intervalMs: 200, what: "the agent's automatic thaw" },
  );
  const after = Date.parse(thawed.auto_thawed_at ?? "") - Date.parse(frozen.frozen_at ?? "");
  assert.ok(after >= 2_000 && after < 10_000, `thawed ${after} ms after the freeze`);
  assert.equal((await exec(`echo thawed > ${DATA}/after.txt && cat ${DATA}/after.txt`, 10_000)).stdout, "thawed\n");
});

test("without our agent, stock qemu-guest-agent freezes through libvirt", async () => {
  // The same hub and guest, with our agent's session hidden: only qemu-ga is left to answer.
  const onlyQga = Object.create(hub) as GuestHub;
  onlyQga.track = async (...args: Parameters<GuestHub["track"]>) => {
    const status = await hub.track(...args);
    return { ...status, agent: { ...status.agent, state: "disconnected" } };
  };
  const quiesced = await quiesce(vm, { timeoutMs: 60_000 }, onlyQga);
  try {
    assert.equal(quiesced.method, "qemu-ga", quiesced.reason ?? "");
    assert.deepEqual(quiesced.frozen, ["1 filesystems"]);
  } finally {
    await quiesced.thaw();
  }
  assert.equal((await exec(`echo qga > ${DATA}/qga.txt && cat ${DATA}/qga.txt`, 10_000)).stdout, "qga\n");
});

test("a backup of the running guest freezes its ext4 disk through our agent, is recorded consistent, and leaves it thawed", async () => {
  const pool = `kvmm-test-quiesce-backup-${randomBytes(3).toString("hex")}`;
  // Not under the run root: the fixtures' clean-up removes directories there that have no live owner.
  const dir = join(kvmmCacheDir(), pool);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await virsh(["pool-create-as", pool, "dir", "--target", dir]);
  let checkpoint: string | null = null;
  try {
    await setBackupTarget(db, resolveHost(db, HOST), pool, admin);
    const backup = await runBackup(db, await asAdmin(guest.uuid), { user: admin, quiesce, hub }).done;
    checkpoint = backup.checkpoint;
    assert.equal(backup.state, "succeeded");
    assert.equal(backup.consistency, "consistent", backup.consistencyReason ?? "");
    assert.equal(backup.quiesceMethod, "kvmm-agent");
    assert.equal((await hub.call(HOST, guest.uuid, "fs_freeze_status")).frozen, false);
    assert.equal((await exec(`echo after-backup > ${DATA}/backup.txt && cat ${DATA}/backup.txt`, 10_000)).stdout, "after-backup\n");
  } finally {
    if (checkpoint) await virsh(["checkpoint-delete", guest.name, checkpoint]).catch(() => undefined);
    await virsh(["pool-destroy", pool]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

test("a VM without any agent is not quiesced, says why, and its snapshot shows how consistent it is", async () => {
  idle = await defineIdleDomain(`kvmm-test-quiesce-idle-${randomBytes(3).toString("hex")}`);
  await virsh(["start", idle.name]);
  const idleVm = await asAdmin(idle.uuid);
  const quiesced = await quiesce(idleVm, { timeoutMs: 60_000 }, hub);
  assert.equal(quiesced.method, "none");
  assert.equal(quiesced.reason, "no guest agent is connected (neither the KVM Manager agent nor qemu-guest-agent)");
  await quiesced.thaw();
  await createSnapshot(idleVm, { name: "running", memory: true });
  const { snapshots } = await listSnapshots(idleVm);
  assert.equal(snapshots.find((s) => s.name === "running")?.consistency, "memory");
});
