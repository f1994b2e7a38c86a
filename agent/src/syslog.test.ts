import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { formatLine } from "./log";
import { chooseSink, JournalSink, StderrSink, SyslogSink } from "./syslog";

describe("log sinks", () => {
  it("prefers journald when systemd connected stderr to it", () => {
    assert.ok(chooseSink({ JOURNAL_STREAM: "8:1234" }, "linux") instanceof JournalSink);
  });

  it("uses syslog only when /dev/log exists, and stderr off Linux", () => {
    const expected = existsSync("/dev/log") ? SyslogSink : StderrSink;
    assert.ok(chooseSink({}, "linux") instanceof expected);
    assert.ok(chooseSink({ JOURNAL_STREAM: "8:1234" }, "win32") instanceof StderrSink);
  });

  it("formats one line per record, quoting what needs it", () => {
    assert.equal(
      formatLine("audit", { id: 7, method: "file_write", path: "/tmp/a b", error: "line1\nline2", skipped: undefined }),
      'audit id=7 method=file_write path="/tmp/a b" error="line1\\nline2"',
    );
  });
});
