import { childProcess } from "../child-process";
import { ErrorCode, RpcError } from "../../protocol/errors";
import type { ExecParams, ExecResult } from "../../protocol/index";
import { Walk } from "../files/confine";
import { checkEnv } from "./env";
import { CappedOutput } from "./output";

export interface ExecLimits {
  outputCap: number;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** Kills the child and everything it started (its process group on Linux). */
  killTree(pid: number): void;
  /** allowed_paths: `cwd` must lie inside them. */
  roots: string[];
  /** When set, the only env names a request may pass (env.ts refuses some names always). */
  allowedEnv: string[] | undefined;
}

/** After the group is killed, give the pipes this long to close before giving up on them. */
const DRAIN_AFTER_KILL_MS = 2_000;

export async function runCommand(executable: string, params: ExecParams, limits: ExecLimits): Promise<ExecResult> {
  const timeoutMs = params.timeout_ms ?? limits.defaultTimeoutMs;
  if (timeoutMs > limits.maxTimeoutMs) {
    throw new RpcError(ErrorCode.InvalidParams, `exec_command: timeout_ms ${timeoutMs} exceeds exec_max_timeout_ms ${limits.maxTimeoutMs}`);
  }
  checkEnv(params.env, limits.allowedEnv);
  const cwd = await workingDirectory(params.cwd, limits.roots);
  try {
    return await supervise(executable, params, limits, timeoutMs, cwd?.dir.via);
  } finally {
    cwd?.close();
  }
}

/**
 * Walks `cwd` like a file path, so it cannot be swapped for a symlink to elsewhere
 * between check and use; the child then changes to the verified descriptor's
 * `/proc/self/fd/N` (spawn's chdir runs in the forked child, which holds copies
 * of the agent's descriptors until exec; measured to work, and `pwd` shows the
 * real path). The descriptor stays open until the command is done.
 */
async function workingDirectory(cwd: string | undefined, roots: string[]): Promise<Walk | null> {
  if (cwd === undefined) return null;
  try {
    return await Walk.toDirectory(cwd, roots);
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    const notADirectory = (error.data as { errno?: string } | undefined)?.errno === "ENOTDIR";
    throw new RpcError(notADirectory ? ErrorCode.NotFound : error.code, `exec_command: cwd ${error.message}`, error.data);
  }
}

async function supervise(executable: string, params: ExecParams, limits: ExecLimits, timeoutMs: number, cwd: string | undefined): Promise<ExecResult> {
  const encoding = params.encoding ?? "utf8";
  const started = performance.now();
  // detached: the child leads a new process group, so the timeout can kill its descendants too.
  const child = childProcess().spawn(executable, params.args ?? [], {
    cwd,
    env: { ...process.env, ...params.env },
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    windowsHide: true,
  });
  const stdout = new CappedOutput(limits.outputCap);
  const stderr = new CappedOutput(limits.outputCap);
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on("error", () => undefined); // a child that exits without reading stdin is not an error
  child.stdin.end(params.stdin === undefined ? undefined : Buffer.from(params.stdin, encoding));

  let timedOut = false;
  let drainTimer: NodeJS.Timeout | undefined;
  const killTimer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) limits.killTree(child.pid);
    // A grandchild that left the group (setsid) may hold our pipes open forever.
    drainTimer = setTimeout(() => {
      child.stdout.destroy();
      child.stderr.destroy();
    }, DRAIN_AFTER_KILL_MS);
  }, timeoutMs);

  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });
    return {
      pid: child.pid ?? 0,
      exit_code: code,
      signal,
      stdout: stdout.toString(encoding),
      stderr: stderr.toString(encoding),
      encoding,
      timed_out: timedOut,
      truncated: stdout.truncated || stderr.truncated,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
    };
  } finally {
    clearTimeout(killTimer);
    clearTimeout(drainTimer);
  }
}
