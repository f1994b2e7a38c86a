import type { Db } from "../db/client";
import type { Connection } from "../libvirt";
import { getConnection } from "../libvirt/registry";
import { auditTargets } from "../audit/targets";
import { getHost } from "./service";

/** A host row with its shared libvirt connection: what every host-level service works on. */
export interface ResolvedHost {
  id: string;
  uri: string;
  conn: Connection;
  /** `host "local"`: the prefix of errors about the host itself. */
  context: string;
}

/** Finds a host by id (a not_found ServiceError when there is none) and its connection. */
export function resolveHost(db: Db, hostId: string): ResolvedHost {
  const host = getHost(db, hostId);
  return { id: host.id, uri: host.uri, conn: getConnection(host.id, host.uri), context: auditTargets.host(host.id) };
}
