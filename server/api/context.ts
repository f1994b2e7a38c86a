import { db } from "../db/client";
import { currentUser } from "../auth/session";
import { clientIpFromHeaders } from "../auth/client-ip";
import type { Context } from "./trpc";

/** The context for a call arriving over HTTP, or made by a server component during a page render. */
export async function createContext(headers: Headers): Promise<Context> {
  return { db: db(), user: await currentUser(), clientIp: clientIpFromHeaders(headers) };
}
