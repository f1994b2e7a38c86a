/**
 * The pure half of the metric charts: which ranges a chart offers and the window each reads, the
 * history points (server/metrics/history.ts) lined up as uPlot's columns, live ticks appended to
 * them, and a figure in the reader's locale with its unit. Client-safe; no React, no uPlot.
 */
import type { HistoryPoint, HistorySeries } from "@/server/metrics/history";
import type { MetricUnit } from "@/server/metrics/sample";
import { formatBytes, formatNumber } from "./format";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The ranges a chart offers, shortest first; the first is the default and the only live one. */
export const RANGES = ["1h", "6h", "24h", "7d", "30d"] as const;
export type ChartRange = (typeof RANGES)[number];
export const LIVE_RANGE: ChartRange = "1h";

export const RANGE_MS: Record<ChartRange, number> = { "1h": HOUR, "6h": 6 * HOUR, "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY };

/** The range a URL's `?range=` names; anything else (missing, mistyped, an array) is the default. */
export function parseRange(value: string | string[] | undefined | null): ChartRange {
  return typeof value === "string" && (RANGES as readonly string[]).includes(value) ? (value as ChartRange) : RANGES[0];
}

/** The window a range reads, ending now (whole milliseconds, as metrics.history's input wants). */
export function rangeWindow(range: ChartRange, now: number): { from: number; to: number } {
  const to = Math.floor(now);
  return { from: to - RANGE_MS[range], to };
}

/** One line of a chart: its points, and whether they are buckets (min/avg/max) or single samples. */
export interface LineInput {
  points: readonly HistoryPoint[];
  banded: boolean;
}

export type Column = (number | null)[];

/** What uPlot draws: a shared time axis (in seconds, uPlot's unit) and per line its values on it. */
export interface AlignedSeries {
  xs: number[];
  lines: { avg: Column; min: Column | null; max: Column | null }[];
}

/**
 * Lines up several lines on one time axis: the union of their times, each line null where it has no
 * point (a gap, drawn as one). A VM's metrics share their sample times, so this is usually one axis;
 * live points (the host's tick time) and guest figures may not.
 */
export function alignSeries(inputs: readonly LineInput[]): AlignedSeries {
  const times = new Set<number>();
  for (const input of inputs) for (const p of input.points) times.add(p.at);
  const sorted = [...times].sort((a, b) => a - b);
  const index = new Map(sorted.map((at, i) => [at, i]));
  const lines = inputs.map((input) => {
    const avg: Column = new Array<number | null>(sorted.length).fill(null);
    const min: Column | null = input.banded ? new Array<number | null>(sorted.length).fill(null) : null;
    const max: Column | null = input.banded ? new Array<number | null>(sorted.length).fill(null) : null;
    for (const p of input.points) {
      const i = index.get(p.at)!;
      avg[i] = p.avg;
      if (min) min[i] = p.min;
      if (max) max[i] = p.max;
    }
    return { avg, min, max };
  });
  return { xs: sorted.map((ms) => ms / 1000), lines };
}

/** Whether a series holds buckets (a min/avg/max band is worth drawing) rather than raw samples. */
export function isBanded(series: Pick<HistorySeries, "resolution">): boolean {
  return series.resolution !== "raw";
}

/**
 * A series with live samples after its stored ones: only those newer than its last point (a tick
 * may arrive both ways), and only the last `windowMs` before the newest point kept, so the live
 * chart slides instead of growing.
 */
export function withLive(points: readonly HistoryPoint[], live: readonly HistoryPoint[], windowMs: number): HistoryPoint[] {
  const lastStored = points.length > 0 ? points[points.length - 1]!.at : -Infinity;
  const merged = [...points, ...live.filter((p) => p.at > lastStored)];
  if (merged.length === 0) return merged;
  const start = merged[merged.length - 1]!.at - windowMs;
  const first = merged.findIndex((p) => p.at >= start);
  return merged.slice(first);
}

/** A live figure as a history point (a single sample: min = avg = max). */
export function livePoint(at: number, value: number | null): HistoryPoint {
  return { at, min: value, avg: value, max: value };
}

/** The newest known figure and the extremes over a column, for the screen-reader summary and the legend. */
export function summarize(values: readonly (number | null)[]): { latest: number | null; min: number | null; max: number | null } {
  let latest: number | null = null;
  let min: number | null = null;
  let max: number | null = null;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    latest = v;
    if (min === null || v < min) min = v;
    if (max === null || v > max) max = v;
  }
  return { latest, min, max };
}

/** A figure with its unit in the locale's format: "12.5%" / "12,5 %", "1.5 GiB", "300 KiB/s", "4.2/s". */
export function formatMetricValue(unit: MetricUnit, value: number | null, locale: string): string {
  if (value === null || !Number.isFinite(value)) return "—";
  switch (unit) {
    case "percent":
      return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(value / 100);
    case "bytes":
      return formatBytes(value, locale);
    case "bytesPerSecond":
      return `${formatBytes(value, locale)}/s`;
    case "perSecond":
      return `${formatNumber(value, locale, value >= 10 ? 0 : 1)}/s`;
  }
}

/**
 * The top of a chart's value axis: 100 % at least for percentages, else a tenth above the highest
 * figure with a floor that keeps the labels distinct when everything is 0 (an idle disk read as
 * 0..1 B/s labelled "0 B/s, 0 B/s, 1 B/s, 1 B/s, 1 B/s").
 */
export function axisTop(unit: MetricUnit, max: number | null): number {
  const highest = max ?? 0;
  if (unit === "percent") return Math.max(100, highest);
  return Math.max(unit === "perSecond" ? 1 : 1024, highest * 1.1);
}

const BINARY_STEPS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
/** 1 B … 512 PiB in powers of two: byte axes tick at 256 B, 512 MiB, 2 GiB, never at 0.3 KiB. */
const BYTE_INCREMENTS = [0, 1, 2, 3, 4, 5].flatMap((power) => BINARY_STEPS.map((step) => step * 1024 ** power));

/** The steps a value axis may tick at: powers of two for bytes, uPlot's decimal ones otherwise. */
export function axisIncrements(unit: MetricUnit): number[] | undefined {
  return unit === "bytes" || unit === "bytesPerSecond" ? BYTE_INCREMENTS : undefined;
}

/** Labels for the time axis: times of day up to a day's range, dates beyond; UTC, as every time in the dashboard. */
const MINUTE_S = 60;
const HOUR_S = 3600;
const DAY_S = 86_400;
/** Time steps in seconds (uPlot's time scale), each a whole number of the unit the labels show. */
const CLOCK_STEPS = [1, 2, 5, 10, 15, 30].map((m) => m * MINUTE_S).concat([1, 2, 3, 4, 6, 8, 12].map((h) => h * HOUR_S));
const DATE_STEPS = [1, 2, 3, 7, 14, 30].map((d) => d * DAY_S);

/**
 * The steps the time axis may tick at: never finer than its labels (hours and minutes up to a
 * day's range, dates beyond), or two ticks half a minute apart both read "01:25".
 */
export function timeAxisIncrements(rangeMs: number): number[] {
  return rangeMs <= DAY ? CLOCK_STEPS : DATE_STEPS;
}

export function timeAxisFormat(rangeMs: number, locale: string): Intl.DateTimeFormat {
  return rangeMs <= DAY
    ? new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" })
    : new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", timeZone: "UTC" });
}
