import { readFile } from "./fs-async";
import path from "node:path";
import * as z from "zod/mini";
import { MAX_EXEC_OUTPUT_BYTES, MAX_FILE_CHUNK_BYTES } from "../protocol/bounds";
import { MAX_LINE_BYTES } from "../protocol/framing";

const MiB = 1024 * 1024;

const absolute = z.string().check(z.refine((value) => path.isAbsolute(value), { message: "must be an absolute path" }));
const argv = z.array(z.string().check(z.minLength(1))).check(z.minLength(1));
const envPattern = z.string().check(z.regex(/^(?:[A-Za-z_][A-Za-z0-9_]*\*?|\*)$/, { message: "must be a variable name, optionally ending in *" }));

function configSchema(defaultAllowedPaths: string[]) {
  return z
    .strictObject({
      allowed_paths: z._default(z.array(absolute), defaultAllowedPaths),
      allowed_commands: z.optional(z.array(z.string().check(z.minLength(1)))),
      // Unset: exec/env.ts's default when allowed_commands is set, no env allow-list otherwise.
      allowed_env: z.optional(z.array(envPattern)),
      exec_enabled: z._default(z.boolean(), false),
      file_read_enabled: z._default(z.boolean(), true),
      file_write_enabled: z._default(z.boolean(), true),
      power_enabled: z._default(z.boolean(), true),
      power_commands: z.optional(z.strictObject({ shutdown: z.optional(argv), reboot: z.optional(argv) })),
      telemetry_interval_s: z._default(z.number().check(z.minimum(0)).check(z.maximum(86_400)), 10),
      max_request_bytes: z._default(z.int().check(z.minimum(4096)).check(z.maximum(MAX_LINE_BYTES)), MAX_LINE_BYTES),
      // The protocol's bounds: the host refuses a larger chunk or output.
      max_file_chunk_bytes: z._default(z.int().check(z.minimum(1)).check(z.maximum(MAX_FILE_CHUNK_BYTES)), 4 * MiB),
      exec_output_max_bytes: z._default(z.int().check(z.minimum(1)).check(z.maximum(MAX_EXEC_OUTPUT_BYTES)), MiB),
      exec_default_timeout_ms: z._default(z.int().check(z.positive()), 30_000),
      exec_max_timeout_ms: z._default(z.int().check(z.positive()), 600_000),
      max_concurrent_requests: z._default(z.int().check(z.minimum(1)).check(z.maximum(10_000)), 128),
      log_level: z._default(z.enum(["error", "warn", "info", "debug"]), "info"),
      // Password and clock (issue 15 item 4). Setting a password hands the console (and sudo) to
      // whoever may call it, so it is off until the guest's admin opts in; setting the clock from the
      // host that already owns the guest's RTC is not, so it is on.
      set_user_password_enabled: z._default(z.boolean(), false),
      sync_time_enabled: z._default(z.boolean(), true),
      // Services and packages (issue 15): reading is harmless; service_action can stop sshd or the network, so it is opt-in like exec.
      services_enabled: z._default(z.boolean(), true),
      service_action_enabled: z._default(z.boolean(), false),
      packages_enabled: z._default(z.boolean(), true),
      // Self-update (issue 15 item 5): on, because only the holder of the host's private key can push a bundle.
      self_update_enabled: z._default(z.boolean(), true),
      // Onlining hot-plugged vCPUs and memory (issue 15 item 4) only uses what the host already gave the guest.
      online_hotplugged_enabled: z._default(z.boolean(), true),
    })
    .check(
      z.refine((config) => config.exec_default_timeout_ms <= config.exec_max_timeout_ms, {
        message: "exec_default_timeout_ms must not exceed exec_max_timeout_ms",
        path: ["exec_default_timeout_ms"],
      }),
    );
}

export type AgentConfig = z.output<ReturnType<typeof configSchema>>;
export type LogLevel = AgentConfig["log_level"];

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses config text; every problem is reported with the key it concerns. */
export function parseConfig(text: string, source: string, defaultAllowedPaths: string[]): AgentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config ${source}: invalid JSON: ${(error as Error).message}`);
  }
  const parsed = configSchema(defaultAllowedPaths).safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  throw new ConfigError(`config ${source}: ${problems.join("; ")}`);
}

export function defaultConfig(defaultAllowedPaths: string[]): AgentConfig {
  return parseConfig("{}", "(defaults)", defaultAllowedPaths);
}

/**
 * A missing file at the default location means "use the secure defaults"; a file
 * named explicitly on the command line must exist.
 */
export async function loadConfig(file: string, explicit: boolean, defaultAllowedPaths: string[]): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return defaultConfig(defaultAllowedPaths);
    throw new ConfigError(`config ${file}: cannot read: ${(error as Error).message}`);
  }
  return parseConfig(text, file, defaultAllowedPaths);
}
