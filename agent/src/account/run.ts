import { childProcess } from "../child-process";

/** Where chpasswd, getent and date live, even when the agent was started with a minimal PATH. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const COMMAND_TIMEOUT_MS = 30_000;

export interface CommandOutcome {
  /** Exit status; null when the program could not start (`errno` says why) or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** ENOENT when the program is not installed. */
  errno?: string;
}

/** Runs a program without a shell; `stdin` (if given) is written and closed. Never rejects. */
export type CommandRunner = (file: string, args: readonly string[], stdin?: string) => Promise<CommandOutcome>;

export const runSystemCommand: CommandRunner = (file, args, stdin) =>
  new Promise((resolve) => {
    const child = childProcess().execFile(
      file,
      [...args],
      { env: { ...process.env, PATH: SYSTEM_PATH, LC_ALL: "C" }, encoding: "utf8", timeout: COMMAND_TIMEOUT_MS, killSignal: "SIGKILL", maxBuffer: 64 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve({ code: 0, stdout, stderr });
        const errno = (error as NodeJS.ErrnoException).code;
        resolve({ code: typeof errno === "number" ? errno : null, stdout, stderr, errno: typeof errno === "string" ? errno : undefined });
      },
    );
    // A program that exits without reading stdin closes the pipe: EPIPE then is its answer, not ours.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(stdin ?? "");
  });
