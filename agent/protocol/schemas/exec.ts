import { z } from "zod";
import { base64Length, MAX_EXEC_OUTPUT_BYTES } from "../bounds";
import { count, token } from "./common";

export const execEncoding = z.enum(["utf8", "base64"]);

export const execParams = z.strictObject({
  command: z.string().min(1).describe("program name (looked up in the agent's PATH) or absolute path; no shell"),
  args: z.array(z.string()).optional(),
  stdin: z.string().optional().describe("written to the process, then stdin is closed"),
  encoding: execEncoding.optional().describe("of stdin, stdout and stderr; default utf8"),
  timeout_ms: z.number().int().positive().optional().describe("default and maximum come from the agent config"),
  env: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      "added to the agent's environment; LD_*, PATH and other code-loading names are always refused; with allowed_commands set, only allowed_env names (default LANG, LANGUAGE, LC_*, TZ, TERM, COLUMNS, LINES)",
    ),
  cwd: z.string().min(1).optional().describe("a directory inside allowed_paths, resolved like a file path"),
});
export type ExecParams = z.infer<typeof execParams>;

/** exec_output_max_bytes of output at most: as many characters in utf8, 4/3 of that in base64. */
const output = z.string().max(base64Length(MAX_EXEC_OUTPUT_BYTES)).describe("at most exec_output_max_bytes (up to 4 MiB) of output, in the chosen encoding");

export const execResult = z.object({
  pid: count,
  exit_code: z.number().int().nullable().describe("null when the process was killed by a signal"),
  signal: token.nullable(),
  stdout: output,
  stderr: output,
  encoding: execEncoding,
  timed_out: z.boolean().describe("the timeout killed the whole process group"),
  truncated: z.boolean().describe("stdout or stderr exceeded the output cap; the rest was discarded"),
  duration_ms: z.number().nonnegative(),
});
export type ExecResult = z.infer<typeof execResult>;
