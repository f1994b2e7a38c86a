import * as z from "zod/mini";
import { lazy } from "./lazy";
import { base64Length, MAX_EXEC_OUTPUT_BYTES } from "../bounds";
import { count, token } from "./common";

export const execEncoding = lazy(() => z.enum(["utf8", "base64"]));

export const execParams = lazy(() =>
  z.strictObject({
    command: z.string().check(z.minLength(1)).check(z.describe("program name (looked up in the agent's PATH) or absolute path; no shell")),
    args: z.optional(z.array(z.string())),
    stdin: z.optional(z.string()).check(z.describe("written to the process, then stdin is closed")),
    encoding: z.optional(execEncoding).check(z.describe("of stdin, stdout and stderr; default utf8")),
    timeout_ms: z.optional(z.int().check(z.positive())).check(z.describe("default and maximum come from the agent config")),
    env: z
      .optional(z.record(z.string(), z.string()))
      .check(
        z.describe(
          "added to the agent's environment; LD_*, PATH and other code-loading names are always refused; with allowed_commands set, only allowed_env names (default LANG, LANGUAGE, LC_*, TZ, TERM, COLUMNS, LINES)",
        ),
      ),
    cwd: z.optional(z.string().check(z.minLength(1))).check(z.describe("a directory inside allowed_paths, resolved like a file path")),
  }),
);
export type ExecParams = z.infer<typeof execParams>;

/** exec_output_max_bytes of output at most: as many characters in utf8, 4/3 of that in base64. */
const output = lazy(() =>
  z
    .string()
    .check(z.maxLength(base64Length(MAX_EXEC_OUTPUT_BYTES)))
    .check(z.describe("at most exec_output_max_bytes (up to 4 MiB) of output, in the chosen encoding")),
);

export const execResult = lazy(() =>
  z.object({
    pid: count,
    exit_code: z.nullable(z.int()).check(z.describe("null when the process was killed by a signal")),
    signal: z.nullable(token),
    stdout: output,
    stderr: output,
    encoding: execEncoding,
    timed_out: z.boolean().check(z.describe("the timeout killed the whole process group")),
    truncated: z.boolean().check(z.describe("stdout or stderr exceeded the output cap; the rest was discarded")),
    duration_ms: z.number().check(z.nonnegative()),
  }),
);
export type ExecResult = z.infer<typeof execResult>;
