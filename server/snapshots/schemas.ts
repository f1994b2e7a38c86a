import { z } from "zod";
import { nameSchema } from "../identifiers";

export const snapshotNameSchema = nameSchema;

/** Free text, but no control characters other than tab and newline (XML 1.0 cannot carry them). */
export const snapshotDescriptionSchema = z
  .string()
  .max(1000, "at most 1000 characters")
  .refine((text) => ![...text].some(isControl), "no control characters");

function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return (code < 0x20 && ch !== "\n" && ch !== "\t" && ch !== "\r") || code === 0x7f;
}
