import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import type { Db } from "@/server/db/client";
import { tasks } from "@/server/db/schema";
import type { GuestHub, GuestStatus } from "@/server/guest";
import { readAgentBundle } from "@/server/guest/update";
import { startAgentUpdates } from "@/server/guest/update-batch";
import { loadSigningKey } from "@/server/guest/update-signing";
import { addUser } from "@/server/testing/test-db";
import type { GuestShell } from "../../fixtures/debian-guest";
import { repoRoot } from "../../fixtures/paths";
import { ensureTestUpdateKey } from "../../fixtures/update-key";
import { waitFor } from "../../fixtures/wait";

/**
 * Issue 15 item 5 in a real Debian 12 guest under systemd: the .deb's launcher (the unit's
 * ExecStart) with the tests' update key (scripts/build-debian-guest.sh packages its public half).
 * A newer bundle is pushed as the product does (one agent.update task), the agent exits 75 after the
 * commit and systemd's Restart=on-failure starts the launcher again into it, which answers and is
 * confirmed. Then a bundle that never answers the host's sync is pushed: after UPDATE_TRIAL_MS the
 * launcher rolls back to the newer one, and the agent says why.
 */
export interface UpdateCheck {
  db: Db;
  hub: GuestHub;
  hostId: string;
  uuid: string;
  shell: GuestShell;
  /** The version of our .deb in the image. */
  agentVersion: string;
  figures: Record<string, number>;
}

const STATE_FILE = "/var/lib/kvmmanager-agent/update-state.json";

export async function checkAgentUpdate({ db, hub, hostId, uuid, shell, agentVersion, figures }: UpdateCheck): Promise<void> {
  const [major, minor, patch] = agentVersion.split("-")[0]!.split(".").map(Number) as [number, number, number];
  const newer = `${major}.${minor}.${patch + 1}`;
  const silent = `${major}.${minor}.${patch + 2}`;
  const work = await mkdtemp(path.join(os.tmpdir(), "kvmm-debian-update-"));
  try {
    const newerFile = path.join(work, "newer", "kvmm-agent.cjs");
    await promisify(execFile)(process.execPath, [path.join(repoRoot, "agent", "build.mjs"), "--outfile", newerFile, "--version", newer]);
    const silentFile = path.join(work, "silent.cjs");
    // Loads, keeps the process alive, and never opens the port: the host's sync goes unanswered.
    await writeFile(silentFile, `#!/usr/bin/env node\n// kvmmanager-agent-version ${silent}\nsetInterval(() => undefined, 60_000);\n`);
    const user = await addUser(db, "updater", "operator");
    const key = loadSigningKey(ensureTestUpdateKey().privatePath);
    const status = (): GuestStatus | null => hub.status(hostId, uuid);
    const systemd = async (property: string) =>
      (await shell.exec("/usr/bin/systemctl", ["show", "-p", property, "--value", "kvmmanager-agent.service"])).stdout.trim();
    const update = async (file: string) => {
      const started = await startAgentUpdates(db, user, [{ hostId, uuid }], { bundle: readAgentBundle(file), key });
      const taskId = started.vms[0]?.taskId;
      assert.ok(taskId, started.vms[0]?.error ?? "no task");
      return waitFor(
        () => {
          const row = db.select().from(tasks).where(eq(tasks.id, taskId)).get();
          return row && row.state !== "running" ? row : null;
        },
        { timeoutMs: 240_000, intervalMs: 500, what: `agent update task ${taskId} to end`, describe: () => JSON.stringify(status()?.agent ?? null) },
      );
    };

    const before = await waitFor(() => (status()?.agent.state === "connected" ? status()!.agent.info : null), {
      timeoutMs: 120_000,
      what: "the agent to be connected",
    });
    assert.ok(before.capabilities.includes("update"), "the .deb carries the launcher and the tests' update key");
    const restartsBefore = Number(await systemd("NRestarts"));

    let started = Date.now();
    const good = await update(newerFile);
    figures.agentUpdateMs = Date.now() - started;
    assert.equal(good.state, "succeeded", good.error ?? "");
    const confirmed = status()!.agent.info!;
    assert.equal(confirmed.version, newer);
    assert.equal(confirmed.update?.state, "confirmed");
    assert.equal(confirmed.update?.packaged_version, agentVersion);
    assert.equal(Number(await systemd("NRestarts")), restartsBefore + 1, "systemd restarted the unit after the agent's exit");
    assert.equal(await systemd("MainPID"), String(confirmed.pid), "the launcher's process is the unit's main process");
    const state = JSON.parse((await shell.exec("/usr/bin/cat", [STATE_FILE])).stdout) as { state: string; current: { version: string } };
    assert.equal(state.state, "confirmed");
    assert.equal(state.current.version, newer);

    started = Date.now();
    const bad = await update(silentFile);
    figures.agentRollbackMs = Date.now() - started;
    assert.equal(bad.state, "failed");
    assert.match(
      bad.error ?? "",
      new RegExp(
        `went back to ${newer.replace(/\./g, "\\.")}: ${silent.replace(/\./g, "\\.")} failed its trial \\(no answer to the host's sync within 30 s\\)`,
      ),
    );
    const rolledBack = status()!.agent.info!;
    assert.equal(rolledBack.version, newer);
    assert.equal(rolledBack.update?.state, "rolled_back");
    assert.equal(rolledBack.update?.failed_version, silent);
    assert.equal(await systemd("ActiveState"), "active");
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
