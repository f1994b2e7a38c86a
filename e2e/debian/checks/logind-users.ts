import assert from "node:assert/strict";
import type { GuestHub } from "@/server/guest";
import type { GuestShell } from "../../fixtures/debian-guest";
import { waitFor } from "../../fixtures/wait";

/**
 * Issue 15 item 4, get_users without utmp, in the real Debian 12 guest: a session opened through
 * PAM by systemd (systemd-run with PAMName=, as a service manager or `machinectl shell` opens one)
 * is registered by logind but written to no utmp. Our agent finds utmp without a user session and
 * answers logind's, as loginctl lists it inside the guest (asked over qemu-guest-agent). The
 * loginctl output is printed to the test log: the agent's unit tests hold samples of it.
 */
export interface LogindUsersCheck {
  hub: GuestHub;
  hostId: string;
  uuid: string;
  shell: GuestShell;
  /** An account of the guest's (the cloud-init user). */
  user: string;
}

async function sh(shell: GuestShell, script: string, ...args: string[]): Promise<string> {
  const result = await shell.exec("/bin/sh", ["-c", script, "sh", ...args]);
  assert.equal(result.exitCode, 0, `${script}: exit ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

export async function checkLogindUsers({ hub, hostId, uuid, shell, user }: LogindUsersCheck): Promise<void> {
  const unit = "kvmm-logind-session.service";
  await sh(
    shell,
    'systemd-run --quiet --unit="$1" --property=PAMName=login --property=User="$2" --setenv=XDG_SESSION_CLASS=user /bin/sleep infinity',
    unit,
    user,
  );
  try {
    const id = await waitFor(
      async () => {
        const listed = await sh(shell, "loginctl list-sessions --no-legend --no-pager");
        return (
          listed
            .split("\n")
            .find((line) => line.trim().split(/\s+/)[2] === user)
            ?.trim()
            .split(/\s+/)[0] ?? null
        );
      },
      { timeoutMs: 30_000, intervalMs: 500, what: `logind to register ${user}'s session` },
    );
    const props =
      "--property=Id --property=Name --property=TTY --property=RemoteHost --property=Leader --property=TimestampMonotonic --property=Class --property=State";
    const samples = {
      list: await sh(shell, "loginctl list-sessions --no-legend --no-pager"),
      show: await sh(shell, `loginctl show-session --no-pager ${props} -- $(loginctl list-sessions --no-legend --no-pager | awk '{print $1}')`),
      json: (await shell.exec("/bin/loginctl", ["list-sessions", "--output=json", "--no-pager"])).stdout,
    };
    console.log(`loginctl samples from the Debian guest: ${JSON.stringify(samples)}`);
    assert.equal((await sh(shell, "who")).trim(), "", "utmp holds no user session: the answer can only come from logind");

    const leader = Number((await sh(shell, 'loginctl show-session --value --property=Leader -- "$1"', id)).trim());
    const { sessions } = await hub.call(hostId, uuid, "get_users", {});
    const ours = sessions.find((s) => s.user === user);
    assert.ok(ours, `get_users: ${JSON.stringify(sessions)}`);
    assert.deepEqual({ terminal: ours.terminal, host: ours.host, pid: ours.pid }, { terminal: `session-${id}`, host: null, pid: leader });
    const loginAgoMs = Date.now() - Date.parse(ours.login_time);
    assert.ok(loginAgoMs > -5_000 && loginAgoMs < 120_000, `login_time ${ours.login_time} is when the session began`);
  } finally {
    await sh(shell, 'systemctl stop "$1"', unit);
  }
}
