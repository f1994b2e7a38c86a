import { test } from "node:test";
import assert from "node:assert/strict";
import { TicketStore, type TicketBinding } from "./tickets";

const binding: TicketBinding = { sessionId: "s1", userId: 7, hostId: "local", uuid: "8f0e4c1a-6c1f-4a55-9d1b-0e6f2b3c4d5e", kind: "serial", force: false };

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test("a ticket is 32 random bytes in base64url and carries its binding back once", () => {
  const store = new TicketStore(30_000, clock().now);
  const { ticket } = store.issue(binding);
  assert.match(ticket, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(store.issue(binding).ticket, ticket);
  const first = store.redeem(ticket, "s1", 7);
  assert.ok(first.ok);
  assert.deepEqual({ ...first.ticket, expiresAt: undefined }, { ...binding, expiresAt: undefined });
  assert.deepEqual(store.redeem(ticket, "s1", 7), { ok: false, why: "unknown" });
});

test("a ticket is refused at its expiry time and later, accepted just before", () => {
  const c = clock();
  const store = new TicketStore(30_000, c.now);
  const early = store.issue(binding).ticket;
  const late = store.issue(binding).ticket;
  c.advance(29_999);
  assert.equal(store.redeem(early, "s1", 7).ok, true);
  c.advance(1);
  assert.deepEqual(store.redeem(late, "s1", 7), { ok: false, why: "expired" });
});

test("a ticket is bound to its session and user, and a wrong try spends it", () => {
  const store = new TicketStore(30_000, clock().now);
  const otherSession = store.issue(binding).ticket;
  assert.deepEqual(store.redeem(otherSession, "s2", 7), { ok: false, why: "mismatch" });
  assert.deepEqual(store.redeem(otherSession, "s1", 7), { ok: false, why: "unknown" });
  const otherUser = store.issue(binding).ticket;
  assert.deepEqual(store.redeem(otherUser, "s1", 8), { ok: false, why: "mismatch" });
});

test("expired tickets are swept when new ones are issued", () => {
  const c = clock();
  const store = new TicketStore(30_000, c.now);
  store.issue(binding);
  store.issue(binding);
  c.advance(30_000);
  store.issue(binding);
  assert.equal(store.size, 1);
});
