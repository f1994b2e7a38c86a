// The last line of `npm test`, "N passed, N failed, N skipped", from what each phase left in the
// results folder: node's TAP files (*.tap), Playwright's JSON reports (playwright*.json) and one line
// per failed static check (static). Skipped tests are listed by name with their reason, because a
// skip hides a test as well as a failure does: on CI (--ci) any skip fails the run.
//
//   node --import tsx scripts/lib/test-summary.ts <results folder> [--ci]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface Counts {
  passed: number;
  failed: number;
  /** "phase: test name — reason", one per skipped (or todo) test. */
  skipped: string[];
}

const DIRECTIVE = /^\s*(?:not )?ok \d+ - (.*?) # (SKIP|TODO)\b ?(.*)$/;

/**
 * Counts from node's TAP. A test that timed out or was cut short is "cancelled", not "fail": it
 * counts as failed here. Skips are counted from the test lines, not from "# skipped": that total
 * leaves out a describe() skipped as a whole (Node 20), and a todo test is not a passing one.
 */
export function countTap(tap: string, phase: string): Counts {
  const total = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, "m").exec(tap)?.[1] ?? 0);
  const skipped: string[] = [];
  for (const line of tap.split("\n")) {
    const match = DIRECTIVE.exec(line);
    if (!match) continue;
    const [, name, directive, reason] = match;
    const why = reason?.trim() || (directive === "TODO" ? "todo" : "no reason given");
    skipped.push(`${phase}: ${name!.replace(/\\#/g, "#")} — ${why}`);
  }
  return { passed: total("pass"), failed: total("fail") + total("cancelled"), skipped };
}

interface PlaywrightSpec {
  title: string;
  file?: string;
  tests?: { projectName?: string; status?: string; annotations?: { type: string; description?: string }[] }[];
}
interface PlaywrightSuite {
  specs?: PlaywrightSpec[];
  suites?: PlaywrightSuite[];
}
interface PlaywrightReport extends PlaywrightSuite {
  stats?: { expected?: number; flaky?: number; unexpected?: number; skipped?: number };
  errors?: unknown[];
}

/** Counts from Playwright's JSON report; an error outside any test (the server did not start, say) is one failure. */
export function countPlaywright(report: PlaywrightReport): Counts {
  const stats = report.stats ?? {};
  const skipped: string[] = [];
  const walk = (suite: PlaywrightSuite) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        if (test.status !== "skipped") continue;
        const reason = test.annotations?.find((a) => a.type === "skip" || a.type === "fixme")?.description ?? "no reason given";
        skipped.push(`end to end (${test.projectName ?? "?"}): ${spec.file ? `${spec.file}: ` : ""}${spec.title} — ${reason}`);
      }
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  walk(report);
  // The list and the total come from the same report; if they ever disagree, say how many without names.
  for (let i = skipped.length; i < (stats.skipped ?? 0); i++) skipped.push("end to end: a skipped test the report does not name");
  return {
    passed: (stats.expected ?? 0) + (stats.flaky ?? 0),
    failed: (stats.unexpected ?? 0) + ((report.errors?.length ?? 0) > 0 ? 1 : 0),
    skipped,
  };
}

/** Everything in the results folder, in the order the phases ran (file names sort that way). */
export function countResults(dir: string): Counts {
  const all: Counts = { passed: 0, failed: 0, skipped: [] };
  const add = (c: Counts) => {
    all.passed += c.passed;
    all.failed += c.failed;
    all.skipped.push(...c.skipped);
  };
  for (const file of fs.readdirSync(dir).sort()) {
    if (file.endsWith(".tap")) add(countTap(fs.readFileSync(path.join(dir, file), "utf8"), phaseName(file)));
  }
  // One report per Playwright run (test.sh runs it twice: side by side, then the tests that measure the manager alone).
  const reports = fs
    .readdirSync(dir)
    .filter((file) => /^playwright.*\.json$/.test(file))
    .sort();
  for (const report of reports) add(countPlaywright(JSON.parse(fs.readFileSync(path.join(dir, report), "utf8")) as PlaywrightReport));
  // No report at all: Playwright never got as far as writing one.
  if (reports.length === 0) add({ passed: 0, failed: 1, skipped: [] });
  const staticChecks = path.join(dir, "static");
  if (fs.existsSync(staticChecks)) add({ passed: 0, failed: fs.readFileSync(staticChecks, "utf8").split("\n").filter(Boolean).length, skipped: [] });
  return all;
}

/** "2-integration.tap" → "integration": test.sh numbers the files so that they sort in the order they ran. */
function phaseName(file: string): string {
  return file.replace(/\.tap$/, "").replace(/^\d+-/, "");
}

export function summaryLine({ passed, failed, skipped }: Counts): string {
  return `${passed} passed, ${failed} failed, ${skipped.length} skipped`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, flag] = process.argv.slice(2);
  if (!dir) {
    console.error("usage: test-summary.ts <results folder> [--ci]");
    process.exit(64);
  }
  const counts = countResults(dir);
  if (counts.skipped.length > 0) {
    console.log(`\nskipped (README, Tests, says what each needs):`);
    for (const line of counts.skipped) console.log(`  ${line}`);
  }
  const failOnSkip = flag === "--ci" && counts.skipped.length > 0;
  if (failOnSkip) console.log("\nCI installs everything the tests need, so a skipped test fails the run here.");
  console.log(`\n${summaryLine(counts)}`);
  process.exit(counts.failed > 0 || failOnSkip ? 1 : 0);
}
