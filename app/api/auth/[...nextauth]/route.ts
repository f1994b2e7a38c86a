import NextAuth from "next-auth";
import { authOptions } from "@/server/auth/options";
import { checkLoginAllowed, describeRetry } from "@/server/auth/login-rate-limit";
import { clientIpFromHeaders } from "@/server/auth/client-ip";
import { db } from "@/server/db/client";
import { writeAudit } from "@/server/audit/log";

export const dynamic = "force-dynamic";

const nextAuth = NextAuth(authOptions);

type RouteContext = { params: Promise<{ nextauth: string[] }> };

/** Sign-in attempts over the limit are answered 429 before a password is even checked. */
async function rateLimited(req: Request): Promise<Response | null> {
  if (!new URL(req.url).pathname.endsWith("/callback/credentials")) return null;
  const form = await req.clone().formData().catch(() => null);
  const username = String(form?.get("username") ?? "").trim().slice(0, 64);
  const clientIp = clientIpFromHeaders(req.headers);
  const gate = checkLoginAllowed(db(), username, clientIp);
  if (gate.allowed) return null;
  const message = describeRetry(gate.retryAfterS);
  writeAudit(db(), { userId: null, username, action: "auth.login", target: `user "${username}"`, result: "denied", error: "rate limited", clientIp });
  // next-auth's client hands the page only the `error` parameter, so the wait travels inside it.
  const url = new URL(`/login?error=RateLimited:${gate.retryAfterS}`, req.url).toString();
  return Response.json({ url, message }, { status: 429, headers: { "Retry-After": String(gate.retryAfterS) } });
}

async function handler(req: Request, context: RouteContext) {
  if (req.method === "POST") {
    const limited = await rateLimited(req);
    if (limited) return limited;
  }
  return nextAuth(req, context);
}

export { handler as GET, handler as POST };
