/**
 * The `?host=<id>` filter of the pages that list things across hosts (storage, networks, the
 * dashboard, backups, schedules), read from the URL. Client-safe and pure: the page hands it the
 * enabled hosts it read, so a host that is unknown, disabled or removed since the link was made is
 * named back as `unknown` and the page shows every host instead of failing.
 */
import { z } from "zod";
import { hostIdSchema } from "@/server/identifiers";

/** A page's search parameters as Next.js hands them; `host` is the host filter's. */
export type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export interface HostFilter {
  /** The host shown, or null for every host. */
  hostId: string | null;
  /** What the URL asked for when it was not an enabled host (said to the reader), else null. */
  unknown: string | null;
}

/** A search parameter as Next.js hands it: repeated ones as an array, of which the first counts. */
const hostParamSchema = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (Array.isArray(v) ? v[0] : v)?.trim() ?? "");

export function parseHostFilter(raw: string | string[] | undefined, enabledHostIds: readonly string[]): HostFilter {
  const asked = hostParamSchema.parse(raw);
  if (asked === "") return { hostId: null, unknown: null };
  const known = hostIdSchema.safeParse(asked).success && enabledHostIds.includes(asked);
  return known ? { hostId: asked, unknown: null } : { hostId: null, unknown: asked };
}

/** The hosts a page reads for the filter: all of them, or the one it names. */
export function hostsShown<H extends { id: string }>(hosts: readonly H[], filter: HostFilter): H[] {
  return filter.hostId === null ? [...hosts] : hosts.filter((h) => h.id === filter.hostId);
}
