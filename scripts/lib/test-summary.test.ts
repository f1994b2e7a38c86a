import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { countPlaywright, countResults, countTap, summaryLine } from "./test-summary";

const run = promisify(execFile);

/** A test file with one of each outcome, as node's runner reports it (in its own process, as in npm test). */
const SAMPLE = `
import { describe, it, test } from "node:test";
test("passes", () => {});
test("fails", () => { throw new Error("no"); });
test("runs out of time", { timeout: 50 }, (t) => new Promise((resolve) => {
  const timer = setTimeout(resolve, 5_000);
  t.signal.addEventListener("abort", () => clearTimeout(timer));
}));
test("needs sshd", { skip: "/usr/sbin/sshd not installed" }, () => {});
test("skips itself # mid-way", (t) => t.skip("no C compiler"));
test("later", { todo: "not written yet" }, () => {});
describe("a port", { skip: "no pipe_wrap binding" }, () => {
  it("is read", () => {});
  it("is written", () => {});
});
describe("a suite", () => {
  it("passes inside", () => {});
});
`;

let dir: string;
let tap: string;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-summary-"));
  fs.writeFileSync(path.join(dir, "sample.test.mjs"), SAMPLE);
  // Without the variable that tells a test file it runs under this test runner: that one would answer in its own protocol, not TAP.
  const env = { ...process.env, NODE_TEST_CONTEXT: undefined };
  // Exits 1: the sample has failures.
  const result = await run(process.execPath, ["--test", "--test-reporter=tap", "sample.test.mjs"], { cwd: dir, env }).catch(
    (error: { stdout: string }) => error,
  );
  tap = result.stdout;
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the summary of node's TAP", () => {
  test("counts a timed-out test as failed, and every skipped or todo test, a skipped describe() included, as skipped", () => {
    const counts = countTap(tap, "unit");
    assert.equal(counts.passed, 2);
    assert.equal(counts.failed, 2);
    assert.deepEqual(counts.skipped, [
      "unit: needs sshd — /usr/sbin/sshd not installed",
      "unit: skips itself # mid-way — no C compiler",
      "unit: later — not written yet",
      "unit: a port — no pipe_wrap binding",
    ]);
  });
});

describe("the summary of Playwright's report", () => {
  test("counts flaky tests as passed and names skipped ones with their project and reason", () => {
    const counts = countPlaywright({
      stats: { expected: 3, flaky: 1, unexpected: 2, skipped: 1 },
      suites: [
        {
          suites: [
            {
              specs: [
                {
                  title: "a skipped one",
                  file: "login.spec.ts",
                  tests: [{ projectName: "phone", status: "skipped", annotations: [{ type: "skip", description: "no touch screen" }] }],
                },
              ],
            },
          ],
        },
      ],
    });
    assert.deepEqual(counts, { passed: 4, failed: 2, skipped: ["end to end (phone): login.spec.ts: a skipped one — no touch screen"] });
  });

  test("counts an error outside the tests (the web server did not start) as a failure", () => {
    assert.equal(countPlaywright({ stats: { expected: 0, unexpected: 0, skipped: 0 }, errors: [{ message: "webServer" }] }).failed, 1);
  });
});

describe("the summary of a whole run", () => {
  test("adds the phases and the static checks; a run with no Playwright report failed", () => {
    const results = fs.mkdtempSync(path.join(dir, "results-"));
    fs.writeFileSync(path.join(results, "1-unit.tap"), tap);
    fs.writeFileSync(path.join(results, "static"), "lint failed\n");
    const counts = countResults(results);
    assert.equal(summaryLine(counts), "2 passed, 4 failed, 4 skipped");
    assert.ok(counts.skipped.every((line) => line.startsWith("unit: ")));
  });

  test("adds every Playwright report: the run side by side and the run of tests that measure the manager alone", () => {
    const results = fs.mkdtempSync(path.join(dir, "results-"));
    const report = (expected: number, unexpected: number) => JSON.stringify({ stats: { expected, unexpected, skipped: 0 }, suites: [], errors: [] });
    fs.writeFileSync(path.join(results, "playwright-1.json"), report(150, 1));
    fs.writeFileSync(path.join(results, "playwright-2.json"), report(2, 0));
    assert.equal(summaryLine(countResults(results)), "152 passed, 1 failed, 0 skipped");
  });
});
