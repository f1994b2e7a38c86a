/**
 * How a webhook receiver knows a POST came from this manager and was not replayed: each attempt
 * carries the time it was sent and an HMAC-SHA256, with the endpoint's secret, over
 * `<timestamp>.<body>` (the body's exact bytes). Client-free: a receiver can copy `verifyWebhook`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Unix seconds when the attempt was sent. */
export const TIMESTAMP_HEADER = "x-kvmm-timestamp";
/** `sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export const SIGNATURE_HEADER = "x-kvmm-signature";
/** `alert.fired` or `alert.resolved`. */
export const EVENT_HEADER = "x-kvmm-event";
/** The delivery's id: the same on every retry of one notification, so a receiver can drop duplicates. */
export const DELIVERY_HEADER = "x-kvmm-delivery";

/** How old a timestamp a receiver should still accept (clock skew plus a slow network). */
export const DEFAULT_TOLERANCE_S = 300;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export interface VerifyInput {
  secret: string;
  /** The raw body as received, before any JSON parsing. */
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  /** Unix seconds now (injected by tests). */
  nowS?: number;
  toleranceS?: number;
}

/** True when the signature matches the body and timestamp and the timestamp is within the tolerance. */
export function verifyWebhook(input: VerifyInput): boolean {
  const { secret, body, timestamp, signature } = input;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  const nowS = input.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowS - Number(timestamp)) > (input.toleranceS ?? DEFAULT_TOLERANCE_S)) return false;
  const expected = Buffer.from(signWebhook(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
