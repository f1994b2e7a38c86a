import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { bridgeGuestHubEvents } from "./guest-bridge";
import { subscribe, type ManagerEvent } from "./bus";
import type { GuestHub, GuestStatus } from "../guest";

function status(agent: "connected" | "connecting" | "disconnected", extra: { running?: boolean; lastError?: string } = {}): GuestStatus {
  return {
    hostId: "local",
    uuid: "00000000-0000-0000-0000-0000000000aa",
    name: "web-1",
    running: extra.running ?? true,
    agent: { state: agent, lastError: extra.lastError ?? null, channel: true } as GuestStatus["agent"],
    qga: { channel: true, connected: false },
  } as GuestStatus;
}

test("the guest bridge tells browsers when a VM's agents come or go, not of every probe of an absent agent", () => {
  const hub = new EventEmitter() as unknown as GuestHub & EventEmitter;
  (hub as unknown as { status: () => undefined }).status = () => undefined;
  const seen: ManagerEvent[] = [];
  const off = subscribe((e) => e.type === "guest.status" && seen.push(e));
  const unbridge = bridgeGuestHubEvents(hub);
  try {
    hub.emit("status", status("disconnected"));
    // A probe of an agent that is not there: connecting, then disconnected again, with a new error text.
    for (let i = 0; i < 10; i++) {
      hub.emit("status", status("connecting"));
      hub.emit("status", status("disconnected", { lastError: `no agent answered (${i})` }));
    }
    hub.emit("status", status("connected"));
    hub.emit("status", status("disconnected", { running: false }));
    assert.deepEqual(
      seen.map((e) => e.type === "guest.status" && [e.running, e.agent, e.qga]),
      [
        [true, false, false],
        [true, true, false],
        [false, false, false],
      ],
    );
  } finally {
    unbridge();
    off();
  }
});
