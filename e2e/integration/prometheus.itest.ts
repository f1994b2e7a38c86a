// `/metrics` over HTTPS against the real server, as Prometheus (or curl) calls it: refused without
// credentials, with a made-up token and with a revoked one; answered in the text exposition format
// with a token an admin made through the API, and with a signed-in session.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDashboard, type DashboardServer } from "../support/dashboard-server";
import { HttpClient } from "../support/http-client";
import { parseExposition } from "@/server/testing/prometheus-text";
import { METRICS } from "@/server/metrics/sample";
import { waitFor } from "../fixtures/wait";

let server: DashboardServer;
let admin: HttpClient;

before(async () => {
  server = await startDashboard();
  admin = new HttpClient(server);
  assert.equal((await admin.signIn("admin", server.adminPassword)).status, 200);
});
after(async () => {
  await server?.stop();
});

/** A mutation is a POST of its input in tRPC's HTTP protocol, a query without input a plain GET. */
async function trpc<T>(path: string, input?: unknown): Promise<T> {
  const res =
    input === undefined
      ? await admin.fetch(`/api/trpc/${path}`)
      : await admin.fetch(`/api/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  assert.equal(res.status, 200, `${path}: ${body.error?.message}`);
  return body.result!.data;
}

const scrape = (token?: string) => server.fetch("/metrics", token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

function assertRefused(res: Response) {
  assert.equal(res.status, 401);
  assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer /);
}

/** The answer is a 0.0.4 exposition the strict parser accepts, with every family the manager exports. */
async function assertExposition(res: Response) {
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const families = parseExposition(await res.text());
  for (const name of ["kvmm_host_up", ...Object.values(METRICS).map((m) => m.prometheus)]) {
    assert.equal(families.get(name)?.type, "gauge", `${name} missing or not a gauge`);
  }
}

test("without credentials, or with a made-up or malformed token, /metrics answers 401 with a Bearer challenge", async () => {
  assertRefused(await scrape());
  assertRefused(await scrape("kvmm_metrics_" + "A".repeat(43)));
  assertRefused(await server.fetch("/metrics", { headers: { authorization: "Basic YWRtaW46eA==" } }));
});

test("a token an admin made opens /metrics until it is revoked", async () => {
  const { id, token } = await trpc<{ id: number; token: string }>("metricsTokens.create", { name: "itest-prometheus" });
  await assertExposition(await scrape(token));
  const listed = await trpc<{ id: number; lastUsedAt: string | null }[]>("metricsTokens.list");
  assert.ok(listed.find((t) => t.id === id)?.lastUsedAt, "last used is not recorded");
  await trpc("metricsTokens.revoke", { id });
  assertRefused(await scrape(token));
});

test("the collector's ticks reach /metrics: the local host is up, with its memory total", async () => {
  const { token } = await trpc<{ id: number; token: string }>("metricsTokens.create", { name: "itest-prometheus-samples" });
  // The collector's first tick comes within one interval of the server's start.
  const samples = await waitFor(
    async () => {
      const families = parseExposition(await (await scrape(token)).text());
      const up = families.get("kvmm_host_up")?.samples.find((s) => s.labels.host === "local");
      return up ? families : null;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: "a kvmm_host_up sample for host local" },
  );
  assert.equal(samples.get("kvmm_host_up")?.samples.find((s) => s.labels.host === "local")?.value, 1);
  const total = samples.get(METRICS["host.memory.total"].prometheus)?.samples.find((s) => s.labels.host === "local")?.value ?? 0;
  assert.ok(total > 64 * 1024 ** 2, `host memory total ${total} bytes`);
});

test("a signed-in session reads /metrics without a token, and a wrong token is refused even with a session", async () => {
  await assertExposition(await admin.fetch("/metrics"));
  assertRefused(await admin.fetch("/metrics", { headers: { authorization: "Bearer kvmm_metrics_wrong" } }));
});
