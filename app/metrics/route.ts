import { currentUser } from "@/server/auth/session";
import { db } from "@/server/db/client";
import { listHosts } from "@/server/hosts/service";
import { getConnection } from "@/server/libvirt/registry";
import { uuidFromString } from "@/server/libvirt";
import { tagsOf } from "@/server/domains/tags";
import { EXPOSITION_CONTENT_TYPE, renderExposition, type ExposedTick } from "@/server/metrics/exposition";
import { latestTicks } from "@/server/metrics/service";
import { ticksVisibleTo } from "@/server/metrics/scope";
import { bearerToken, verifyMetricsToken } from "@/server/metrics/tokens";
import type { VmSample } from "@/server/metrics/sample";

export const dynamic = "force-dynamic";

function unauthorized(challenge: string, message: string): Response {
  return new Response(`${message}\n`, {
    status: 401,
    headers: { "www-authenticate": challenge, "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/**
 * Prometheus's scrape target: the newest figures of every host and VM in the text exposition
 * format. A scraper presents a token an admin made (Settings → Prometheus) as
 * `Authorization: Bearer <token>` and reads everything; a signed-in browser reads the VMs its
 * user's grants match. A presented token that is wrong or revoked is refused even when a session
 * cookie comes with it: the caller asked to be judged by the token.
 */
export async function GET(req: Request) {
  const authorization = req.headers.get("authorization");
  let ticks: ExposedTick[];
  if (authorization !== null) {
    const token = bearerToken(authorization);
    if (!token || !verifyMetricsToken(db(), token)) {
      return unauthorized('Bearer realm="kvmm", error="invalid_token"', "The token is unknown or revoked: ask an admin for a token (Settings → Prometheus).");
    }
    ticks = latestTicks();
  } else {
    const user = await currentUser();
    if (!user) return unauthorized('Bearer realm="kvmm"', "Sign in, or send a token an admin made as Authorization: Bearer <token>.");
    const hosts = listHosts(db());
    const vmTags = async (vm: VmSample) => {
      const host = hosts.find((h) => h.id === vm.hostId);
      if (!host) return [];
      return tagsOf(vm.hostId, getConnection(host.id, host.uri), { name: vm.name, uuid: uuidFromString(vm.uuid), id: -1 }, vm.uuid);
    };
    ticks = await ticksVisibleTo(user, latestTicks(), vmTags);
  }
  return new Response(renderExposition(ticks), { headers: { "content-type": EXPOSITION_CONTENT_TYPE, "cache-control": "no-store" } });
}
