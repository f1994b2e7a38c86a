import { Cron } from "croner";

/**
 * Cron expressions and time zones of schedules, computed with croner. Expressions have exactly five
 * fields (minute, hour, day of month, month, day of week): a minute is the finest step a schedule
 * takes. A problem is answered as a code the pages word in the reader's language (schedules.cron.*),
 * never as croner's own text.
 */
export const CRON_FIELDS = ["minute", "hour", "dayOfMonth", "month", "dayOfWeek"] as const;
export type CronField = (typeof CRON_FIELDS)[number];

export type CronProblem =
  { code: "empty" } | { code: "fieldCount"; count: number } | { code: "badField"; field: CronField; value: string } | { code: "invalid" } | { code: "never" };

/** The longest expression accepted: far more than any real one needs. */
export const CRON_MAX_LENGTH = 200;

function parse(expression: string, timeZone: string): Cron {
  return new Cron(expression, { timezone: timeZone, paused: true });
}

/** Whether the name is an IANA time zone this process's ICU knows (the one croner converts with). */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with the expression, or null when it names times that come (time zone assumed valid). */
export function cronProblem(expression: string, timeZone: string): CronProblem | null {
  const text = expression.trim();
  if (!text) return { code: "empty" };
  if (text.length > CRON_MAX_LENGTH) return { code: "invalid" };
  const fields = text.split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) return { code: "fieldCount", count: fields.length };
  let cron: Cron;
  try {
    cron = parse(fields.join(" "), timeZone);
  } catch {
    // Which field croner refused: each one alone, with the others at "*".
    for (let i = 0; i < fields.length; i++) {
      const alone = CRON_FIELDS.map((_, j) => (j === i ? fields[i] : "*")).join(" ");
      try {
        parse(alone, timeZone);
      } catch {
        return { code: "badField", field: CRON_FIELDS[i]!, value: fields[i]! };
      }
    }
    return { code: "invalid" };
  }
  return cron.nextRun(new Date()) ? null : { code: "never" };
}

/** The next `count` fire times strictly after `after`. */
export function nextFires(expression: string, timeZone: string, after: Date, count: number): Date[] {
  return parse(expression.trim(), timeZone).nextRuns(count, after);
}

/** The first fire time strictly after `after`, or null when none comes. */
export function nextFire(expression: string, timeZone: string, after: Date): Date | null {
  return parse(expression.trim(), timeZone).nextRun(after);
}

/** The latest fire time at or before `at`, if any after `since` (exclusive): the one a catch-up run is for. */
export function latestFireBetween(expression: string, timeZone: string, since: Date, at: Date): Date | null {
  const [latest] = parse(expression.trim(), timeZone).previousRuns(1, new Date(at.getTime() + 1));
  return latest && latest.getTime() > since.getTime() ? latest : null;
}
