import assert from "node:assert/strict";
import type { createCaller } from "@/server/api/root";
import type { Db } from "@/server/db/client";
import { auditLog } from "@/server/db/schema";
import type { GuestHub } from "@/server/guest";
import { syncGuestTime } from "@/server/guest/admin";
import type { GuestVm } from "@/server/guest/service";
import type { GuestShell } from "../../fixtures/debian-guest";
import { waitFor } from "../../fixtures/wait";

/**
 * Issue 15 item 4 in the real Debian guest: set_user_password and sync_time through the product,
 * checked inside the guest over qemu-guest-agent (never through our own agent).
 */
export interface GuestAdminCheck {
  api: ReturnType<typeof createCaller>;
  db: Db;
  hub: GuestHub;
  shell: GuestShell;
  /** The running VM, as the product resolves it (for syncGuestTime). */
  vm: GuestVm;
  hostId: string;
  uuid: string;
  /** The cloud-init user and the password the deploy gave it. */
  user: string;
  oldPassword: string;
  figures: Record<string, number>;
}

const AGENT_CONFIG = "/etc/kvmmanager-agent/config.json";
const NEW_PASSWORD = "new password set through the product 42";

async function exec(shell: GuestShell, path: string, args: string[]): Promise<string> {
  const result = await shell.exec(path, args, 60_000);
  assert.equal(result.exitCode, 0, `${path} ${args.join(" ")}: exit ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

/** Whether `password` matches the user's /etc/shadow hash, by the guest's own crypt(3); and the hash's method prefix. */
async function passwordMatches(shell: GuestShell, user: string, password: string): Promise<{ matches: boolean; method: string }> {
  const out = await exec(shell, "/usr/bin/python3", [
    "-W",
    "ignore",
    "-c",
    "import crypt, spwd, sys; h = spwd.getspnam(sys.argv[1]).sp_pwdp; print(h.split('$')[1], crypt.crypt(sys.argv[2], h) == h)",
    user,
    password,
  ]);
  const [method, matches] = out.trim().split(" ");
  return { matches: matches === "True", method: method ?? "" };
}

/** Guest clock minus host clock (ms), the host's read at the middle of the round trip. */
async function guestClockSkew(shell: GuestShell): Promise<number> {
  const before = Date.now();
  const guest = Number((await exec(shell, "/bin/date", ["+%s%3N"])).trim());
  return guest - (before + Date.now()) / 2;
}

async function setGuestClockBack(shell: GuestShell, ms: number): Promise<void> {
  await exec(shell, "/bin/date", ["-u", "-s", `@${((Date.now() - ms) / 1000).toFixed(3)}`]);
  assert.ok((await guestClockSkew(shell)) < -ms + 10_000, "the guest clock went back");
}

/**
 * The guest's admin opts in (set_user_password_enabled, off by default) and restarts the unit; the
 * product sets the cloud-init user's password; the guest's crypt(3) accepts the new one and refuses
 * the old; the password is in neither the agent's journal nor the audit row.
 */
export async function checkSetPassword(c: GuestAdminCheck): Promise<void> {
  const handshakes = c.hub.status(c.hostId, c.uuid)?.agent.handshakes ?? 0;
  assert.ok(!c.hub.status(c.hostId, c.uuid)?.agent.info?.capabilities.includes("user.password"), "off by default");

  await exec(c.shell, "/usr/bin/python3", [
    "-c",
    "import json, sys; p = sys.argv[1]; c = json.load(open(p)); c['set_user_password_enabled'] = True; json.dump(c, open(p, 'w'), indent=2)",
    AGENT_CONFIG,
  ]);
  await exec(c.shell, "/usr/bin/systemctl", ["restart", "kvmmanager-agent.service"]);
  await waitFor(
    () => {
      const s = c.hub.status(c.hostId, c.uuid);
      return s?.agent.state === "connected" && s.agent.handshakes > handshakes && s.agent.info?.capabilities.includes("user.password") ? s : null;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: "our agent to reconnect announcing user.password" },
  );

  assert.equal((await passwordMatches(c.shell, c.user, c.oldPassword)).matches, true, "the deploy's password holds before");
  const started = Date.now();
  assert.deepEqual(await c.api.guest.setPassword({ hostId: c.hostId, uuid: c.uuid, user: c.user, password: NEW_PASSWORD }), { via: "agent" });
  c.figures.setPasswordMs = Date.now() - started;
  const now = await passwordMatches(c.shell, c.user, NEW_PASSWORD);
  assert.equal(now.matches, true, "the new password matches the guest's new hash");
  assert.equal((await passwordMatches(c.shell, c.user, c.oldPassword)).matches, false, "the old password no longer does");
  assert.equal(now.method, "y", "hashed in the guest with Debian 12's method (yescrypt)");

  await assert.rejects(
    c.api.guest.setPassword({ hostId: c.hostId, uuid: c.uuid, user: "nobody-here", password: NEW_PASSWORD }),
    /user "nobody-here" does not exist in the guest/,
  );

  const journal = await exec(c.shell, "/usr/bin/journalctl", ["-u", "kvmmanager-agent.service", "--no-pager", "-o", "cat"]);
  assert.match(journal, new RegExp(`audit id=\\S+ method=set_user_password username=${c.user} crypted=false outcome=ok`));
  assert.match(journal, /method=set_user_password username=nobody-here crypted=false outcome=error code=-32002/);
  assert.ok(!journal.includes(NEW_PASSWORD), "the password is not in the agent's journal");
  const rows = c.db
    .select()
    .from(auditLog)
    .all()
    .filter((r) => r.action === "guest.setPassword");
  assert.ok(
    rows.some((r) => r.result === "ok" && r.target?.endsWith(`: user "${c.user}"`)),
    JSON.stringify(rows),
  );
  for (const row of rows) assert.ok(!JSON.stringify(row).includes(NEW_PASSWORD), "the password is not in the audit row");
}

/** The guest clock set an hour back: a resume through the product brings it back, and so does syncGuestTime, which answers the offset. */
export async function checkSyncTime(c: GuestAdminCheck): Promise<void> {
  const HOUR = 3_600_000;
  assert.ok(c.hub.status(c.hostId, c.uuid)?.agent.info?.capabilities.includes("time.sync"), "on by default");

  await setGuestClockBack(c.shell, HOUR);
  await c.api.vms.power({ hostId: c.hostId, uuid: c.uuid, action: "pause" });
  const resumed = Date.now();
  await c.api.vms.power({ hostId: c.hostId, uuid: c.uuid, action: "resume" });
  await waitFor(async () => (Math.abs(await guestClockSkew(c.shell)) < 3_000 ? true : null), {
    timeoutMs: 30_000,
    intervalMs: 250,
    what: "the guest clock to be synced after the product's resume",
  });
  c.figures.clockSyncedAfterResumeMs = Date.now() - resumed;

  await setGuestClockBack(c.shell, HOUR);
  const result = await syncGuestTime(c.vm, c.hub);
  assert.equal(result.via, "agent");
  const offset = result.via === "agent" ? (result.offsetMs ?? 0) : 0;
  assert.ok(Math.abs(offset - HOUR) < 10_000, `offset ${offset} ms, about an hour`);
  const skew = await guestClockSkew(c.shell);
  assert.ok(Math.abs(skew) < 3_000, `guest clock ${skew} ms off the host's after sync_time`);
  c.figures.syncTimeSkewMs = Math.round(skew);
}
