import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fitUsers } from "../fit";
import { logindSessions, parseSessionIds, parseShowSessions, SESSION_PROPERTIES } from "./logind";
import type { RunTool } from "./services";

// systemd 252's output (Debian 12) for a session opened by systemd-run with PAMName=login for the
// cloud-init user (class user, no TTY) and a cron job's (class background). Not captured from the
// Debian test guest: its image has no libpam-systemd, so logind registers no session there.
const LIST = `      3 1000 deploy -
     c1    0 root   -
`;
const SHOW = `Id=3
Name=deploy
TTY=
RemoteHost=
Leader=1042
TimestampMonotonic=52419377
Class=user
State=active

Id=c1
Name=root
TTY=
RemoteHost=
Leader=1101
TimestampMonotonic=60000000
Class=background
State=active
`;
const BOOT = Date.UTC(2026, 10, 28, 7, 0, 0);

describe("get_users from systemd-logind", () => {
  it("reads the session ids from list-sessions, the first column of each line", () => {
    assert.deepEqual(parseSessionIds(LIST), ["3", "c1"]);
    assert.deepEqual(parseSessionIds(""), []);
    assert.deepEqual(parseSessionIds("No sessions.\n"), []);
  });

  it("keeps user sessions (not background, greeter or closing ones) with their leader and a login time on top of the boot time", () => {
    assert.deepEqual(parseShowSessions(SHOW, BOOT), [{ user: "deploy", terminal: "session-3", host: null, login_time: "2026-11-28T07:00:52.419Z", pid: 1042 }]);
    const ssh = "Id=7\nName=ops\nTTY=/dev/pts/0\nRemoteHost=192.0.2.9\nLeader=2001\nTimestampMonotonic=1000000\nClass=user\nState=online\n";
    assert.deepEqual(parseShowSessions(ssh, BOOT), [{ user: "ops", terminal: "pts/0", host: "192.0.2.9", login_time: "2026-11-28T07:00:01.000Z", pid: 2001 }]);
    assert.deepEqual(parseShowSessions(ssh.replace("State=online", "State=closing"), BOOT), []);
    assert.deepEqual(parseShowSessions(ssh.replace("Class=user", "Class=greeter"), BOOT), []);
  });

  it("asks loginctl twice (list, then show for all ids at once) and is bounded as utmp's answer is", async () => {
    const calls: string[][] = [];
    const run: RunTool = async (argv) => {
      calls.push(argv);
      return { code: 0, stdout: argv[1] === "list-sessions" ? LIST : SHOW, stderr: "" };
    };
    const sessions = await logindSessions(run, async () => BOOT);
    assert.equal(sessions.length, 1);
    assert.deepEqual(calls, [
      ["loginctl", "list-sessions", "--no-legend", "--no-pager"],
      ["loginctl", "show-session", "--no-pager", ...SESSION_PROPERTIES.map((p) => `--property=${p}`), "--", "3", "c1"],
    ]);
    const many = Array.from(
      { length: 1500 },
      (_, i) => `Id=${i}\nName=${"u".repeat(300)}\nTTY=\nLeader=1\nTimestampMonotonic=1\nClass=user\nState=active\n`,
    ).join("\n");
    const fitted = fitUsers(parseShowSessions(many, BOOT));
    assert.equal(fitted.sessions.length, 1000);
    assert.equal(fitted.truncated, true);
  });

  it("no loginctl (no systemd) or no logind is no sessions, not an error", async () => {
    const missing: RunTool = async () => {
      throw new Error("loginctl is not installed");
    };
    assert.deepEqual(await logindSessions(missing, async () => BOOT), []);
    const down: RunTool = async () => ({ code: 1, stdout: "", stderr: "Failed to connect to bus: No such file or directory" });
    assert.deepEqual(await logindSessions(down, async () => BOOT), []);
  });
});
