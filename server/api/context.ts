import { db } from "../db/client";
import { currentUser } from "../auth/session";
import { clientIpFromHeaders } from "../auth/client-ip";
import type { SessionUser } from "../users/service";
import type { Context } from "./trpc";

/** The context for a call whose user is already known (the tRPC route resolves it before reading the body). */
export function contextFor(headers: Headers, user: SessionUser | null): Context {
  return { db: db(), user, clientIp: clientIpFromHeaders(headers) };
}

/** The context for a server component's calls during a page render. */
export async function createContext(headers: Headers): Promise<Context> {
  return contextFor(headers, await currentUser());
}
