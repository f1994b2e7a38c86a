// The console WebSocket against the real server over HTTPS and a real TCG test guest with a pty
// serial console, a VGA card and VNC on loopback: who is refused at the upgrade (and that it is
// audited), the serial console both ways, taking it over with "force", the VNC handshake, and an
// open console ending when its user's role changes or its VM stops.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import WebSocket from "ws";
import { startDashboard, type DashboardServer } from "../support/dashboard-server";
import { HttpClient } from "../support/http-client";
import { createTestDomain, READY_MARKER, virsh, type TestDomain } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

const TICKET_TTL_S = 3;
const PASSWORD = "a-long-enough-password-1";

let server: DashboardServer;
let guest: TestDomain;
let admin: HttpClient;
let olga: HttpClient;
let otto: HttpClient;
let vic: HttpClient;
const userIds: Record<string, number> = {};

before(async () => {
  // Both at once (each takes seconds); each is kept as soon as it exists, so `after` removes it whatever fails.
  const starting = startDashboard({ KVMM_CONSOLE_TICKET_TTL_S: String(TICKET_TTL_S) }).then((s) => (server = s));
  await Promise.all([starting, createTestDomain({ label: "console", display: true }).then((g) => (guest = g))]);
  admin = new HttpClient(server);
  assert.equal((await admin.signIn("admin", server.adminPassword)).status, 200);
  const clients: Record<string, HttpClient> = {};
  for (const [username, role] of [
    ["olga", "operator"],
    ["otto", "operator"],
    ["vic", "viewer"],
  ] as const) {
    const res = await admin.trpc("mutation", "users.create", { username, role, password: PASSWORD });
    const body = await res.text();
    assert.equal(res.status, 200, body);
    userIds[username] = (JSON.parse(body) as { result: { data: { id: number } } }).result.data.id;
    clients[username] = new HttpClient(server);
    assert.equal((await clients[username].signIn(username, PASSWORD)).status, 200);
  }
  ({ olga, otto, vic } = clients as Record<"olga" | "otto" | "vic", HttpClient>);
  await guest.waitForReady();
});

after(async () => {
  await Promise.allSettled([server?.stop(), guest?.destroy()]);
});

const vm = () => ({ hostId: "local", uuid: guest.uuid });

async function ticket(client: HttpClient, kind: "serial" | "vnc", force = false): Promise<string> {
  const res = await client.trpc("mutation", "consoles.ticket", { ...vm(), kind, force });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  return (JSON.parse(body) as { result: { data: { ticket: string } } }).result.data.ticket;
}

interface Console {
  ws: WebSocket;
  text: () => string;
  closed: Promise<{ code: number; reason: string }>;
}

type Outcome = { refused: number; body: string } | { console: Console };

/** Opens the console WebSocket as a browser on this site would (Origin, cookie), unless told otherwise. */
function connect(client: HttpClient | null, ticketValue: string | null, { origin = server.url } = {}): Promise<Outcome> {
  const url = `${server.url.replace(/^http/, "ws")}/api/console${ticketValue === null ? "" : `?ticket=${ticketValue}`}`;
  const headers: Record<string, string> = { origin };
  if (client) headers.cookie = client.cookieHeader();
  const ws = new WebSocket(url, { ca: server.certificate() ?? undefined, headers });
  let received = "";
  ws.on("message", (data: Buffer) => (received += data.toString("latin1")));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ console: { ws, text: () => received, closed } }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ refused: res.statusCode ?? 0, body }));
    });
    ws.once("error", (error) => reject(error));
  });
}

function refusedWith(outcome: Outcome, status: number, words: RegExp) {
  assert.ok("refused" in outcome, "the upgrade was accepted");
  assert.equal(outcome.refused, status, outcome.body);
  assert.match(outcome.body, words);
}

function opened(outcome: Outcome): Console {
  assert.ok("console" in outcome, `refused: ${"refused" in outcome ? `${outcome.refused} ${outcome.body}` : ""}`);
  return outcome.console;
}

function auditRows(action: string) {
  const db = new Database(`${server.dataDir}/kvm-manager.sqlite`, { readonly: true });
  try {
    return db.prepare(`SELECT username, action, target, result, error FROM audit_log WHERE action = ? ORDER BY id`).all(action) as Record<string, string>[];
  } finally {
    db.close();
  }
}

test("the console upgrade is refused without a session, a ticket, from another site, and with a used, expired or someone else's ticket", async () => {
  refusedWith(await connect(null, await ticket(olga, "serial")), 401, /Sign in first/);
  refusedWith(await connect(olga, null), 403, /ticket is required/);
  refusedWith(await connect(olga, await ticket(olga, "serial"), { origin: "https://evil.example" }), 403, /this site's own pages/);

  const once = await ticket(olga, "serial");
  const first = opened(await connect(olga, once));
  first.ws.close();
  await first.closed;
  refusedWith(await connect(olga, once), 403, /unknown or already used/);

  const stale = await ticket(olga, "serial");
  const expiresAt = Date.now() + TICKET_TTL_S * 1000;
  await waitFor(() => Date.now() > expiresAt, { timeoutMs: (TICKET_TTL_S + 2) * 1000, what: "the ticket's lifetime to pass", intervalMs: 100 });
  refusedWith(await connect(olga, stale), 403, /expired/);

  refusedWith(await connect(otto, await ticket(olga, "serial")), 403, /issued to another session/);
  // The same user's other session (another browser) may not use it either.
  const olgaElsewhere = new HttpClient(server);
  assert.equal((await olgaElsewhere.signIn("olga", PASSWORD)).status, 200);
  refusedWith(await connect(olgaElsewhere, await ticket(olga, "serial")), 403, /issued to another session/);
});

test("a viewer gets no ticket, and a viewer's session cannot use an operator's ticket", async () => {
  const res = await vic.trpc("mutation", "consoles.ticket", { ...vm(), kind: "serial" });
  assert.equal(res.status, 403);
  assert.match(await res.text(), /may not do this: it needs vm\.console/);
  refusedWith(await connect(vic, await ticket(olga, "vnc")), 403, /issued to another session/);
});

test("the audit log shows each console ticket and each refused upgrade of a signed-in user", async () => {
  const tickets = auditRows("consoles.ticket");
  assert.ok(tickets.some((r) => r.username === "olga" && r.result === "ok" && r.target === `VM "${guest.name}" on host "local"`));
  assert.ok(tickets.some((r) => r.username === "vic" && r.result === "denied"));
  const refusals = auditRows("consoles.open");
  assert.ok(refusals.some((r) => r.username === "olga" && r.result === "denied" && /expired/.test(r.error ?? "")));
  assert.ok(refusals.some((r) => r.username === "otto" && r.result === "denied" && /another session/.test(r.error ?? "")));
});

/** Presses Enter (the guest's console asks for it before it starts a shell) and waits for the shell's prompt. */
async function shellPrompt(serial: Console): Promise<void> {
  const since = serial.text().length;
  serial.ws.send("\r");
  await waitFor(() => serial.text().slice(since).includes("# "), { timeoutMs: 20_000, what: "the guest's shell prompt", describe: serial.text });
}

test("the serial console carries both ways and shows the guest's readiness marker after a reboot typed into it", async () => {
  const serial = opened(await connect(olga, await ticket(olga, "serial")));
  await shellPrompt(serial);
  serial.ws.send("echo kvmm-console-$((6*7))\r");
  await waitFor(() => serial.text().includes("kvmm-console-42"), { timeoutMs: 20_000, what: "the echo from the guest", describe: serial.text });
  serial.ws.send("reboot\r");
  await waitFor(() => READY_MARKER.test(serial.text()), { timeoutMs: 120_000, what: "the readiness marker after the reboot", describe: serial.text });
  serial.ws.close();
  await serial.closed;
});

test("a second session is told the serial console is held, and takes it over with force: the first is told why", async () => {
  const first = opened(await connect(olga, await ticket(olga, "serial")));
  const held = opened(await connect(otto, await ticket(otto, "serial")));
  assert.deepEqual(await held.closed, { code: 4002, reason: `Another session holds the serial console of VM "${guest.name}" on host "local"` });
  const second = opened(await connect(otto, await ticket(otto, "serial", true)));
  assert.deepEqual(await first.closed, { code: 4001, reason: "The serial console was taken over by another session" });
  await shellPrompt(second);
  second.ws.send("echo kvmm-taken-$((7*6))\r");
  await waitFor(() => second.text().includes("kvmm-taken-42"), { timeoutMs: 20_000, what: "the echo on the new holder's console", describe: second.text });
  second.ws.close();
  await second.closed;
});

test("the VNC console speaks QEMU's RFB protocol through the proxy", async () => {
  const vnc = opened(await connect(olga, await ticket(olga, "vnc")));
  await waitFor(() => /^RFB 003\.00\d\n/.test(vnc.text()), { timeoutMs: 10_000, what: "QEMU's RFB greeting", describe: vnc.text });
  vnc.ws.close();
  await vnc.closed;
});

test("an open console closes when its user's role changes, with the reason", async () => {
  const serial = opened(await connect(olga, await ticket(olga, "serial", true)));
  const res = await admin.trpc("mutation", "users.update", { userId: userIds.olga, role: "viewer" });
  assert.equal(res.status, 200, await res.text());
  assert.deepEqual(await serial.closed, { code: 4003, reason: "Your session ended" });
});

test("an open console closes with the reason when its VM stops", async () => {
  const serial = opened(await connect(otto, await ticket(otto, "serial", true)));
  await virsh(["destroy", guest.name]);
  const closed = await serial.closed;
  assert.equal(closed.code, 4004);
  assert.match(closed.reason, /stopped/);
});
