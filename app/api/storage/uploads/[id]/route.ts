import { isCrossOrigin } from "@/server/api/same-origin";
import { currentUser } from "@/server/auth/session";
import { roleHas } from "@/server/auth/permissions";
import { clientIpFromHeaders } from "@/server/auth/client-ip";
import { declaredLength } from "@/server/http/body-limit";
import { db } from "@/server/db/client";
import { writeAudit } from "@/server/audit/log";
import { ServiceError, type ServiceErrorKind } from "@/server/errors";
import { assertCoversHost } from "@/server/hosts/scope";
import { resolveHost } from "@/server/hosts/connection";
import { committedBytes, receiveUpload, uploadTarget } from "@/server/storage/transfers";

export const dynamic = "force-dynamic";

const STATUS: Record<ServiceErrorKind, number> = { not_found: 404, conflict: 409, forbidden: 403, invalid: 400, unavailable: 503 };
const ACTION = "storage.uploadVolume";

/**
 * The bytes of an upload started with `storage.startUpload`: PUT /api/storage/uploads/<id>?offset=N
 * with a Content-Length, the body streamed into the volume at N (server/storage/transfers.ts says
 * why this is a route of its own and how resuming works). The session is checked before a byte of
 * the body is read; the upload must be the caller's own, and the caller must still be allowed to
 * manage the host's storage. One audit row per PUT. A 409 carries `committedBytes`, where to go on.
 */
export async function PUT(req: Request, { params }: { params: Promise<{ id: string }> }) {
  if (isCrossOrigin(req)) return Response.json({ error: "cross-origin request refused" }, { status: 403 });
  const user = await currentUser();
  if (!user) return Response.json({ error: "Sign in first." }, { status: 401 });
  const { id } = await params;
  const where = uploadTarget(user, id);
  if (!where) return Response.json({ error: "No such upload of yours: start it again from the pool's page." }, { status: 404 });
  const offset = Number(new URL(req.url).searchParams.get("offset") ?? NaN);
  const length = declaredLength(req.headers);
  const audit = (result: "ok" | "error" | "denied" | "invalid", error?: string) =>
    writeAudit(db(), {
      userId: user.id,
      username: user.username,
      action: ACTION,
      target: where.target,
      input: { offset, length },
      result,
      error,
      clientIp: clientIpFromHeaders(req.headers),
    });
  if (!roleHas(user.role, "storage.manage")) {
    audit("denied", `role ${user.role} lacks storage.manage`);
    return Response.json({ error: `Your role (${user.role}) may not do this: it needs storage.manage.` }, { status: 403 });
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || length === null || !req.body) {
    audit("invalid", "offset or Content-Length missing");
    return Response.json({ error: "Send the bytes with ?offset=N and a Content-Length." }, { status: 411 });
  }
  try {
    assertCoversHost(user, where.hostId);
    const transfer = await receiveUpload(resolveHost(db(), where.hostId), user, id, {
      offset,
      length,
      body: req.body as unknown as AsyncIterable<Uint8Array>,
    });
    audit(transfer.state === "failed" ? "error" : "ok", transfer.error ?? undefined);
    return Response.json(transfer);
  } catch (err) {
    if (!(err instanceof ServiceError)) {
      audit("error", (err as Error).message);
      console.error(`${ACTION} ${where.target} failed:`, err);
      return Response.json({ error: `${where.target}: the upload failed: ${(err as Error).message}` }, { status: 500 });
    }
    audit(err.kind === "invalid" ? "invalid" : err.kind === "forbidden" ? "denied" : "error", err.message);
    const committed = err.kind === "conflict" ? await committedBytes(user, id).catch(() => null) : null;
    return Response.json({ error: err.message, committedBytes: committed }, { status: STATUS[err.kind] });
  }
}
