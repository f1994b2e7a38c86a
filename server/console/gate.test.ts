import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSession, revokeSession, SESSION_MAX_AGE_S } from "../auth/sessions";
import { addUser, tempDatabase } from "../testing/test-db";
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import { ConsoleGate } from "./gate";
import { CLOSE, type OpenConsole } from "./open-consoles";

let db: Db;
let cleanup: () => void;
let olga: SessionUser;
let gate: ConsoleGate;

before(async () => {
  ({ db, cleanup } = tempDatabase());
  olga = await addUser(db, "olga", "operator");
  gate = new ConsoleGate({ tls: true, trustedProxies: new Set() }, { db: () => db });
});
after(() => {
  gate.close();
  cleanup();
});

function openConsole(sessionId: string): OpenConsole & { closedWith: [number, string] | null } {
  const console = {
    userId: olga.id,
    sessionId,
    hostId: "local",
    uuid: "8f0e4c1a-6c1f-4a55-9d1b-0e6f2b3c4d5e",
    kind: "serial" as const,
    takenOver: false,
    closedWith: null as [number, string] | null,
    close(code: number, reason: string) {
      console.closedWith = [code, reason];
    },
  };
  gate.consoles.add(console);
  return console;
}

test("a console whose session expired closes at the next check; one with a live session stays open", () => {
  const expired = openConsole(createSession(db, olga.id, { clientIp: "127.0.0.1", userAgent: "t" }, Date.now() - SESSION_MAX_AGE_S * 1000 - 1));
  const live = openConsole(olga.sessionId);
  gate.recheckSessions();
  assert.deepEqual(expired.closedWith, [CLOSE.accessEnded, "Your session ended"]);
  assert.equal(live.closedWith, null);
});

test("signing out closes that session's consoles at once, with the reason", async () => {
  const sessionId = createSession(db, olga.id, { clientIp: "127.0.0.1", userAgent: "t" });
  const console = openConsole(sessionId);
  revokeSession(db, sessionId, "signed out");
  await new Promise(setImmediate);
  assert.deepEqual(console.closedWith, [CLOSE.accessEnded, "Your session ended"]);
});
