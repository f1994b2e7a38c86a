import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { openDatabase } from "./client";

test("a database created without incremental auto-vacuum is converted once when opened, keeping its rows", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-db-vacuum-"));
  try {
    const file = path.join(dir, "old.sqlite");
    const old = new Database(file);
    // As the product has always opened it.
    old.pragma("journal_mode = WAL");
    old.exec("CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('still here')");
    assert.equal(old.pragma("auto_vacuum", { simple: true }), 0);
    old.close();
    const db = openDatabase(file);
    assert.equal(db.$client.pragma("auto_vacuum", { simple: true }), 2);
    assert.deepEqual(db.$client.prepare("SELECT v FROM kept").all(), [{ v: "still here" }]);
    db.$client.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a new database is created with incremental auto-vacuum", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-db-vacuum-"));
  try {
    const db = openDatabase(path.join(dir, "new.sqlite"));
    assert.equal(db.$client.pragma("auto_vacuum", { simple: true }), 2);
    db.$client.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
