import { z } from 'zod';

/** Methods without arguments accept a missing `params` or `{}`; unknown keys are refused so typos surface. */
export const noParams = z.strictObject({});

export const count = z.number().int().nonnegative();
export const bytes = count.describe('bytes');
export const timestamp = z.iso.datetime().describe('ISO 8601 UTC');
export const absolutePath = z
  .string()
  .min(1)
  .describe('absolute path in the guest');
