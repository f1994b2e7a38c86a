import { hostname } from "node:os";
import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { hosts } from "../db/schema";
import { ServiceError } from "../errors";

export const LOCAL_HOST_ID = "local";

/** What the local host was called before it was named after the machine: a phrase in one language, not a name. */
const OLD_LOCAL_NAME = "This host";

/**
 * The `local` host always exists and follows KVMM_LIBVIRT_URI, so changing the variable and
 * restarting is enough. It is named after the machine, as a sysadmin calls it, the same in every
 * language; a name someone gave it is kept.
 */
export function ensureLocalHost(db: Db, uri: string) {
  db.insert(hosts)
    .values({ id: LOCAL_HOST_ID, name: hostname(), uri })
    .onConflictDoUpdate({ target: hosts.id, set: { uri, name: sql`CASE WHEN ${hosts.name} = ${OLD_LOCAL_NAME} THEN excluded.name ELSE ${hosts.name} END` } })
    .run();
}

export function listHosts(db: Db) {
  return db.select().from(hosts).orderBy(asc(hosts.createdAt)).all();
}

export function getHost(db: Db, hostId: string) {
  const row = db.select().from(hosts).where(eq(hosts.id, hostId)).get();
  if (!row) throw new ServiceError(`host "${hostId}" does not exist`, "not_found");
  return row;
}
