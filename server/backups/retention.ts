/**
 * Which backups a retention policy keeps (pure; schedules apply it after each run). A backup is
 * kept when it is one of the newest `keepLast`, or the newest of its UTC day among the last `daily`
 * days (today included), of its ISO week (Monday first) among the last `weekly` weeks, or of its
 * calendar month among the last `monthly` months. Every backup a kept incremental one builds on is
 * kept as well, however old: deleting it would leave the kept one unrestorable.
 */

export interface RetentionPolicy {
  keepLast?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
}

export interface RetainedBackup {
  id: string;
  /** The backup an incremental one builds on, null for a full one. */
  parentId: string | null;
  /** When it was taken (ms since the epoch). */
  at: number;
}

export interface RetentionResult {
  keep: string[];
  remove: string[];
}

const DAY_MS = 86_400_000;

function dayIndex(at: number): number {
  return Math.floor(at / DAY_MS);
}

/** Days since the epoch of the Monday starting the ISO week; 1970-01-01 was a Thursday. */
function weekIndex(at: number): number {
  return Math.floor((dayIndex(at) + 3) / 7);
}

function monthIndex(at: number): number {
  const d = new Date(at);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** Keeps the newest backup of each of the `count` most recent periods counting back from now's. */
function newestPerPeriod(sorted: readonly RetainedBackup[], count: number, period: (at: number) => number, now: number, keep: Set<string>): void {
  if (count <= 0) return;
  const current = period(now);
  const seen = new Set<number>();
  for (const b of sorted) {
    const p = period(b.at);
    if (p > current - count && !seen.has(p)) {
      seen.add(p);
      keep.add(b.id);
    }
  }
}

export function applyRetention(backups: readonly RetainedBackup[], policy: RetentionPolicy, now: number): RetentionResult {
  const counts = [policy.keepLast, policy.daily, policy.weekly, policy.monthly].map((n) => n ?? 0);
  if (counts.some((n) => !Number.isInteger(n) || n < 0)) throw new Error("retention counts must be whole numbers of 0 or more");
  if (counts.every((n) => n === 0)) throw new Error("a retention policy must keep at least one backup");
  // Newest first; ties broken by id so the answer never depends on input order.
  const sorted = [...backups].sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const keep = new Set<string>(sorted.slice(0, policy.keepLast ?? 0).map((b) => b.id));
  newestPerPeriod(sorted, policy.daily ?? 0, dayIndex, now, keep);
  newestPerPeriod(sorted, policy.weekly ?? 0, weekIndex, now, keep);
  newestPerPeriod(sorted, policy.monthly ?? 0, monthIndex, now, keep);
  const byId = new Map(sorted.map((b) => [b.id, b]));
  for (const id of [...keep]) {
    let parent = byId.get(id)?.parentId ?? null;
    while (parent !== null && !keep.has(parent)) {
      keep.add(parent);
      parent = byId.get(parent)?.parentId ?? null;
    }
  }
  return { keep: sorted.filter((b) => keep.has(b.id)).map((b) => b.id), remove: sorted.filter((b) => !keep.has(b.id)).map((b) => b.id) };
}
