import { test } from "node:test";
import assert from "node:assert/strict";
import {
  alignSeries,
  axisIncrements,
  axisTop,
  formatMetricValue,
  isBanded,
  parseRange,
  rangeWindow,
  summarize,
  timeAxisFormat,
  timeAxisIncrements,
  withLive,
} from "./metric-series";

const p = (at: number, avg: number | null, min = avg, max = avg) => ({ at, min, avg, max });

test("a range in the address is one of the offered ones, else the 1-hour default", () => {
  assert.equal(parseRange("6h"), "6h");
  assert.equal(parseRange("30d"), "30d");
  assert.equal(parseRange("2h"), "1h");
  assert.equal(parseRange(undefined), "1h");
  assert.equal(parseRange(["6h", "7d"]), "1h");
});

test("a range's window ends now (whole milliseconds) and spans exactly the range", () => {
  assert.deepEqual(rangeWindow("1h", 10_000_000.7), { from: 10_000_000 - 3_600_000, to: 10_000_000 });
  const week = rangeWindow("7d", 2e12);
  assert.equal(week.to - week.from, 7 * 24 * 3_600_000);
});

test("lines are put on one time axis in seconds, null where a line has no point, bands only for buckets", () => {
  const aligned = alignSeries([
    { points: [p(2000, 5), p(1000, 1)], banded: false },
    { points: [p(2000, 7, 6, 9), p(3000, 8, 2, 10)], banded: true },
  ]);
  assert.deepEqual(aligned.xs, [1, 2, 3]);
  assert.deepEqual(aligned.lines[0], { avg: [1, 5, null], min: null, max: null });
  assert.deepEqual(aligned.lines[1], { avg: [null, 7, 8], min: [null, 6, 2], max: [null, 9, 10] });
  assert.equal(isBanded({ resolution: "raw" }), false);
  assert.equal(isBanded({ resolution: "1m" }), true);
});

test("live points follow the stored ones without repeating a stored time, and the window slides with the newest", () => {
  const stored = [p(1000, 1), p(2000, 2)];
  const live = [p(2000, 99), p(3000, 3), p(4000, 4)];
  assert.deepEqual(
    withLive(stored, live, 10_000).map((x) => [x.at, x.avg]),
    [
      [1000, 1],
      [2000, 2],
      [3000, 3],
      [4000, 4],
    ],
  );
  assert.deepEqual(
    withLive(stored, live, 2000).map((x) => x.at),
    [2000, 3000, 4000],
  );
  assert.deepEqual(withLive([], [], 1000), []);
});

test("the summary skips unknown figures: latest known, lowest, highest", () => {
  assert.deepEqual(summarize([null, 3, 1, 7, null]), { latest: 7, min: 1, max: 7 });
  assert.deepEqual(summarize([null]), { latest: null, min: null, max: null });
});

test("figures carry their unit in the locale's format, and an unknown one is a dash", () => {
  assert.equal(formatMetricValue("percent", 12.34, "en"), "12.3%");
  assert.equal(formatMetricValue("percent", 12.34, "de"), "12,3\u00a0%", "German puts a no-break space before the sign");
  assert.equal(formatMetricValue("bytes", 1.5 * 1024 ** 3, "de"), "1,5 GiB");
  assert.equal(formatMetricValue("bytesPerSecond", 300 * 1024, "en"), "300 KiB/s");
  assert.equal(formatMetricValue("perSecond", 4.25, "de"), "4,3/s");
  assert.equal(formatMetricValue("percent", null, "en"), "—");
});

test("the time axis shows UTC times of day up to a day's range and dates beyond", () => {
  const moment = new Date(Date.UTC(2026, 10, 27, 18, 5));
  assert.equal(timeAxisFormat(3_600_000, "de").format(moment), "18:05");
  assert.equal(timeAxisFormat(7 * 86_400_000, "en").format(moment), "Nov 27");
});

test("an all-zero byte rate still gets an axis up to 1 KiB/s, whose binary ticks format to distinct labels", () => {
  assert.equal(axisTop("bytesPerSecond", 0), 1024);
  assert.equal(axisTop("bytesPerSecond", null), 1024);
  assert.equal(axisTop("bytesPerSecond", 10_000), 11_000);
  assert.equal(axisTop("percent", 37), 100);
  assert.equal(axisTop("percent", 130), 130);
  assert.equal(axisTop("perSecond", 0), 1);
  const incrs = axisIncrements("bytesPerSecond")!;
  // uPlot ticks 0..1 KiB at 256 B on a 200 px chart: every label different.
  const labels = [0, 256, 512, 768, 1024].map((v) => formatMetricValue("bytesPerSecond", v, "en-US"));
  assert.deepEqual(labels, ["0 B/s", "256 B/s", "512 B/s", "768 B/s", "1.0 KiB/s"]);
  assert.ok(incrs.includes(256) && incrs.includes(512 * 1024 ** 2) && incrs.includes(2 * 1024 ** 3));
  assert.ok(
    incrs.every((v, i) => i === 0 || v > incrs[i - 1]!),
    "increasing, as uPlot expects",
  );
  assert.equal(axisIncrements("percent"), undefined);
});

test("the time axis ticks no finer than its labels: whole minutes up to a day, whole days beyond", () => {
  const format = timeAxisFormat(3_600_000, "en-US");
  const hour = timeAxisIncrements(3_600_000);
  assert.ok(hour.every((step) => step % 60 === 0));
  // Any two ticks one step apart read differently.
  for (const step of hour) assert.notEqual(format.format(new Date(0)), format.format(new Date(step * 1000)));
  assert.ok(timeAxisIncrements(30 * 86_400_000).every((step) => step % 86_400 === 0));
});
