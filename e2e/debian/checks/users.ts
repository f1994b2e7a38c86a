import assert from "node:assert/strict";
import type { createCaller } from "@/server/api/root";
import type { GuestShell } from "../../fixtures/debian-guest";
import { waitFor } from "../../fixtures/wait";

/**
 * Issue 15 item 4's "get_users without utmp (logind)", in the real Debian guest: a session that only
 * systemd-logind knows of. `systemd-run -p PAMName=login` opens a PAM session for a service, which
 * pam_systemd (libpam-systemd, in the image for this) registers with logind, and which nothing writes
 * to utmp. With utmp holding no user session, the agent reads logind, and the VM's guest facts list the
 * user on the session's terminal.
 */
export interface UsersCheck {
  api: ReturnType<typeof createCaller>;
  shell: GuestShell;
  hostId: string;
  uuid: string;
  /** A user of the guest (the cloud-init one). */
  user: string;
  figures: Record<string, number>;
}

const UNIT = "kvmm-logind-session.service";
/** A virtual console no getty holds (the guest's getty is on ttyS0). */
const TTY = "tty5";

async function exec(shell: GuestShell, path: string, args: string[]): Promise<string> {
  const result = await shell.exec(path, args, 60_000);
  assert.equal(result.exitCode, 0, `${path} ${args.join(" ")}: exit ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

/** The id of the user's logind session, as loginctl lists it; null while there is none. */
async function logindSession(shell: GuestShell, user: string): Promise<string | null> {
  const listed = await exec(shell, "/usr/bin/loginctl", ["list-sessions", "--no-legend", "--no-pager"]);
  const id = listed
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find((cols) => cols[2] === user)?.[0];
  return id ?? null;
}

export async function checkUsersFromLogind(c: UsersCheck): Promise<void> {
  assert.equal((await exec(c.shell, "/usr/bin/who", [])).trim(), "", "utmp holds no user session, so the agent must ask logind");
  // On a terminal: pam_systemd files a session without one as a background job (class "background"), which is not
  // a login, and the agent leaves those out as utmp would.
  await exec(c.shell, "/usr/bin/systemd-run", [
    `--unit=${UNIT}`,
    `--uid=${c.user}`,
    "--property=PAMName=login",
    `--property=TTYPath=/dev/${TTY}`,
    "/bin/sleep",
    "600",
  ]);
  try {
    await waitFor(() => logindSession(c.shell, c.user), {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: `logind to register ${c.user}'s session`,
    });
    assert.equal((await exec(c.shell, "/usr/bin/who", [])).trim(), "", "the service's session is logind's alone, not in utmp");
    const started = Date.now();
    const facts = await c.api.guest.facts({ hostId: c.hostId, uuid: c.uuid });
    c.figures.usersFromLogindMs = Date.now() - started;
    assert.equal(facts.users.source, "agent");
    assert.deepEqual(
      facts.users.value?.map((u) => ({ user: u.user, terminal: u.terminal, host: u.host })),
      [{ user: c.user, terminal: TTY, host: null }],
    );
    const loginTime = Date.parse(facts.users.value?.[0]?.loginTime ?? "");
    assert.ok(Math.abs(loginTime - started) < 120_000, `the login time ${facts.users.value?.[0]?.loginTime} is this session's`);
  } finally {
    await exec(c.shell, "/usr/bin/systemctl", ["stop", UNIT]);
  }
  await waitFor(async () => ((await c.api.guest.facts({ hostId: c.hostId, uuid: c.uuid })).users.value?.length === 0 ? true : null), {
    timeoutMs: 30_000,
    intervalMs: 500,
    what: "the session to leave the guest's users once its unit stopped",
  });
}
