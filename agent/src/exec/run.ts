import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { ErrorCode, RpcError } from '../../protocol/errors';
import type { ExecParams, ExecResult } from '../../protocol/index';
import { CappedOutput } from './output';

export interface ExecLimits {
  outputCap: number;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** Kills the child and everything it started (its process group on Linux). */
  killTree(pid: number): void;
}

/** After the group is killed, give the pipes this long to close before giving up on them. */
const DRAIN_AFTER_KILL_MS = 2_000;

export async function runCommand(executable: string, params: ExecParams, limits: ExecLimits): Promise<ExecResult> {
  const timeoutMs = params.timeout_ms ?? limits.defaultTimeoutMs;
  if (timeoutMs > limits.maxTimeoutMs) {
    throw new RpcError(ErrorCode.InvalidParams, `exec_command: timeout_ms ${timeoutMs} exceeds exec_max_timeout_ms ${limits.maxTimeoutMs}`);
  }
  if (params.cwd !== undefined && !(await stat(params.cwd).catch(() => null))?.isDirectory()) {
    throw new RpcError(ErrorCode.NotFound, `exec_command: cwd ${params.cwd} is not a directory`);
  }
  const encoding = params.encoding ?? 'utf8';
  const started = performance.now();
  // detached: the child leads a new process group, so the timeout can kill its descendants too.
  const child = spawn(executable, params.args ?? [], {
    cwd: params.cwd,
    env: { ...process.env, ...params.env },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const stdout = new CappedOutput(limits.outputCap);
  const stderr = new CappedOutput(limits.outputCap);
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on('error', () => undefined); // a child that exits without reading stdin is not an error
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
      child.once('error', reject);
      child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
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
