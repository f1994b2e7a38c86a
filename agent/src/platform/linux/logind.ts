import type { UserSession } from "../../../protocol/index";
import type { RunTool } from "./services";

/**
 * Logged-in users from systemd-logind, for guests whose utmp is missing or holds no user sessions:
 * musl distros keep no utmp, newer distros dropped it (logind is the record), and sessions opened
 * without a login(1)-like program (systemd-run with PAMName=, machinectl shell) never write one.
 * `loginctl list-sessions --no-legend` names the sessions (every systemd version prints it the same
 * way; its JSON output is newer than Debian 12's systemd 252), then one `loginctl show-session` reads
 * them all as `Key=Value` blocks. The login time is the session's monotonic timestamp on top of the
 * boot time, so neither the guest's time zone nor its locale can change it.
 */

const LOGINCTL_TIMEOUT_MS = 10_000;
export const SESSION_PROPERTIES = ["Id", "Name", "TTY", "RemoteHost", "Leader", "TimestampMonotonic", "Class", "State"] as const;
/** A logind session id: the audit session id, or `c` and a counter for sessions without one. */
const SESSION_ID = /^c?[0-9]{1,19}$/;
/** Sessions utmp would also list: a user's login (not a cron job's `background`, a greeter or a lock screen), not one being torn down. */
const LOGIN_CLASSES = new Set(["user", "user-early", "user-incomplete"]);

/** The session ids of `loginctl list-sessions --no-legend`: the first column of each line. */
export function parseSessionIds(text: string): string[] {
  const ids: string[] = [];
  for (const line of text.split("\n")) {
    const id = line.trim().split(/\s+/)[0];
    if (id && SESSION_ID.test(id)) ids.push(id);
  }
  return ids;
}

/** `loginctl show-session -p … ID…`: one block of `Key=Value` lines per session, blocks separated by an empty line. */
export function parseShowSessions(text: string, bootTimeMs: number): UserSession[] {
  const sessions: UserSession[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const props = new Map<string, string>();
    for (const line of block.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const user = props.get("Name");
    if (!user || !LOGIN_CLASSES.has(props.get("Class") ?? "") || props.get("State") === "closing") continue;
    const monotonicUs = Number(props.get("TimestampMonotonic"));
    const leader = Number(props.get("Leader"));
    sessions.push({
      user,
      // What utmp's ut_line holds: the terminal without /dev/; logind sessions without one are named by their id.
      terminal: (props.get("TTY") || `session-${props.get("Id") ?? "?"}`).replace(/^\/dev\//, ""),
      host: props.get("RemoteHost") || null,
      login_time: new Date(bootTimeMs + (Number.isFinite(monotonicUs) && monotonicUs > 0 ? Math.floor(monotonicUs / 1000) : 0)).toISOString(),
      pid: Number.isInteger(leader) && leader > 0 ? leader : null,
    });
  }
  return sessions;
}

/** The logind sessions; none when loginctl is not installed (no systemd) or logind does not run. */
export async function logindSessions(run: RunTool, bootTimeMs: () => Promise<number>): Promise<UserSession[]> {
  let listed;
  try {
    listed = await run(["loginctl", "list-sessions", "--no-legend", "--no-pager"], LOGINCTL_TIMEOUT_MS);
  } catch {
    return [];
  }
  const ids = listed.code === 0 ? parseSessionIds(listed.stdout) : [];
  if (ids.length === 0) return [];
  const shown = await run(["loginctl", "show-session", "--no-pager", ...SESSION_PROPERTIES.map((p) => `--property=${p}`), "--", ...ids], LOGINCTL_TIMEOUT_MS);
  // A session that ended between the two calls makes show-session exit non-zero after printing the others.
  return parseShowSessions(shown.stdout, await bootTimeMs());
}
