/**
 * What an admin sends to configure notifications: webhook endpoints, e-mail recipient lists and
 * the SMTP server. Client-safe (the settings forms check with the same schemas the server does).
 */
import { z } from "zod";
import { nameSchema } from "@/server/identifiers";

export const CHANNEL_KINDS = ["webhook", "email"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const webhookUrlSchema = z
  .string()
  .trim()
  .max(2000)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "";
    } catch {
      return false;
    }
  }, "an http:// or https:// address without a user name or password in it");

/** Long enough that it cannot be guessed; the receiver keeps the same text. */
export const webhookSecretSchema = z.string().min(16, "at least 16 characters").max(256);

export const webhookInputSchema = z.object({ name: nameSchema, url: webhookUrlSchema, secret: webhookSecretSchema });
/** A change: the secret stays as it is when left out. */
export const webhookUpdateSchema = z.object({ name: nameSchema, url: webhookUrlSchema, secret: webhookSecretSchema.optional() });

export const MAX_RECIPIENTS = 20;
export const emailInputSchema = z.object({
  name: nameSchema,
  recipients: z.array(z.email("an e-mail address")).min(1, "at least one address").max(MAX_RECIPIENTS),
});

export const SMTP_SECURITY = ["none", "starttls", "tls"] as const;
export type SmtpSecurity = (typeof SMTP_SECURITY)[number];

const hostnameSchema = z
  .string()
  .trim()
  .min(1, "the SMTP server's name or address")
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]-]+$/, "a host name or an IP address");

/**
 * The SMTP settings as an admin saves them. `password`: a text sets it, null removes it, leaving it
 * out keeps the stored one (the form never receives it back).
 */
export const smtpInputSchema = z.object({
  host: hostnameSchema,
  port: z.number().int().min(1).max(65535),
  security: z.enum(SMTP_SECURITY),
  user: z.string().max(256).nullable(),
  password: z.string().min(1).max(256).nullable().optional(),
  from: z.email("the sender's e-mail address"),
});
export type SmtpInput = z.infer<typeof smtpInputSchema>;

/** As stored (password included); never sent to a browser. */
export const smtpStoredSchema = smtpInputSchema.omit({ password: true }).extend({ password: z.string().nullable() });
export type SmtpSettings = z.infer<typeof smtpStoredSchema>;

/** As the API answers: whether a password is set, never the password. */
export type SmtpView = Omit<SmtpSettings, "password"> & { passwordSet: boolean };

export interface ChannelView {
  id: number;
  kind: ChannelKind;
  name: string;
  /** Webhook only; the secret is never answered. */
  url: string | null;
  recipients: string[];
}
