import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openDatabase, type Db } from "../db/client";
import { createUser, loadSessionUser, type SessionUser } from "../users/service";
import type { Role } from "../auth/roles";
import type { Grant } from "../auth/permissions";
import { createSession } from "../auth/sessions";

/** A migrated database in a fresh temp directory: the same SQLite file format the product uses, thrown away after. */
export function tempDatabase(): { db: Db; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-db-"));
  const db = openDatabase(path.join(dir, "test.sqlite"));
  return { db, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export async function addUser(db: Db, username: string, role: Role, grants: Grant[] = []): Promise<SessionUser> {
  const { id } = await createUser(db, { username, role, password: `${username}-password-123`, grants });
  const sessionId = createSession(db, id, { clientIp: "127.0.0.1", userAgent: "test" });
  const user = loadSessionUser(db, id, sessionId);
  if (!user) throw new Error(`test user ${username} could not be loaded`);
  return user;
}
