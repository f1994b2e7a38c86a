import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { restrictDataDir } from "./bootstrap";

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

test("file modes: a data directory made by someone else, and its database files, become owner-only on start", () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-modes-"));
  const dir = path.join(parent, "data");
  try {
    // As an operator's `mkdir` and a restored backup leave them.
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    for (const name of ["kvm-manager.sqlite", "kvm-manager.sqlite-wal", "kvm-manager.sqlite-shm", "session-secret"]) {
      fs.writeFileSync(path.join(dir, name), "x", { mode: 0o644 });
      fs.chmodSync(path.join(dir, name), 0o644);
    }
    restrictDataDir(dir);
    assert.equal(modeOf(dir), 0o700);
    for (const name of ["kvm-manager.sqlite", "kvm-manager.sqlite-wal", "kvm-manager.sqlite-shm", "session-secret"]) {
      assert.equal(modeOf(path.join(dir, name)), 0o600, name);
    }
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});
