import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ProcFile } from "./read";

test("ProcFile re-reads its file from the start on every read, growing its buffer for a file longer than it", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-procfile-"));
  try {
    const file = path.join(dir, "f");
    await writeFile(file, "first");
    const reader = new ProcFile(file);
    assert.equal(reader.read(), "first");
    const long = "x".repeat(10_000);
    await writeFile(file, long);
    assert.equal(reader.read(), long);
    await writeFile(file, "short");
    assert.equal(reader.read(), "short");
    reader.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("ProcFile answers null for a file it cannot open, and a /proc file afresh each time", () => {
  assert.equal(new ProcFile("/nonexistent/kvmm-procfile").read(), null);
  const uptime = new ProcFile("/proc/self/stat");
  const first = uptime.read();
  assert.match(first ?? "", new RegExp(`^${process.pid} \\(`));
  assert.match(uptime.read() ?? "", new RegExp(`^${process.pid} \\(`));
  uptime.close();
});
