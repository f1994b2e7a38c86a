import * as z from "zod/mini";
import { lazy } from "./lazy";
import { LIST_MAX, TEXT_MAX } from "../bounds";
import { resultPath, timestamp } from "./common";

/** The bounds of `fs_freeze`'s `timeout_s`: long enough for a backup to begin, short enough that a guest is never left frozen for long. */
export const FREEZE_TIMEOUT_S = { min: 1, max: 600, default: 60 } as const;

const mountFailure = lazy(() =>
  z.object({
    mount: resultPath,
    error: z.string().check(z.maxLength(TEXT_MAX.text)).check(z.describe("what fsfreeze reported")),
  }),
);

export const fsFreezeParams = lazy(() =>
  z.strictObject({
    timeout_s: z
      .optional(z.int().check(z.minimum(FREEZE_TIMEOUT_S.min)).check(z.maximum(FREEZE_TIMEOUT_S.max)))
      .check(
        z.describe(
          `${FREEZE_TIMEOUT_S.min}–${FREEZE_TIMEOUT_S.max}: seconds after which the agent thaws by itself when no fs_thaw came (default ${FREEZE_TIMEOUT_S.default})`,
        ),
      ),
  }),
);
export const fsFreezeResult = lazy(() =>
  z.object({
    frozen: z
      .array(resultPath)
      .check(z.maxLength(LIST_MAX.freezeMounts))
      .check(z.describe("mount points frozen, in the order they were frozen (the reverse of mount order)")),
    frozen_at: timestamp,
    auto_thaw_at: z.nullable(timestamp).check(z.describe("when the agent thaws by itself; null when there was nothing to freeze")),
  }),
);

export const fsThawParams = lazy(() => z.strictObject({}));
export const fsThawResult = lazy(() =>
  z.object({
    thawed: z
      .array(resultPath)
      .check(z.maxLength(LIST_MAX.freezeMounts))
      .check(z.describe("mount points thawed, in mount order; empty when nothing was frozen")),
    failed: z.array(mountFailure).check(z.maxLength(LIST_MAX.freezeMounts)).check(z.describe("mount points fsfreeze --unfreeze failed on")),
    auto_thawed_at: z
      .nullable(timestamp)
      .check(z.describe("set when the last freeze had already ended by its timeout before this call: a copy taken after that moment is not consistent")),
  }),
);

export const fsFreezeStatusParams = lazy(() => z.strictObject({}));
export const fsFreezeStatusResult = lazy(() =>
  z.object({
    frozen: z.boolean(),
    mounts: z.array(resultPath).check(z.maxLength(LIST_MAX.freezeMounts)).check(z.describe("mount points frozen now")),
    frozen_at: z.nullable(timestamp),
    auto_thaw_at: z.nullable(timestamp),
    auto_thawed_at: z.nullable(timestamp).check(z.describe("when the last freeze ended by its timeout, until the next fs_freeze")),
  }),
);

/** `data` of the IoError fs_freeze answers when a mount could not be frozen (what was frozen before is thawed again). */
export const fsFreezeFailureData = lazy(() =>
  z.object({
    failed: z.array(mountFailure).check(z.maxLength(LIST_MAX.freezeMounts)),
    thawed_again: z.array(resultPath).check(z.maxLength(LIST_MAX.freezeMounts)),
  }),
);
