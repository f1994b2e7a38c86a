import type { Db } from "../db/client";
import { getConnection } from "../libvirt/registry";
import { getHost } from "./service";

/** The shared libvirt connection of a host row. */
export function hostConnection(db: Db, hostId: string) {
  const host = getHost(db, hostId);
  return { host, conn: getConnection(host.id, host.uri) };
}
