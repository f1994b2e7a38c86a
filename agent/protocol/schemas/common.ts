import { z } from 'zod';
import { decodeBase64 } from '../base64';

/** Methods without arguments accept a missing `params` or `{}`; unknown keys are refused so typos surface. */
export const noParams = z.strictObject({});

export const count = z.number().int().nonnegative();
export const bytes = count.describe('bytes');
export const timestamp = z.iso.datetime().describe('ISO 8601 UTC');
export const absolutePath = z
  .string()
  .min(1)
  .describe('absolute path in the guest');

/** Bytes: strict base64 text on the wire, a Buffer once parsed (base64.ts says why not z.base64()). */
export const base64Bytes = z
  .string()
  .meta({ contentEncoding: 'base64' })
  .transform((text, context) => {
    const bytes = decodeBase64(text);
    if (bytes === null) {
      context.addIssue({ code: 'custom', message: 'Invalid base64' });
      return z.NEVER;
    }
    return bytes;
  });

/** Strict base64 text, checked and kept as text. */
export const base64Text = z
  .string()
  .meta({ contentEncoding: 'base64' })
  .refine((text) => decodeBase64(text) !== null, 'Invalid base64');
