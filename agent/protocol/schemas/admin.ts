import * as z from "zod/mini";
import { lazy } from "./lazy";

/**
 * set_user_password and sync_time (issue 15 item 4). A password travels only in this request's
 * params: the agent hands it to chpasswd on stdin and never logs or echoes it.
 */
/** A Linux account name as useradd(8) accepts it (letters, digits, `_`, `-`, `.`, an optional final `$` for Samba machine accounts). */
export const linuxUserName = lazy(() =>
  z
    .string()
    .check(z.minLength(1))
    .check(z.maxLength(32))
    .check(
      z.regex(/^[A-Za-z_][A-Za-z0-9._-]*\$?$/, { message: "must be a Linux user name: a letter or _, then letters, digits, '.', '_' or '-' (at most 32)" }),
    ),
);

/** Longest clear-text password (PAM and crypt(3) implementations read far less; this only bounds the request). */
export const PASSWORD_MAX_CHARS = 1024;
/** A crypt(3) hash as /etc/shadow holds it: `$id$[params$]salt$hash`. yescrypt with parameters stays well below this. */
export const PASSWORD_HASH_MAX_CHARS = 512;

/** chpasswd reads `user:password` lines, so these would split or extend the line. */
const CHPASSWD_BREAKERS = /[:\r\n\0]/;

export const setUserPasswordParams = lazy(() =>
  z
    .strictObject({
      username: linuxUserName.check(z.describe("an existing account (getent passwd)")),
      password: z
        .string()
        .check(z.minLength(1))
        .check(z.maxLength(PASSWORD_MAX_CHARS))
        .check(z.refine((p) => !CHPASSWD_BREAKERS.test(p), { message: "must not contain ':', a line break or NUL (chpasswd reads user:password lines)" }))
        .check(z.describe("the new password in clear text, or with `crypted` a crypt(3) hash; never logged")),
      crypted: z
        .optional(z.boolean())
        .check(z.describe("`password` is a crypt(3) hash (`$6$salt$…`) to store as it is (`chpasswd -e`); default false: the guest hashes it")),
    })
    .check(
      z.superRefine((params, ctx) => {
        if (!params.crypted) return;
        if (params.password.length > PASSWORD_HASH_MAX_CHARS || !/^\$[A-Za-z0-9]+\$[A-Za-z0-9./$=,+-]+$/.test(params.password)) {
          ctx.addIssue({ code: "custom", path: ["password"], message: "with crypted, must be a crypt(3) hash such as $6$salt$hash (at most 512 characters)" });
        }
      }),
    ),
);

export const setUserPasswordResult = lazy(() =>
  z.object({
    username: linuxUserName,
    crypted: z.boolean().check(z.describe("whether the host gave a hash (true) or the guest hashed a clear-text password (false)")),
  }),
);

/** 2020-01-01T00:00:00Z: a host clock before it is broken, not a time to copy into guests. */
export const SYNC_TIME_MIN_MS = 1_577_836_800_000;
/** 2100-01-01T00:00:00Z: far beyond any real host clock. */
export const SYNC_TIME_MAX_MS = 4_102_444_800_000;

export const syncTimeParams = lazy(() =>
  z.strictObject({
    time_ms: z
      .int()
      .check(z.minimum(SYNC_TIME_MIN_MS, { message: "must not be before 2020-01-01 (the host's clock looks wrong)" }))
      .check(z.maximum(SYNC_TIME_MAX_MS, { message: "must be before 2100-01-01 (the host's clock looks wrong)" }))
      .check(z.describe("the host's time in milliseconds since the epoch (UTC), taken just before sending")),
  }),
);

export const syncTimeResult = lazy(() =>
  z.object({
    offset_ms: z
      .number()
      .check(z.describe("how far the guest clock was corrected: host time minus guest time when the request arrived (positive: the guest was behind)")),
    method: z.enum(["date"]).check(z.describe("how the clock was set: `date -u -s @<seconds>` (clock_settime)")),
  }),
);

/** online_hotplugged (issue 15 item 4): no params; the agent onlines whatever the host added and it finds offline. */
export const onlineHotpluggedParams = lazy(() => z.strictObject({}));

const deviceNumbers = lazy(() => z.array(z.int().check(z.minimum(0))).check(z.maxLength(8192)));

export const onlineHotpluggedResult = lazy(() =>
  z.object({
    cpus_onlined: deviceNumbers.check(z.describe("CPU numbers (cpuN) this call brought online")),
    memory_onlined: deviceNumbers.check(z.describe("memory block numbers (memoryN) this call brought online")),
    failed: z
      .array(z.object({ device: z.string().check(z.maxLength(64)), error: z.string().check(z.maxLength(512)) }))
      .check(z.maxLength(64))
      .check(z.describe("devices the kernel refused to online, with its words")),
    cpus_online: z.int().check(z.minimum(0)).check(z.describe("online CPUs after the call")),
    memory_blocks_online: z.int().check(z.minimum(0)).check(z.describe("online memory blocks after the call")),
    memory_block_bytes: z.nullable(z.int().check(z.positive())).check(z.describe("the size of a memory block (/sys/devices/system/memory/block_size_bytes)")),
  }),
);
