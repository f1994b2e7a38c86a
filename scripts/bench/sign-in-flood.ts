// How a sign-in flood affects everybody else: the latency of a signed-in user's request while 60
// clients (60 addresses, through a trusted proxy, so the rate limit lets each one try) sign in at
// once. At a99112e (bcryptjs on the event loop) such a request took 10.2 s instead of 8 ms.
import { performance } from "node:perf_hooks";
import { startDashboard } from "../../e2e/support/dashboard-server";
import { HttpClient } from "../../e2e/support/http-client";

export interface SignInFloodResult {
  idle: { median: number; max: number };
  during: { median: number; max: number; samples: number };
  floodMs: number;
  answers: Record<string, number>;
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
}

export async function benchSignInFlood(clients = 60): Promise<SignInFloodResult> {
  const server = await startDashboard({ KVMM_TRUSTED_PROXIES: "127.0.0.1", UV_THREADPOOL_SIZE: "8" });
  try {
    const admin = new HttpClient(server, { forwardedFor: "10.99.0.1" });
    if ((await admin.signIn("admin", server.adminPassword)).status !== 200) throw new Error("the admin could not sign in");
    const timed = async () => {
      const started = performance.now();
      const res = await admin.trpc("query", "auth.me");
      await res.arrayBuffer();
      return performance.now() - started;
    };
    const idle: number[] = [];
    for (let i = 0; i < 30; i++) idle.push(await timed());

    const started = performance.now();
    let done = false;
    const flood = Promise.all(
      Array.from({ length: clients }, (_, i) => new HttpClient(server, { forwardedFor: `10.98.${i >> 8}.${i & 255}` }).signIn(`flood-${i}`, "guess")),
    ).finally(() => (done = true));
    const during: number[] = [];
    while (!done) during.push(await timed());
    const responses = await flood;
    const floodMs = performance.now() - started;
    const answers: Record<string, number> = {};
    for (const r of responses) answers[r.status] = (answers[r.status] ?? 0) + 1;
    return { idle: summary(idle), during: { ...summary(during), samples: during.length }, floodMs, answers };
  } finally {
    await server.stop();
  }
}
