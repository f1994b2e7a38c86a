import * as z from "zod/mini";
import { lazy } from "./lazy";
import en from "zod/v4/locales/en.js";
import { decodeBase64 } from "../base64";
import { base64Length, TEXT_MAX } from "../bounds";

/**
 * The protocol is written in zod/mini, not zod's classic API: the agent's footprint is a target
 * (issue 15), and the classic build made the bundle 440 KiB instead of 263 and the idle agent 0.7 MiB
 * larger (natively, node 20 --lite-mode; agent/README.md, Footprint). zod/mini has no messages until a
 * locale is set; ours are English, like the host's classic zod, which shares this configuration.
 */
z.config(en());

/** Methods without arguments accept a missing `params` or `{}`; unknown keys are refused so typos surface. */
export const noParams = lazy(() => z.strictObject({}));

export const count = lazy(() => z.int().check(z.nonnegative()));
export const bytes = lazy(() => count.check(z.describe("bytes")));
export const timestamp = lazy(() => z.iso.datetime().check(z.describe("ISO 8601 UTC")));

/** Strings the agent sends, by kind (bounds.ts says how long each may be). */
export const token = lazy(() => z.string().check(z.maxLength(TEXT_MAX.token)));
export const hostname = lazy(() => z.string().check(z.maxLength(TEXT_MAX.hostname)));
export const name = lazy(() => z.string().check(z.maxLength(TEXT_MAX.name)));
export const resultPath = lazy(() => z.string().check(z.maxLength(TEXT_MAX.path)));

/** Set when the agent cut a list or string to the protocol's bounds; older agents never send it. */
export const truncatedFlag = lazy(() => z.optional(z.boolean()).check(z.describe("true when the agent cut a list or string to the protocol's bounds")));

export const absolutePath = lazy(() => z.string().check(z.minLength(1)).check(z.describe("absolute path in the guest")));

/** Bytes: strict base64 text on the wire, a Buffer once parsed (base64.ts says why not z.base64()). */
export const base64Bytes = lazy(() =>
  z.pipe(
    z.string().check(z.meta({ contentEncoding: "base64" })),
    z.transform((text, context) => {
      const bytes = decodeBase64(text);
      if (bytes === null) {
        context.issues.push({ code: "custom", message: "Invalid base64", input: text });
        return z.NEVER;
      }
      return bytes;
    }),
  ),
);

/** Strict base64 text of at most `maxBytes` bytes, checked and kept as text; an over-long string is refused before it is decoded. */
export function base64Text(maxBytes: number) {
  return z
    .string()
    .check(z.maxLength(base64Length(maxBytes), { abort: true }))
    .check(z.meta({ contentEncoding: "base64" }))
    .check(z.refine((text) => decodeBase64(text) !== null, "Invalid base64"));
}
