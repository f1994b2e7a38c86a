import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { and, eq, like } from "drizzle-orm";
import { AGENT_VERSION } from "../../agent/src/version";
import { createCaller } from "../../server/api/root";
import type { Db } from "../../server/db/client";
import { auditLog, tasks } from "../../server/db/schema";
import { startGuestHub, stopGuestHub, type GuestHub, type GuestStatus } from "../../server/guest";
import { bootAgentGuest } from "../../server/guest/testing/agent-guest";
import { ensureLocalHost } from "../../server/hosts/service";
import { closeAllConnections } from "../../server/libvirt/registry";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import type { SessionUser } from "../../server/users/service";
import { repoRoot } from "../fixtures/paths";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, type TestDomain } from "../fixtures/test-host";
import { ensureTestUpdateKey } from "../fixtures/update-key";
import { waitFor } from "../fixtures/wait";

/**
 * Agent self-update (issue 15 item 5) on one busybox guest that runs the agent as the package
 * does, through its launcher with a restart loop: a newer bundle pushed through guest.agentUpdate
 * is installed, restarted into and confirmed; then a bundle that exits at start is rolled back to
 * the one before it, with the reason. The bundle offered is KVMM_AGENT_BUNDLE, the signing key the
 * tests' one (e2e/fixtures/update-key.ts), whose public half the guest was given.
 */

const HOST = "local";
const [major, minor, patch] = AGENT_VERSION.split("-")[0]!.split(".").map(Number) as [number, number, number];
const NEWER = `${major}.${minor}.${patch + 1}`;
const BROKEN = `${major}.${minor}.${patch + 2}`;

const work = mkdtempSync(path.join(os.tmpdir(), "kvmm-agent-update-"));
const offered = path.join(work, "offered.cjs");
// Read by env() on first use, which comes after this module's body.
process.env.KVMM_AGENT_BUNDLE = offered;
process.env.KVMM_AGENT_SIGNING_KEY = ensureTestUpdateKey().privatePath;

let guest: TestDomain;
let hub: GuestHub;
let db: Db;
let cleanupDb: () => void;
let operator: SessionUser;
let newerBundle: string;

const api = () => createCaller({ db, user: operator, clientIp: "192.0.2.10" }).guest;
const status = (): GuestStatus | null => hub.status(HOST, guest.uuid);

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  operator = await addUser(db, "otto", "operator");
  newerBundle = path.join(work, "newer", "kvmm-agent.cjs");
  const built = promisify(execFile)(process.execPath, [path.join(repoRoot, "agent", "build.mjs"), "--outfile", newerBundle, "--version", NEWER]);
  ({ guest } = await bootAgentGuest({ label: "update" }));
  hub = await startGuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
  await built;
});

after(async () => {
  await stopGuestHub();
  await guest?.destroy();
  await closeAllConnections();
  cleanupDb?.();
  rmSync(work, { recursive: true, force: true });
});

async function finishedTask(id: string) {
  return waitFor(
    () => {
      const row = db.select().from(tasks).where(eq(tasks.id, id)).get();
      return row && row.state !== "running" ? row : null;
    },
    {
      timeoutMs: 150_000,
      intervalMs: 500,
      what: `agent update task ${id} to end`,
      describe: async () => `hub: ${JSON.stringify(status()?.agent.info?.update ?? null)}\n${(await guest.serialLog()).split("\n").slice(-15).join("\n")}`,
    },
  );
}

test("a newer bundle pushed through guest.agentUpdate is installed, restarted into and confirmed", async () => {
  await waitFor(() => status()?.agent.state === "connected", { timeoutMs: 180_000, intervalMs: 250, what: "the agent to connect" });
  const before = status()!.agent.info!;
  assert.equal(before.version, AGENT_VERSION);
  assert.ok(before.capabilities.includes("update"), "the launcher and the key are in place");
  assert.equal(before.update?.state, "none");
  copyFileSync(newerBundle, offered);
  assert.equal((await api().status({ hostId: HOST, uuid: guest.uuid })).offeredAgentVersion, NEWER);

  const started = await api().agentUpdate({ vms: [{ hostId: HOST, uuid: guest.uuid }] });
  assert.equal(started.version, NEWER);
  const taskId = started.vms[0]?.taskId;
  assert.ok(taskId, started.vms[0]?.error ?? "no task");
  const task = await finishedTask(taskId);
  assert.equal(task.state, "succeeded", task.error ?? "");
  assert.deepEqual(JSON.parse(task.result ?? "null"), { version: NEWER, previousVersion: AGENT_VERSION });
  assert.equal(task.bytesDone, task.bytesTotal);

  const info = status()!.agent.info!;
  assert.equal(info.version, NEWER);
  assert.notEqual(info.pid, before.pid, "the agent restarted");
  assert.equal(info.update?.state, "confirmed");
  assert.equal(info.update?.packaged_version, AGENT_VERSION);
  const audit = db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, "guest.agentUpdate"), like(auditLog.target, `%${guest.name}%`)))
    .all();
  assert.equal(audit.length, 1);
  assert.equal(audit[0]?.result, "ok");
});

test("a bundle that exits at start is rolled back to the one before it, and the task says why", async () => {
  writeFileSync(offered, `#!/usr/bin/env node\n// kvmmanager-agent-version ${BROKEN}\nprocess.exit(3);\n`);
  const started = await api().agentUpdate({ vms: [{ hostId: HOST, uuid: guest.uuid }] });
  assert.equal(started.version, BROKEN);
  const task = await finishedTask(started.vms[0]!.taskId!);
  assert.equal(task.state, "failed");
  assert.match(
    task.error ?? "",
    new RegExp(`went back to ${NEWER.replace(/\./g, "\\.")}: ${BROKEN.replace(/\./g, "\\.")} failed its trial \\(exited with code 3`),
  );

  const info = status()!.agent.info!;
  assert.equal(info.version, NEWER);
  assert.equal(info.update?.state, "rolled_back");
  assert.equal(info.update?.failed_version, BROKEN);
  assert.match(info.update?.reason ?? "", /exited with code 3/);
});
