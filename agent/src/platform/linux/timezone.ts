import { readlink } from "../../fs-async";
import { readText } from "./read";

/**
 * The guest's time zone, read the way glibc finds it, without ICU: `Intl.DateTimeFormat()` loads
 * ICU's zone and locale data and leaves the agent ~8 MiB RSS larger for the rest of its life
 * (node 20 --lite-mode, measured natively: 39.8 → 48.1 MiB), for one name on the VM page.
 * TZ first, then where /etc/localtime links into zoneinfo, then Debian's /etc/timezone; "UTC" when
 * none says (glibc's default too).
 */
export interface TimeZoneSources {
  env: Record<string, string | undefined>;
  readlink: (path: string) => Promise<string>;
  readText: (path: string) => Promise<string | null>;
}

const defaultSources: TimeZoneSources = { env: process.env, readlink, readText };

/** An IANA name ("Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires"), not a POSIX rule such as "CET-1CEST". */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,3}$/;

function zoneOf(text: string | null | undefined): string | null {
  const name = text?.trim().replace(/^:/, "");
  return name && ZONE_NAME.test(name) && !/\d$/.test(name.split("/")[0]!) ? name : null;
}

export async function linuxTimeZone(sources: TimeZoneSources = defaultSources): Promise<string> {
  const fromEnv = zoneOf(sources.env.TZ);
  if (fromEnv) return fromEnv;
  const link = await sources.readlink("/etc/localtime").catch(() => null);
  const linked = link === null ? null : zoneOf(/(?:^|\/)zoneinfo\/(?:posix\/|right\/)?(.+)$/.exec(link)?.[1]);
  if (linked) return linked;
  return zoneOf(await sources.readText("/etc/timezone")) ?? "UTC";
}
