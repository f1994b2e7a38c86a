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

/** The enabled hosts: what every page, job and watcher works on (a disabled host is not connected to). */
export function listHosts(db: Db) {
  return db.select().from(hosts).where(eq(hosts.enabled, true)).orderBy(asc(hosts.createdAt)).all();
}

/** Every host row, disabled ones too: the hosts page. */
export function listHostRows(db: Db) {
  return db.select().from(hosts).orderBy(asc(hosts.createdAt)).all();
}

/** The parameters the manager adds to a host's URI (its ssh key, the pinned host key, the TLS files): not shown as the address. */
export const MANAGER_URI_PARAMS = ["keyfile", "known_hosts", "pkipath"] as const;

/** The URI as the sysadmin typed it: the stored one without MANAGER_URI_PARAMS. */
export function hostAddress(uri: string): string {
  const query = uri.indexOf("?");
  if (query === -1) return uri;
  const params = new URLSearchParams(uri.slice(query + 1));
  for (const name of MANAGER_URI_PARAMS) params.delete(name);
  const rest = params.toString();
  return rest ? `${uri.slice(0, query)}?${rest}` : uri.slice(0, query);
}

export function getHost(db: Db, hostId: string) {
  const row = db.select().from(hosts).where(eq(hosts.id, hostId)).get();
  if (!row) throw new ServiceError(`host "${hostId}" does not exist`, "not_found");
  return row;
}
