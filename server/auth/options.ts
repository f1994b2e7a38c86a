import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { db } from "../db/client";
import { writeAudit } from "../audit/log";
import { revokeSession, SESSION_MAX_AGE_S } from "./sessions";
import { verifiedSignIn } from "./sign-in";
import { sameOriginPath } from "./safe-redirect";
import { auditTargets } from "../audit/targets";

/**
 * next-auth issues and reads the signed session cookie; everything else about signing in happens
 * before it is called (server/auth/sign-in.ts). The cookie names a server-side session row (`sid`),
 * which is what sign-out, password and grant changes end.
 */
export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
  pages: { signIn: "/login", error: "/login" },
  providers: [
    CredentialsProvider({
      name: "Password",
      credentials: {
        username: { label: "Username", type: "text" },
        password: { label: "Password", type: "password" },
      },
      authorize: () => {
        const signedIn = verifiedSignIn();
        return signedIn ? { id: String(signedIn.userId), name: signedIn.username, sid: signedIn.sessionId } : null;
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) token.sid = (user as { sid?: string }).sid;
      return token;
    },
    session({ session, token }) {
      return { ...session, userId: Number(token.sub), sessionId: typeof token.sid === "string" ? token.sid : null };
    },
    redirect({ url, baseUrl }) {
      return `${baseUrl}${sameOriginPath(url, baseUrl)}`;
    },
  },
  events: {
    signOut({ token }) {
      const sid = token?.sid;
      if (typeof sid !== "string") return;
      revokeSession(db(), sid, "signed out");
      writeAudit(db(), {
        userId: Number(token.sub) || null,
        username: typeof token.name === "string" ? token.name : null,
        action: "auth.logout",
        target: typeof token.name === "string" ? auditTargets.user(token.name) : null,
        result: "ok",
      });
    },
  },
};
