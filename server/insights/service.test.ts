import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { tempDatabase } from "@/server/testing/test-db";
import type { GuestHub, GuestStatus } from "@/server/guest";
import { disconnectedStatus } from "@/server/guest/session";
import { watchAgentSightings } from "./service";
import { readSightings } from "./store";

const A = "aaaaaaaa-0000-4000-8000-000000000001";
const B = "bbbbbbbb-0000-4000-8000-000000000002";

function status(uuid: string, agent: boolean, qga: boolean): GuestStatus {
  return {
    hostId: "local",
    uuid,
    name: uuid,
    running: true,
    agent: { ...disconnectedStatus(), state: agent ? "connected" : "disconnected", channel: true },
    qga: { channel: true, connected: qga },
  };
}

/** The part of the hub the watch uses: its status events and its list of what it knows now. */
class FakeHub extends EventEmitter {
  constructor(private readonly known: GuestStatus[]) {
    super();
  }
  list() {
    return this.known;
  }
}

test("agent sightings come from the hub's status events and what is connected when the watch starts, and stop with it", () => {
  const { db, cleanup } = tempDatabase();
  try {
    let now = 1_000;
    const hub = new FakeHub([status(A, true, false)]);
    const stop = watchAgentSightings(hub as unknown as GuestHub, db, () => now);
    now = 2_000;
    hub.emit("status", status(B, false, true));
    hub.emit("status", status(A, false, false)); // disconnected: not a sighting, the last one stays
    const seen = readSightings(db);
    assert.deepEqual(seen("local", A), { agentAt: 1_000, qgaAt: null });
    assert.deepEqual(seen("local", B), { agentAt: null, qgaAt: 2_000 });
    stop();
    now = 3_000;
    hub.emit("status", status(A, true, true));
    assert.deepEqual(readSightings(db)("local", A), { agentAt: 1_000, qgaAt: null }, "nothing recorded after stop");
  } finally {
    cleanup();
  }
});
