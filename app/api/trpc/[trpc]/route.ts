import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { contextFor } from "@/server/api/context";
import { isCrossOrigin } from "@/server/api/same-origin";
import { MAX_BATCH_SIZE } from "@/server/api/limits";
import { currentUser } from "@/server/auth/session";
import { BODY_LIMIT_SIGNED_IN, payloadTooLarge, readBodyWithin } from "@/server/http/body-limit";

export const dynamic = "force-dynamic";

/**
 * The session is resolved before the body is touched: a signed-out caller's body is never read
 * (every procedure refuses it anyway), a signed-in caller's is read up to BODY_LIMIT_SIGNED_IN.
 */
async function handler(req: Request) {
  if (req.method !== "GET" && isCrossOrigin(req)) {
    return Response.json({ error: "cross-origin request refused" }, { status: 403 });
  }
  const user = await currentUser();
  let request = req;
  if (req.method === "POST") {
    const body = user ? await readBodyWithin(req, BODY_LIMIT_SIGNED_IN) : null;
    if (user && !body) return payloadTooLarge(BODY_LIMIT_SIGNED_IN);
    request = new Request(req.url, { method: "POST", headers: req.headers, body });
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: () => contextFor(req.headers, user),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
    },
  });
}

export { handler as GET, handler as POST };
