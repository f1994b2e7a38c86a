/**
 * E-mail over SMTP with nodemailer: one attempt per call, with the same deadline as a webhook, and
 * the SMTP server's refusals put in words an admin can act on.
 */
import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";
import { ATTEMPT_TIMEOUT_MS, bounded, type Outcome } from "./policy";
import type { SmtpSettings } from "./schemas";
import type { AttemptResult } from "./webhook";

export interface Mail {
  to: string[];
  subject: string;
  text: string;
}

interface SmtpError {
  code?: string;
  message?: string;
  response?: string;
  responseCode?: number;
  errno?: number;
}

function transport(smtp: SmtpSettings, timeoutMs: number) {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.security === "tls",
    requireTLS: smtp.security === "starttls",
    ignoreTLS: smtp.security === "none",
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? "" } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  } satisfies SMTPTransport.Options);
}

/** What went wrong, in words, naming the server. */
export function smtpErrorWords(err: unknown, smtp: Pick<SmtpSettings, "host" | "port">): string {
  const e = (err ?? {}) as SmtpError;
  const where = `SMTP server ${smtp.host}:${smtp.port}`;
  const message = e.message ?? String(err);
  if (/ECONNREFUSED/.test(message)) return `${where}: connection refused (nothing listens on that port?)`;
  if (e.code === "EDNS" || /ENOTFOUND|EAI_AGAIN/.test(message)) return `${where}: host name not found`;
  if (e.code === "ETIMEDOUT" || /ETIMEDOUT|timeout/i.test(message)) return `${where}: no answer in time`;
  if (e.code === "EAUTH") return `${where} refused the user name or password${e.response ? `: ${e.response}` : ""}`;
  if (e.code === "ETLS" || /TLS|SSL|certificate/i.test(message))
    return `${where}: the encrypted connection failed (${message}); check the security setting and port`;
  if (e.responseCode) return `${where} refused the message: ${e.response ?? message}`;
  return `${where}: ${message}`;
}

/** A refusal with a 5xx code, or bad credentials, will be refused again; anything else may pass later. */
function outcomeOf(err: unknown): Outcome {
  const e = (err ?? {}) as SmtpError;
  if (e.code === "EAUTH") return "failed";
  if (e.responseCode !== undefined && e.responseCode >= 500) return "failed";
  return "retry";
}

export async function sendMail(smtp: SmtpSettings, mail: Mail, timeoutMs = ATTEMPT_TIMEOUT_MS): Promise<AttemptResult> {
  const transporter = transport(smtp, timeoutMs);
  try {
    const info = await transporter.sendMail({ from: smtp.from, to: mail.to, subject: mail.subject, text: mail.text });
    return { outcome: "delivered", httpStatus: null, reply: bounded(String(info.response ?? "")), error: null };
  } catch (err) {
    return {
      outcome: outcomeOf(err),
      httpStatus: null,
      reply: (err as SmtpError)?.response ? bounded((err as SmtpError).response!) : null,
      error: bounded(smtpErrorWords(err, smtp)),
    };
  } finally {
    transporter.close();
  }
}
