/**
 * When a delivery is tried again and when it is given up. Pure, so the schedule is tested with an
 * injected clock rather than by waiting.
 */

/** Attempts per notification and channel, the first one included. */
export const MAX_ATTEMPTS = 5;
/** The wait after the first failed attempt; each later wait is three times the one before (10 s, 30 s, 90 s, 270 s). */
export const FIRST_BACKOFF_MS = 10_000;
export const BACKOFF_FACTOR = 3;
/** One attempt's whole budget: connect, send, and read the answer. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** What is read of a webhook's answer body (it only goes into the log). */
export const MAX_RESPONSE_BYTES = 4096;
/** What the log keeps of an error text or an SMTP reply. */
export const MAX_LOG_TEXT = 500;

export type Outcome = "delivered" | "retry" | "failed";

/** The wait after failed attempt number `attempt` (1-based). */
export function backoffMs(attempt: number): number {
  return FIRST_BACKOFF_MS * BACKOFF_FACTOR ** (attempt - 1);
}

/**
 * A webhook's HTTP status: 2xx delivered; 408 (timeout), 429 (slow down) and 5xx are worth another
 * try; anything else (a 3xx is not followed, a 4xx says the request itself is wrong) will not get
 * better by repeating it.
 */
export function httpOutcome(status: number): Outcome {
  if (status >= 200 && status < 300) return "delivered";
  if (status === 408 || status === 429 || status >= 500) return "retry";
  return "failed";
}

/** A failed attempt that could be retried becomes final once the attempts are used up. */
export function finalOutcome(outcome: Outcome, attempt: number): Outcome {
  return outcome === "retry" && attempt >= MAX_ATTEMPTS ? "failed" : outcome;
}

export function bounded(text: string, max = MAX_LOG_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
