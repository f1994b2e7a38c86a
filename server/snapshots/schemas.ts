import { z } from "zod";
import { vmRefSchema } from "../domains/lookup";

export const snapshotNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit");

/** Free text, but no control characters other than tab and newline (XML 1.0 cannot carry them). */
export const snapshotDescriptionSchema = z
  .string()
  .max(1000, "at most 1000 characters")
  .refine((text) => ![...text].some(isControl), "no control characters");

function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return (code < 0x20 && ch !== "\n" && ch !== "\t" && ch !== "\r") || code === 0x7f;
}

export const snapshotRefSchema = vmRefSchema.extend({ snapshot: snapshotNameSchema });

export const createSnapshotSchema = vmRefSchema.extend({
  name: snapshotNameSchema,
  description: snapshotDescriptionSchema.optional(),
  /** With the running VM's memory (internal, qcow2 only) or disks only. */
  memory: z.boolean().default(false),
});
