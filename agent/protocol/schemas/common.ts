import { z } from "zod";
import { decodeBase64 } from "../base64";
import { base64Length, TEXT_MAX } from "../bounds";

/** Methods without arguments accept a missing `params` or `{}`; unknown keys are refused so typos surface. */
export const noParams = z.strictObject({});

export const count = z.number().int().nonnegative();
export const bytes = count.describe("bytes");
export const timestamp = z.iso.datetime().describe("ISO 8601 UTC");

/** Strings the agent sends, by kind (bounds.ts says how long each may be). */
export const token = z.string().max(TEXT_MAX.token);
export const hostname = z.string().max(TEXT_MAX.hostname);
export const name = z.string().max(TEXT_MAX.name);
export const resultPath = z.string().max(TEXT_MAX.path);

/** Set when the agent cut a list or string to the protocol's bounds; older agents never send it. */
export const truncatedFlag = z.boolean().optional().describe("true when the agent cut a list or string to the protocol's bounds");

export const absolutePath = z.string().min(1).describe("absolute path in the guest");

/** Bytes: strict base64 text on the wire, a Buffer once parsed (base64.ts says why not z.base64()). */
export const base64Bytes = z
  .string()
  .meta({ contentEncoding: "base64" })
  .transform((text, context) => {
    const bytes = decodeBase64(text);
    if (bytes === null) {
      context.addIssue({ code: "custom", message: "Invalid base64" });
      return z.NEVER;
    }
    return bytes;
  });

/** Strict base64 text of at most `maxBytes` bytes, checked and kept as text; an over-long string is refused before it is decoded. */
export function base64Text(maxBytes: number) {
  return z
    .string()
    .max(base64Length(maxBytes), { abort: true })
    .meta({ contentEncoding: "base64" })
    .refine((text) => decodeBase64(text) !== null, "Invalid base64");
}
