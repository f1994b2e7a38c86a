import { ErrorCode, RpcError } from "../../protocol/errors";

/*
 * The child runs as the agent (root, in a guest). A caller limited to
 * allow-listed commands must not turn one of them into "run my code" through
 * the environment: `true` with LD_PRELOAD=/tmp/evil.so was a root shell.
 *
 * Refused always, whatever the config says; each makes a wide range of programs
 * load or run code, or read files, that the caller picks:
 * - LD_* (any): the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, ...).
 * - What glibc itself strips for setuid programs (sysdeps/generic/unsecvars.h),
 *   where the invoker is less privileged than the program, as here: GCONV_PATH
 *   (iconv loads modules from it), GLIBC_TUNABLES, LOCPATH and NLSPATH (locale and
 *   message files), GETCONF_DIR, HOSTALIASES, LOCALDOMAIN, RES_OPTIONS,
 *   RESOLV_HOST_CONF, MALLOC_TRACE, NIS_PATH, TMPDIR, TZDIR.
 * - PATH (what a program that runs others runs; the command itself is looked up
 *   in the agent's own PATH anyway) and IFS (how shell scripts split words).
 * - Shells: BASH_ENV and ENV (a file a non-interactive shell sources first),
 *   BASH_FUNC_* (exported functions that replace commands a script calls),
 *   SHELLOPTS, BASHOPTS and PS4 (xtrace expands PS4, command substitution included).
 * - Interpreters: NODE_OPTIONS (--require), NODE_PATH, PYTHON* (PYTHONPATH,
 *   PYTHONSTARTUP, PYTHONHOME; PYTHONWARNINGS imports the module a category names),
 *   PERL5OPT, PERL5LIB, PERLLIB, PERL5DB, RUBYOPT, RUBYLIB, JAVA_TOOL_OPTIONS,
 *   _JAVA_OPTIONS, JDK_JAVA_OPTIONS.
 * Program-specific ones (GIT_SSH_COMMAND, LESSOPEN, PAGER, EDITOR, ...) have no
 * end, which is why with allowed_commands set only allowed_env names pass at all.
 * Names are compared in upper case: Windows treats `Path` as PATH.
 */
const ALWAYS_REFUSED = new Set([
  "GCONV_PATH",
  "GLIBC_TUNABLES",
  "LOCPATH",
  "NLSPATH",
  "GETCONF_DIR",
  "HOSTALIASES",
  "LOCALDOMAIN",
  "RES_OPTIONS",
  "RESOLV_HOST_CONF",
  "MALLOC_TRACE",
  "NIS_PATH",
  "TMPDIR",
  "TZDIR",
  "PATH",
  "IFS",
  "BASH_ENV",
  "ENV",
  "SHELLOPTS",
  "BASHOPTS",
  "PS4",
  "NODE_OPTIONS",
  "NODE_PATH",
  "PERL5OPT",
  "PERL5LIB",
  "PERLLIB",
  "PERL5DB",
  "RUBYOPT",
  "RUBYLIB",
  "JAVA_TOOL_OPTIONS",
  "_JAVA_OPTIONS",
  "JDK_JAVA_OPTIONS",
]);
const ALWAYS_REFUSED_PREFIXES = ["LD_", "BASH_FUNC_", "PYTHON"];

/**
 * Passed with allowed_commands set and allowed_env unset: presentation only.
 * HOME is left out on purpose: programs read config files under it that name
 * commands to run (~/.gitconfig's core.pager, ~/.bashrc, ...).
 */
export const DEFAULT_ALLOWED_ENV = ["LANG", "LANGUAGE", "LC_*", "TZ", "TERM", "COLUMNS", "LINES"];

/** Locale and time-zone variables whose value glibc loads files from when it is a path (LC_ALL=/tmp/x, TZ=/tmp/x). */
const NAMES_A_FILE_WHEN_A_PATH = /^(LANG|LANGUAGE|LC_[A-Z_]+|TZ)$/;

/** The env allow-list in force: allowed_env when set; the default when commands are allow-listed; none otherwise. */
export function envAllowList(allowedEnv: string[] | undefined, allowedCommands: string[] | undefined): string[] | undefined {
  return allowedEnv ?? (allowedCommands ? DEFAULT_ALLOWED_ENV : undefined);
}

/** Refuses the request's env before anything runs, naming the first variable at fault. */
export function checkEnv(env: Record<string, string> | undefined, allowList: string[] | undefined): void {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (name === "" || name.includes("=") || name.includes("\0")) {
      throw new RpcError(ErrorCode.InvalidParams, `exec_command: env name ${JSON.stringify(name)} is not a variable name`);
    }
    const upper = name.toUpperCase();
    if (ALWAYS_REFUSED.has(upper) || ALWAYS_REFUSED_PREFIXES.some((prefix) => upper.startsWith(prefix))) {
      throw new RpcError(ErrorCode.PermissionDenied, `exec_command: env ${name} is never passed (it can make programs run other code)`);
    }
    if (allowList && !allowList.some((pattern) => matches(upper, pattern.toUpperCase()))) {
      throw new RpcError(ErrorCode.PermissionDenied, `exec_command: env ${name} is not in allowed_env`);
    }
    if (NAMES_A_FILE_WHEN_A_PATH.test(upper) && isPath(value)) {
      throw new RpcError(ErrorCode.PermissionDenied, `exec_command: env ${name} names a file (${value}); give a locale or zone name`);
    }
  }
}

function matches(name: string, pattern: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** TZ's leading ':' only says "a file name follows"; `:Europe/Berlin` is still a zone name. */
function isPath(value: string): boolean {
  const bare = value.startsWith(":") ? value.slice(1) : value;
  return bare.startsWith("/") || bare.includes("..");
}
