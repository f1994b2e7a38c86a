import { z } from 'zod';
import { count } from './common';

export const execEncoding = z.enum(['utf8', 'base64']);

export const execParams = z.strictObject({
  command: z.string().min(1).describe('program name (looked up in the agent\'s PATH) or absolute path; no shell'),
  args: z.array(z.string()).optional(),
  stdin: z.string().optional().describe('written to the process, then stdin is closed'),
  encoding: execEncoding.optional().describe('of stdin, stdout and stderr; default utf8'),
  timeout_ms: z.number().int().positive().optional().describe('default and maximum come from the agent config'),
  env: z.record(z.string(), z.string()).optional().describe("added to the agent's environment"),
  cwd: z.string().min(1).optional(),
});
export type ExecParams = z.infer<typeof execParams>;

export const execResult = z.object({
  pid: count,
  exit_code: z.number().int().nullable().describe('null when the process was killed by a signal'),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  encoding: execEncoding,
  timed_out: z.boolean().describe('the timeout killed the whole process group'),
  truncated: z.boolean().describe('stdout or stderr exceeded the output cap; the rest was discarded'),
  duration_ms: z.number().nonnegative(),
});
export type ExecResult = z.infer<typeof execResult>;
