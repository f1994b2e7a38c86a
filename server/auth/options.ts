import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { db } from "../db/client";
import { writeAudit } from "../audit/log";
import { findUserByName, recordLogin } from "../users/service";
import { decoyPasswordHash, verifyPassword } from "./password";
import { clearLoginFailures, recordLoginFailure } from "./login-rate-limit";
import { clientIpFromHeaders } from "./client-ip";

const credentialsSchema = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(1024),
});

/** The one message a failed sign-in gets, whatever the reason: it must not tell which part was wrong. */
export const GENERIC_LOGIN_ERROR = "Invalid username or password";

async function authorize(raw: unknown, headers: Record<string, string | string[] | undefined>) {
  const parsed = credentialsSchema.safeParse(raw);
  if (!parsed.success) return null;
  const { username, password } = parsed.data;
  const clientIp = clientIpFromHeaders(headers);
  const database = db();
  const user = findUserByName(database, username);
  const passwordOk = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()));
  if (!user || !passwordOk || user.disabled) {
    recordLoginFailure(database, username, clientIp);
    writeAudit(database, {
      userId: user?.id ?? null,
      username,
      action: "auth.login",
      target: `user "${username}"`,
      result: "denied",
      error: !user ? "unknown user" : user.disabled ? "account disabled" : "wrong password",
      clientIp,
    });
    return null;
  }
  clearLoginFailures(database, username, clientIp);
  recordLogin(database, user.id);
  writeAudit(database, {
    userId: user.id,
    username,
    action: "auth.login",
    target: `user "${username}"`,
    result: "ok",
    clientIp,
  });
  return { id: String(user.id), name: user.username, sessionVersion: user.sessionVersion };
}

export const authOptions: NextAuthOptions = {
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/login", error: "/login" },
  providers: [
    CredentialsProvider({
      name: "Password",
      credentials: {
        username: { label: "Username", type: "text" },
        password: { label: "Password", type: "password" },
      },
      authorize: (credentials, req) => authorize(credentials, req.headers ?? {}),
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user) token.sv = (user as { sessionVersion?: number }).sessionVersion ?? 0;
      return token;
    },
    session({ session, token }) {
      return { ...session, userId: Number(token.sub), sessionVersion: Number(token.sv ?? 0) };
    },
  },
};
