import { readFile } from "../fs-async";
import { ErrorCode, RpcError } from "../../protocol/errors";
import type { CommandRunner } from "./run";

export interface PasswordDeps {
  run: CommandRunner;
  /** /etc/passwd, read where getent is missing (busybox systems). */
  readPasswd(): Promise<string>;
  /**
   * Run chpasswd as a transient unit of systemd's (`systemd-run --wait --pipe`), outside the agent's
   * sandbox: the packaged unit makes /etc read-only for the agent (ProtectSystem=strict), and
   * chpasswd must replace /etc/shadow. The unit sets KVMM_AGENT_SANDBOXED=1 to ask for this.
   */
  outsideSandbox?: boolean;
}

/** systemd-run's part of the chpasswd command line: waits for it, its stdin/stdout/stderr are ours, the unit is collected after. */
export const SYSTEMD_RUN_PIPE = [
  "--wait",
  "--pipe",
  "--quiet",
  "--collect",
  "--service-type=exec",
  "--property=Description=KVM Manager agent: set_user_password",
];

export const readEtcPasswd = (): Promise<string> => readFile("/etc/passwd", "utf8");

/** getent passwd (NSS: files, LDAP, sssd); /etc/passwd where there is no getent. */
export async function userExists(username: string, deps: PasswordDeps): Promise<boolean> {
  const outcome = await deps.run("getent", ["passwd", username]);
  if (outcome.errno !== "ENOENT") {
    if (outcome.code === 0) return true;
    // getent: 2 = key not found; anything else is a failure to ask, not an answer.
    if (outcome.code === 2) return false;
    throw new RpcError(ErrorCode.IoError, `getent passwd ${username} failed (exit ${outcome.code ?? "killed"}): ${outcome.stderr.trim()}`);
  }
  const passwd = await deps.readPasswd();
  return passwd.split("\n").some((line) => line.split(":", 1)[0] === username);
}

/**
 * Sets `username`'s password with chpasswd, the line on its stdin: the password is in no argv (ps),
 * no shell and no log. chpasswd hashes it with the system's method (ENCRYPT_METHOD in login.defs,
 * or PAM); with `crypted` the hash is stored as given (`-e`).
 */
export async function setUserPassword(
  params: { username: string; password: string; crypted?: boolean | undefined },
  deps: PasswordDeps,
): Promise<{ username: string; crypted: boolean }> {
  const { username, password } = params;
  const crypted = params.crypted ?? false;
  // The schema refuses these; checked again because a line break here would set a second account.
  if (/[:\r\n\0]/.test(password) || /[:\r\n\0]/.test(username)) {
    throw new RpcError(ErrorCode.InvalidParams, "set_user_password: user name and password must not contain ':', a line break or NUL");
  }
  if (!(await userExists(username, deps))) {
    throw new RpcError(ErrorCode.NotFound, `set_user_password: user "${username}" does not exist in the guest`, { username });
  }
  const chpasswd = ["chpasswd", ...(crypted ? ["-e"] : [])];
  const line = `${username}:${password}\n`;
  const outcome = deps.outsideSandbox
    ? await deps.run("systemd-run", [...SYSTEMD_RUN_PIPE, "--", ...chpasswd], line)
    : await deps.run(chpasswd[0]!, chpasswd.slice(1), line);
  if (outcome.errno === "ENOENT") {
    throw new RpcError(ErrorCode.Unsupported, "set_user_password: chpasswd is not installed in the guest (shadow's passwd package or busybox)");
  }
  if (outcome.code !== 0) {
    const said = scrub(`${outcome.stderr}${outcome.stdout}`.trim(), password);
    throw new RpcError(
      ErrorCode.IoError,
      `set_user_password: chpasswd failed for user "${username}" (exit ${outcome.code ?? "killed"})${said ? `: ${said}` : ""}`,
    );
  }
  return { username, crypted };
}

/** chpasswd does not echo the password, but what it says goes to the host: make sure. */
function scrub(text: string, password: string): string {
  return text.split(password).join("[redacted]").slice(0, 1000);
}
