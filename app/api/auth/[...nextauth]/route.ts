import NextAuth from "next-auth";
import { NextRequest } from "next/server";
import { authOptions } from "@/server/auth/options";
import { signInWithPassword } from "@/server/auth/sign-in";
import { clientIpFromHeaders } from "@/server/auth/client-ip";
import { db } from "@/server/db/client";
import { BODY_LIMIT_SIGNED_OUT, payloadTooLarge, readBodyWithin } from "@/server/http/body-limit";

export const dynamic = "force-dynamic";

const nextAuth = NextAuth(authOptions);

type RouteContext = { params: Promise<{ nextauth: string[] }> };

/** Other POSTs (sign-out) are small forms too: read within the signed-out limit before next-auth parses them. */
async function bounded(req: Request): Promise<Request | Response> {
  const body = await readBodyWithin(req, BODY_LIMIT_SIGNED_OUT);
  return body ? new NextRequest(req.url, { method: req.method, headers: req.headers, body }) : payloadTooLarge(BODY_LIMIT_SIGNED_OUT);
}

async function handler(req: Request, context: RouteContext) {
  if (req.method !== "POST") return nextAuth(req, context);
  if (new URL(req.url).pathname.endsWith("/callback/credentials")) {
    return signInWithPassword({
      req,
      db: db(),
      clientIp: clientIpFromHeaders(req.headers),
      secret: process.env.NEXTAUTH_SECRET ?? "",
      // next-auth reads `nextUrl`, which only a NextRequest has.
      issue: (canonical) => nextAuth(new NextRequest(canonical), context),
    });
  }
  const small = await bounded(req);
  return small instanceof Response ? small : nextAuth(small, context);
}

export { handler as GET, handler as POST };
