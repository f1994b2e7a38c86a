import { asc, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { hosts } from "../db/schema";
import { ServiceError } from "../errors";

export const LOCAL_HOST_ID = "local";

/** The `local` host always exists and follows KVMM_LIBVIRT_URI, so changing the variable and restarting is enough. */
export function ensureLocalHost(db: Db, uri: string) {
  db.insert(hosts).values({ id: LOCAL_HOST_ID, name: "This host", uri }).onConflictDoUpdate({ target: hosts.id, set: { uri } }).run();
}

export function listHosts(db: Db) {
  return db.select().from(hosts).orderBy(asc(hosts.createdAt)).all();
}

export function getHost(db: Db, hostId: string) {
  const row = db.select().from(hosts).where(eq(hosts.id, hostId)).get();
  if (!row) throw new ServiceError(`host "${hostId}" does not exist`, "not_found");
  return row;
}
