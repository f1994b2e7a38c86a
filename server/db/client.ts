import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { dataDir } from "../config/env";
import * as schema from "./schema";

/** `$client` is the better-sqlite3 handle, for the few hot paths that use prepared statements directly (metrics history). */
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const MIGRATIONS_DIR = path.resolve(process.cwd(), "drizzle");

export function openDatabase(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  useIncrementalVacuum(sqlite);
  sqlite.pragma("journal_mode = WAL");
  // A clean-up that deletes many rows writes them all to the WAL; without a limit the WAL file keeps
  // that size after its checkpoint, so the database would not shrink on disk as history expires.
  sqlite.pragma("journal_size_limit = 67108864");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  return db;
}

/**
 * The metrics history deletes expired rows all day (server/metrics/history.ts): with auto_vacuum =
 * INCREMENTAL the freed pages can be handed back to the file system in small steps
 * (`PRAGMA incremental_vacuum`) instead of one long VACUUM. SQLite applies the mode when the first
 * table is created; a database created before this setting existed is converted by one VACUUM at
 * start-up — once (afterwards the pragma reads 2), and it is small then, because history is what
 * makes a database large and it only arrives together with this setting.
 */
function useIncrementalVacuum(sqlite: Database.Database): void {
  const INCREMENTAL = 2;
  if (sqlite.pragma("auto_vacuum", { simple: true }) === INCREMENTAL) return;
  sqlite.pragma("auto_vacuum = INCREMENTAL");
  if (sqlite.pragma("auto_vacuum", { simple: true }) !== INCREMENTAL) sqlite.exec("VACUUM");
}

let shared: Db | undefined;

/**
 * The process-wide database, opened on first use: `next build` imports server modules
 * while collecting page data and must not create or migrate a database then.
 */
export function db(): Db {
  shared ??= openDatabase(path.join(dataDir(), "kvm-manager.sqlite"));
  return shared;
}
