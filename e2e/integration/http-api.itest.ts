import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { WINDOW_MS } from "@/server/auth/login-rate-limit";
import { startDashboard, type DashboardServer } from "../support/dashboard-server";
import { HttpClient } from "../support/http-client";
import { virsh } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

let server: DashboardServer;
before(async () => {
  server = await startDashboard();
});
after(async () => {
  await server?.stop();
});

test("malformed tRPC input is answered 400 naming each bad field in words, with the issues for the form", async () => {
  const client = new HttpClient(server);
  const res = await client.signIn("admin", server.adminPassword);
  assert.equal(res.status, 200);
  const bad = await client.fetch("/api/trpc/users.create", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "x<y", role: "superuser" }),
  });
  assert.equal(bad.status, 400);
  const body = (await bad.json()) as { error: { message: string; data: { code: string; zodIssues: { path: string[] }[] } } };
  assert.equal(body.error.data.code, "BAD_REQUEST");
  assert.match(body.error.message, /^Username must be .*\. Role: choose one of the offered values\.$/);
  assert.deepEqual(
    body.error.data.zodIssues.map((i) => i.path.join(".")),
    ["username", "role"],
  );
});

test("a signed-out caller gets 401 and a cross-site POST is refused", async () => {
  const anon = new HttpClient(server);
  const res = await anon.fetch("/api/trpc/auth.me");
  assert.equal(res.status, 401);
  const foreign = await anon.fetch("/api/trpc/auth.changePassword", {
    method: "POST",
    headers: { "content-type": "application/json", origin: "http://evil.example" },
    body: "{}",
  });
  assert.equal(foreign.status, 403);
});

test("the event stream delivers libvirt lifecycle events of VMs and networks to a signed-in browser", async () => {
  const client = new HttpClient(server);
  assert.equal((await client.signIn("admin", server.adminPassword)).status, 200);
  const abort = new AbortController();
  const res = await client.fetch("/api/events", { signal: abort.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  let received = "";
  const reader = res.body!.getReader();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      received += Buffer.from(value!).toString();
    }
  })();
  await waitFor(() => received.includes(": connected"), { timeoutMs: 10_000, what: "the stream to open" });
  const name = `kvmm-test-sse-${process.pid}`;
  const xmlFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-sse-")), "d.xml");
  const netFile = path.join(path.dirname(xmlFile), "n.xml");
  fs.writeFileSync(
    xmlFile,
    `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`,
  );
  try {
    await virsh(["define", xmlFile]);
    await waitFor(() => received.includes(`"name":"${name}","event":"defined"`), {
      timeoutMs: 20_000,
      what: "a domain.lifecycle 'defined' event on the stream",
      describe: () => received,
    });
    await virsh(["undefine", name]);
    await waitFor(() => received.includes(`"name":"${name}","event":"undefined"`), { timeoutMs: 20_000, what: "the 'undefined' event" });
    assert.match(received, /event: domain.lifecycle/);

    // Host-wide resources are live too: a network defined outside the manager reaches the admin's stream.
    fs.writeFileSync(netFile, `<network><name>${name}</name><bridge name="kvmmsse${process.pid % 10000}"/></network>`);
    await virsh(["net-define", netFile]);
    await waitFor(() => received.includes(`event: network.lifecycle\ndata: {"type":"network.lifecycle","hostId":"local","name":"${name}"`), {
      timeoutMs: 20_000,
      what: "a network.lifecycle event on the stream",
      describe: () => received,
    });
    await virsh(["net-undefine", name]);
  } finally {
    await virsh(["net-undefine", name]).catch(() => undefined);
    await virsh(["undefine", name]).catch(() => undefined);
    abort.abort();
    await pump;
  }
});

test("the event stream refuses a signed-out caller", async () => {
  const res = await new HttpClient(server).fetch("/api/events");
  assert.equal(res.status, 401);
});

test("after 5 failed sign-ins the 6th attempt is answered 429 with Retry-After, even with the right password", async () => {
  const client = new HttpClient(server);
  for (let i = 0; i < 5; i++) {
    const res = await client.signIn("admin", `wrong-${i}`);
    assert.notEqual(res.status, 429, `attempt ${i + 1} was limited too early`);
    const { url } = (await res.json()) as { url: string };
    assert.match(url, /error=CredentialsSignin/);
  }
  const limited = await client.signIn("admin", server.adminPassword);
  assert.equal(limited.status, 429);
  // The block lifts when the first of the five failures leaves the window: within it, and the message says when.
  const retryAfter = Number(limited.headers.get("retry-after"));
  assert.ok(retryAfter >= 1 && retryAfter <= WINDOW_MS / 1000, `Retry-After: ${retryAfter}`);
  const { message } = (await limited.json()) as { message: string };
  const minutes = Math.ceil(retryAfter / 60);
  assert.equal(message, `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
});
