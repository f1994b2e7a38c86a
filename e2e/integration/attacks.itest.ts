// What an attacker on the LAN can try against the real server over HTTPS, each closed by the
// hardening issue: bodies that exhaust memory, sign-in limits bypassed by encoding, audit floods,
// redirects off the site, framing, plain-HTTP, sessions that outlive a password change or sign-out.
// The server trusts 127.0.0.1 as a reverse proxy, so each scenario can play a client of its own
// address (X-Forwarded-For) and the sign-in limits of one do not spill into the next.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { X509Certificate } from "node:crypto";
import Database from "better-sqlite3";
import { startDashboard, type DashboardServer } from "../support/dashboard-server";
import { HttpClient } from "../support/http-client";
import { waitFor } from "../fixtures/wait";

let server: DashboardServer;
let admin: HttpClient;
const PASSWORD = "a-long-enough-password-1";

before(async () => {
  server = await startDashboard({ KVMM_TRUSTED_PROXIES: "127.0.0.1" });
  admin = new HttpClient(server, { forwardedFor: "10.0.0.1" });
  assert.equal((await admin.signIn("admin", server.adminPassword)).status, 200);
  for (const username of ["locked", "pat", "nora"]) {
    const res = await admin.trpc("mutation", "users.create", { username, role: "operator", password: PASSWORD });
    assert.equal(res.status, 200, await res.text());
  }
});
after(async () => {
  await server?.stop();
});

function auditRows(where: string, ...params: unknown[]) {
  const db = new Database(`${server.dataDir}/kvm-manager.sqlite`, { readonly: true });
  try {
    return db.prepare(`SELECT * FROM audit_log WHERE ${where} ORDER BY id`).all(...params) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

function rssKiB(): number {
  const status = fs.readFileSync(`/proc/${server.serverPid()}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over node:https, for what fetch() will not send: a false Content-Length, a chosen source address. */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port: server.port,
        path,
        method: options.method ?? "GET",
        ca: server.certificate()!,
        headers: options.headers,
        localAddress: options.localAddress,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    // A declared length the body never reaches: the answer must come from the headers alone.
    if (options.headers?.["content-length"] && Number(options.headers["content-length"]) > (options.body?.length ?? 0)) return;
    req.end();
  });
}

/**
 * POSTs up to `bytes` of zeros chunked, as fast as the server takes them, and stops when the
 * server answers or drops the connection: what a flooding client sees, and how much it got to send.
 */
function flood(path: string, bytes: number, headers: Record<string, string>): Promise<{ status: number | null; sentMiB: number }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(1024 * 1024);
    let sent = 0;
    let status: number | null = null;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      req.destroy();
      resolve({ status, sentMiB: sent / (1024 * 1024) });
    };
    const req = https.request({
      host: "127.0.0.1",
      port: server.port,
      path,
      method: "POST",
      ca: server.certificate()!,
      headers: { ...headers, "transfer-encoding": "chunked" },
    });
    req.on("response", (res) => {
      status = res.statusCode ?? null;
      res.resume();
      res.on("end", finish);
    });
    req.on("error", finish);
    req.on("close", finish);
    const pump = () => {
      while (!done && sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!done) req.end();
    };
    pump();
  });
}

test("memory exhaustion: 256 MiB bodies sent before sign-in are refused and the server's memory stays flat", async () => {
  const before = rssKiB();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB())), 20);
  try {
    const streamed = await flood("/api/trpc/vms.power", 256 * 1024 * 1024, { "content-type": "application/json", "x-forwarded-for": "10.0.1.1" });
    assert.equal(streamed.status, 401, `the server answered ${streamed.status} after ${streamed.sentMiB} MiB`);
    const declared = await raw("/api/trpc/vms.power", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(400 * 1024 * 1024), "x-forwarded-for": "10.0.1.1" },
      body: "{}",
    });
    assert.equal(declared.status, 413, "a declared 400 MB body was not refused by its length");
    const signIn = await flood("/api/auth/callback/credentials", 64 * 1024 * 1024, {
      "content-type": "application/x-www-form-urlencoded",
      "x-forwarded-for": "10.0.1.1",
    });
    assert.equal(signIn.status, 413, `a 64 MiB sign-in form was answered ${signIn.status}`);
  } finally {
    clearInterval(sampler);
  }
  const grewMiB = (peak - before) / 1024;
  console.log(`server RSS before ${Math.round(before / 1024)} MiB, peak ${Math.round(peak / 1024)} MiB while 256 MiB was sent`);
  assert.ok(grewMiB < 64, `the server grew by ${grewMiB.toFixed(0)} MiB while refusing the bodies`);
});

test("memory exhaustion: a signed-in caller's body is capped at 2 MiB and a tRPC batch at 20 calls", async () => {
  const big = await flood("/api/trpc/users.create", 64 * 1024 * 1024, {
    "content-type": "application/json",
    "x-forwarded-for": "10.0.0.1",
    cookie: admin.cookieHeader(),
  });
  assert.equal(big.status, 413, `a signed-in 64 MiB body was answered ${big.status}`);
  const paths = Array.from({ length: 21 }, () => "auth.me").join(",");
  const batch = await admin.fetch(`/api/trpc/${paths}?batch=1&input={}`);
  assert.equal(batch.status, 400);
  assert.match(await batch.text(), /Batch call exceeds maximum size/);
  const fine = await admin.fetch(`/api/trpc/${Array.from({ length: 20 }, () => "auth.me").join(",")}?batch=1&input={}`);
  assert.equal(fine.status, 200);
});

test("sign-in limit bypass: 60 parallel guesses, a JSON body and a duplicated field are all held to 5 attempts", async () => {
  const guesser = (i: number) => new HttpClient(server, { forwardedFor: "10.0.2.1" }).signIn("locked", `wrong-${i}`);
  const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => guesser(i)));
  assert.ok(
    answers.every((r) => r.status !== 200),
    "a wrong guess signed in",
  );
  // Those the server could not check at once were told it is busy (503) or limited (429), never checked later.
  assert.ok(
    answers.every((r) => [401, 429, 503].includes(r.status)),
    answers.map((r) => r.status).join(","),
  );
  let last = 0;
  for (let i = 0; i < 10 && last !== 429; i++) last = (await guesser(100 + i)).status;
  assert.equal(last, 429, "guessing on never reached the limit");
  const checked = auditRows("action = 'auth.login' AND target = ? AND error = 'wrong password'", 'user "locked"');
  assert.equal(checked.length, 5, `${checked.length} guesses had their password checked`);

  // The right password, from another address, as JSON: the account itself is locked.
  const other = new HttpClient(server, { forwardedFor: "10.0.2.2" });
  const csrfToken = await other.csrfToken();
  const json = await other.fetch("/api/auth/callback/credentials", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ csrfToken, username: "locked", password: PASSWORD, json: "true" }),
  });
  assert.equal(json.status, 429, "a JSON body signed into a locked account");
  assert.ok(!json.headers.getSetCookie().some((c) => c.includes("session-token")));

  // A locked name first and a free one second: one reader once took the first, the other the last.
  const third = new HttpClient(server, { forwardedFor: "10.0.2.3" });
  const token = await third.csrfToken();
  const twice = await third.fetch("/api/auth/callback/credentials", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `csrfToken=${token}&username=locked&username=pat&password=${PASSWORD}&json=true`,
  });
  assert.equal(twice.status, 400);
  assert.equal((await third.trpc("query", "auth.me")).status, 401);
});

test("the sign-in limit counts the address a trusted proxy forwards, and ignores it from anyone else", async () => {
  const from = { localAddress: "127.0.0.2" };
  const csrf = await raw("/api/auth/csrf", from);
  const cookie = (csrf.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };
  const res = await raw("/api/auth/callback/credentials", {
    ...from,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, "x-forwarded-for": "10.0.3.3" },
    body: new URLSearchParams({ csrfToken, username: "nobody-here", password: "guess", json: "true" }).toString(),
  });
  assert.equal(res.status, 401);
  const row = auditRows("action = 'auth.login' AND target = 'unknown user'").at(-1);
  assert.equal(row?.client_ip, "127.0.0.2", "a forwarded address from an untrusted peer was believed");
  assert.equal(row?.username, null, "an anonymous attempt was attributed to a user");
});

test("open redirect after sign-in: a callback URL that leaves the site is replaced by /", async () => {
  const client = new HttpClient(server, { forwardedFor: "10.0.4.1" });
  const csrfToken = await client.csrfToken();
  for (const callbackUrl of ["/\\evil.example", "//evil.example", "https://evil.example/x"]) {
    const res = await client.fetch("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, username: "nora", password: PASSWORD, callbackUrl, json: "true" }),
    });
    assert.equal(res.status, 200);
    const { url } = (await res.json()) as { url: string };
    assert.equal(new URL(url).origin, new URL(server.url).origin, `${callbackUrl} → ${url}`);
  }
});

test("every response carries anti-framing, nosniff and referrer headers", async () => {
  const login = await new HttpClient(server).fetch("/login");
  const asset = /\/_next\/static\/[^"]+\.js/.exec(await login.text())?.[0];
  assert.ok(asset, "the login page links no script");
  const responses = [
    login,
    await new HttpClient(server).fetch(asset),
    await new HttpClient(server).fetch("/api/trpc/auth.me"),
    await new HttpClient(server).fetch("/no-such-page"),
    await new HttpClient(server).fetch("/api/events"),
  ];
  for (const res of responses) {
    assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/, res.url);
    assert.equal(res.headers.get("x-frame-options"), "DENY", res.url);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", res.url);
    assert.equal(res.headers.get("referrer-policy"), "same-origin", res.url);
  }
});

test("HTTPS by default: the certificate names this address, its fingerprint is printed, plain HTTP is redirected, cookies are Secure", async () => {
  const pem = server.certificate();
  assert.ok(pem);
  const cert = new X509Certificate(pem);
  assert.match(cert.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
  assert.ok(server.output().includes(cert.fingerprint256), "the fingerprint was not printed");
  const key = fs.statSync(`${server.dataDir}/tls/key.pem`);
  assert.equal(key.mode & 0o777, 0o600);

  // The server's certificate verifies against itself for this address (what a browser that trusts it does).
  const peer = await new Promise<X509Certificate>((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: server.port, ca: pem, servername: undefined }, () => {
      resolve(socket.getPeerX509Certificate()!);
      socket.end();
    });
    socket.on("error", reject);
  });
  assert.equal(peer.fingerprint256, cert.fingerprint256);

  const redirect = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get({ host: "127.0.0.1", port: server.port, path: "/vms?x=1", headers: { host: `127.0.0.1:${server.port}` } }, resolve).on("error", reject),
  );
  assert.equal(redirect.statusCode, 308);
  assert.equal(redirect.headers.location, `https://127.0.0.1:${server.port}/vms?x=1`);
  redirect.resume();

  const client = new HttpClient(server, { forwardedFor: "10.0.5.1" });
  const res = await client.signIn("pat", PASSWORD);
  const session = res.headers.getSetCookie().find((c) => c.includes("session-token"));
  assert.ok(session, "no session cookie");
  assert.match(session, /;\s*Secure/i);
  assert.match(session, /;\s*HttpOnly/i);
});

test("sessions end on the server: a password change ends the other sessions, and a cookie kept from before sign-out is dead", async () => {
  const laptop = new HttpClient(server, { forwardedFor: "10.0.6.1" });
  const phone = new HttpClient(server, { forwardedFor: "10.0.6.2" });
  assert.equal((await laptop.signIn("pat", PASSWORD)).status, 200);
  assert.equal((await phone.signIn("pat", PASSWORD)).status, 200);
  const changed = await laptop.trpc("mutation", "auth.changePassword", { currentPassword: PASSWORD, newPassword: "another-long-password-2" });
  assert.equal(changed.status, 200, await changed.text());
  assert.equal((await phone.trpc("query", "auth.me")).status, 401, "the phone's session outlived the password change");
  assert.equal((await laptop.trpc("query", "auth.me")).status, 200, "the session that changed the password ended");

  const captured = laptop.clone();
  assert.equal((await laptop.signOut()).status, 200);
  assert.equal((await captured.trpc("query", "auth.me")).status, 401, "a cookie captured before sign-out still works");

  // Sign out everywhere, from Settings: every session of the user ends, this one included.
  const a = new HttpClient(server, { forwardedFor: "10.0.6.3" });
  const b = new HttpClient(server, { forwardedFor: "10.0.6.4" });
  await a.signIn("pat", "another-long-password-2");
  await b.signIn("pat", "another-long-password-2");
  const ended = await a.trpc("mutation", "auth.signOutEverywhere");
  assert.equal(ended.status, 200);
  assert.equal((await a.trpc("query", "auth.me")).status, 401);
  assert.equal((await b.trpc("query", "auth.me")).status, 401);
});

test("an open event stream ends as soon as an admin changes the user's grants", async () => {
  const nora = new HttpClient(server, { forwardedFor: "10.0.7.1" });
  assert.equal((await nora.signIn("nora", PASSWORD)).status, 200);
  const stream = await nora.fetch("/api/events");
  assert.equal(stream.status, 200);
  const reader = stream.body!.getReader();
  let received = "";
  let ended = false;
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return void (ended = true);
      received += Buffer.from(value!).toString();
    }
  })();
  await waitFor(() => received.includes(": connected"), { timeoutMs: 10_000, what: "the stream to open" });
  const users = (await (await admin.trpc("query", "users.list")).json()) as { result: { data: { id: number; username: string }[] } };
  const noraId = users.result.data.find((u) => u.username === "nora")!.id;
  const narrowed = await admin.trpc("mutation", "users.update", { userId: noraId, grants: [{ kind: "name", value: "kvmm-test-nothing-*" }] });
  assert.equal(narrowed.status, 200, await narrowed.text());
  await waitFor(() => ended, { timeoutMs: 10_000, what: "nora's event stream to end after her grants changed" });
  await pump;
});

test("audit flooding: signed-out calls leave one row per address and minute, with a count and without their input", async () => {
  const anon = new HttpClient(server, { forwardedFor: "10.0.8.1" });
  const paths = Array.from({ length: 20 }, () => "vms.delete").join(",");
  const input = Object.fromEntries(
    Array.from({ length: 20 }, (_, i) => [i, { hostId: "local", uuid: "00000000-0000-0000-0000-000000000000", secret: "flood-marker" }]),
  );
  const before = auditRows("1").length;
  for (let i = 0; i < 5; i++) {
    const res = await anon.fetch(`/api/trpc/${paths}?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(input),
    });
    assert.equal(res.status, 401);
  }
  assert.equal(auditRows("1").length, before, "signed-out refusals were written one by one");
  await server.shutdown(); // Ctrl-C: what is summed so far is written before the process exits
  const rows = auditRows("client_ip = '10.0.8.1'");
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.count, 100);
  assert.equal(rows[0]!.input, null);
  assert.ok(!JSON.stringify(auditRows("1")).includes("flood-marker"));
});
