import { z } from "zod";
import { GRANT_KINDS, ROLES } from "../db/schema";
import { MIN_PASSWORD_LENGTH } from "../auth/password";
import { nameSchema } from "../identifiers";

export const usernameSchema = nameSchema;

export const passwordSchema = z.string().min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`).max(256, "at most 256 characters");

export const roleSchema = z.enum(ROLES);

export const grantSchema = z.object({
  kind: z.enum(GRANT_KINDS),
  value: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._*?-]+$/, "letters, digits, . _ - and the wildcards * ?"),
});

export const userIdSchema = z.number().int().positive();
