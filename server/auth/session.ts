import { getServerSession } from "next-auth";
import { db } from "../db/client";
import { loadSessionUser, type SessionUser } from "../users/service";
import { authOptions } from "./options";

interface KvmmSession {
  userId?: number;
  sessionId?: string | null;
}

/** The signed-in user for a server component, route handler or tRPC call; null when signed out or the session ended. */
export async function currentUser(): Promise<SessionUser | null> {
  const session = (await getServerSession(authOptions)) as KvmmSession | null;
  if (!session?.userId || !Number.isInteger(session.userId) || !session.sessionId) return null;
  return loadSessionUser(db(), session.userId, session.sessionId);
}
