"use client";

import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslations } from "next-intl";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { MetricUnit } from "@/server/metrics/sample";
import { useFormat } from "./use-format";
import { axisIncrements, axisTop, formatMetricValue, summarize, timeAxisFormat, timeAxisIncrements, type AlignedSeries } from "./metric-series";

const HEIGHT = 200;

/** Line colours that keep their contrast on the card in each theme (Tailwind's sky/amber/emerald/violet). */
const PALETTE = {
  light: { lines: ["#0284c7", "#d97706", "#059669", "#7c3aed"], axis: "#475569", grid: "#e2e8f0" },
  dark: { lines: ["#38bdf8", "#fbbf24", "#34d399", "#a78bfa"], axis: "#cbd5e1", grid: "#334155" },
} as const;

/** Whether <html> carries the dark class (theme.ts), followed as the theme toggle or the OS changes it. */
function useDarkTheme(): boolean {
  const [dark, setDark] = useState(false);
  useEffect(() => {
    const html = document.documentElement;
    const read = () => setDark(html.classList.contains("dark"));
    read();
    const observer = new MutationObserver(read);
    observer.observe(html, { attributes: true, attributeFilter: ["class"] });
    return () => observer.disconnect();
  }, []);
  return dark;
}

export interface ChartLine {
  /** The line's name in the legend, in the page's language. */
  label: string;
}

/**
 * One metric over a range, drawn by uPlot: a line per series (with its min–max band when the data
 * are rolled-up buckets), axes with units, a cursor whose values show in the legend below, and for
 * screen readers a caption naming the metric and range and a summary of the figures. The canvas
 * follows its container's width and is made again when the theme changes.
 */
export function MetricChart({
  caption,
  unit,
  rangeMs,
  lines,
  data,
  testId,
}: {
  /** Names the metric and the range: the figure's caption. */
  caption: string;
  unit: MetricUnit;
  rangeMs: number;
  lines: readonly ChartLine[];
  data: AlignedSeries;
  testId?: string;
}) {
  const t = useTranslations("metrics.chart");
  const f = useFormat();
  const dark = useDarkTheme();
  const boxRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const [cursorIdx, setCursorIdx] = useState<number | null>(null);

  const columns = useMemo(() => {
    const cols: uPlot.AlignedData[number][] = [data.xs];
    for (const line of data.lines) {
      cols.push(line.avg);
      if (line.min && line.max) cols.push(line.min, line.max);
    }
    return cols as uPlot.AlignedData;
  }, [data]);

  // The plot is made when its shape changes (lines, bands, unit, locale, theme); new figures only replace its data.
  const shape = `${lines.map((l) => l.label).join("\0")}|${data.lines.map((l) => (l.min ? "b" : "l")).join("")}|${unit}|${rangeMs}|${f.locale}|${dark}`;
  const columnsRef = useRef(columns);
  columnsRef.current = columns;

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const palette = dark ? PALETTE.dark : PALETTE.light;
    const fmt = (v: number | null) => formatMetricValue(unit, v, f.locale);
    const time = timeAxisFormat(rangeMs, f.locale);
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    data.lines.forEach((line, i) => {
      const stroke = palette.lines[i % palette.lines.length]!;
      const avgIdx = series.length;
      series.push({ label: lines[i]?.label ?? "", stroke, width: 1.5, spanGaps: false, points: { show: false } });
      if (line.min && line.max) {
        series.push({ stroke, width: 0, points: { show: false } }, { stroke, width: 0, points: { show: false } });
        bands.push({ series: [avgIdx + 2, avgIdx + 1], fill: `${stroke}33` });
      }
    });
    const axis = { stroke: palette.axis, grid: { stroke: palette.grid, width: 1 }, ticks: { stroke: palette.grid, width: 1 } };
    const plot = new uPlot(
      {
        width: Math.max(1, box.clientWidth),
        height: HEIGHT,
        series,
        bands,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
        scales: {
          x: { time: true },
          y: { range: (_u, min, max) => [Math.min(0, min ?? 0), axisTop(unit, max)] },
        },
        axes: [
          { ...axis, incrs: timeAxisIncrements(rangeMs), values: (_u, ticks) => ticks.map((s) => time.format(new Date(s * 1000))) },
          { ...axis, size: 80, incrs: axisIncrements(unit), values: (_u, ticks) => ticks.map((v) => fmt(v)) },
        ],
        hooks: { setCursor: [(u) => setCursorIdx(u.cursor.idx ?? null)] },
      },
      columnsRef.current,
      box,
    );
    plotRef.current = plot;
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(1, box.clientWidth), height: HEIGHT }));
    resize.observe(box);
    return () => {
      resize.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
    // `shape` stands for everything the options are built from; data alone goes through setData below.
  }, [shape]);

  useEffect(() => {
    plotRef.current?.setData(columns);
  }, [columns]);

  const summaries = data.lines.map((line) => summarize(line.avg));
  const idx = cursorIdx !== null && cursorIdx < data.xs.length ? cursorIdx : null;
  const fmt = (v: number | null) => formatMetricValue(unit, v, f.locale);
  const palette = dark ? PALETTE.dark : PALETTE.light;

  return (
    <figure className="min-w-0" data-testid={testId} data-points={data.xs.length}>
      <figcaption className="mb-2 text-sm font-medium">{caption}</figcaption>
      {data.xs.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">{t("noData")}</p>
      ) : (
        <p className="sr-only">
          {lines
            .map((line, i) =>
              t("summary", {
                line: line.label,
                latest: fmt(summaries[i]?.latest ?? null),
                min: fmt(summaries[i]?.min ?? null),
                max: fmt(summaries[i]?.max ?? null),
              }),
            )
            .join(" ")}
        </p>
      )}
      {/* The canvas repeats the summary above for sighted readers; pan-y keeps a swipe over it scrolling the page. */}
      <div ref={boxRef} aria-hidden="true" className="w-full overflow-hidden" style={{ touchAction: "pan-y" }} />
      <dl className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs">
        {idx !== null && (
          <div className="flex gap-1">
            <dt className="text-slate-500 dark:text-slate-400">{t("at")}</dt>
            <dd>{f.dateTime(data.xs[idx]! * 1000)}</dd>
          </div>
        )}
        {lines.map((line, i) => (
          <div key={line.label} className="flex items-center gap-1">
            <dt className="flex items-center gap-1 text-slate-600 dark:text-slate-300">
              <span aria-hidden="true" className="inline-block h-2 w-3 rounded-sm" style={{ background: palette.lines[i % palette.lines.length] }} />
              {line.label}
            </dt>
            <dd className="font-medium tabular-nums" data-testid={testId ? `${testId}-value-${i}` : undefined}>
              {fmt(idx !== null ? (data.lines[i]?.avg[idx] ?? null) : (summaries[i]?.latest ?? null))}
            </dd>
          </div>
        ))}
      </dl>
    </figure>
  );
}
