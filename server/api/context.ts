import { db } from "../db/client";
import { clientIpFromHeaders } from "../auth/client-ip";
import type { SessionUser } from "../users/service";
import type { Context } from "./trpc";

/**
 * The context of a tRPC call: its user is resolved before (the route does it before reading the body,
 * pages once per render through app/_components/page-session.ts).
 */
export function contextFor(headers: Headers, user: SessionUser | null): Context {
  return { db: db(), user, clientIp: clientIpFromHeaders(headers) };
}
