import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDashboard, type DashboardServer } from "../support/dashboard-server";

/** A minimal cookie jar: enough for next-auth's CSRF and session cookies. */
class Client {
  private cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  async fetch(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(`${this.base}${path}`, { ...init, headers, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return res;
  }

  async signIn(username: string, password: string) {
    const { csrfToken } = (await (await this.fetch("/api/auth/csrf")).json()) as { csrfToken: string };
    return this.fetch("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, username, password, json: "true" }),
    });
  }
}

let server: DashboardServer;
before(async () => {
  server = await startDashboard();
});
after(async () => {
  await server?.stop();
});

test("malformed tRPC input is answered 400 with the zod message", async () => {
  const client = new Client(server.url);
  const res = await client.signIn("admin", server.adminPassword);
  assert.equal(res.status, 200);
  const bad = await client.fetch("/api/trpc/users.create", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "x<y", role: "superuser" }),
  });
  assert.equal(bad.status, 400);
  const body = (await bad.json()) as { error: { message: string; data: { code: string } } };
  assert.equal(body.error.data.code, "BAD_REQUEST");
  assert.match(body.error.message, /username/);
  assert.match(body.error.message, /role/);
});

test("a signed-out caller gets 401 and a cross-site POST is refused", async () => {
  const anon = new Client(server.url);
  const res = await anon.fetch("/api/trpc/auth.me");
  assert.equal(res.status, 401);
  const foreign = await anon.fetch("/api/trpc/auth.changePassword", {
    method: "POST",
    headers: { "content-type": "application/json", origin: "http://evil.example" },
    body: "{}",
  });
  assert.equal(foreign.status, 403);
});

test("after 5 failed sign-ins the 6th attempt is answered 429 with Retry-After, even with the right password", async () => {
  const client = new Client(server.url);
  for (let i = 0; i < 5; i++) {
    const res = await client.signIn("admin", `wrong-${i}`);
    assert.notEqual(res.status, 429, `attempt ${i + 1} was limited too early`);
    const { url } = (await res.json()) as { url: string };
    assert.match(url, /error=CredentialsSignin/);
  }
  const limited = await client.signIn("admin", server.adminPassword);
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get("retry-after")) > 0);
  const { message } = (await limited.json()) as { message: string };
  assert.match(message, /Too many failed sign-in attempts/);
});
