import { test } from "node:test";
import assert from "node:assert/strict";
import { tempDatabase } from "../testing/test-db";
import { auditLog } from "../db/schema";
import { SIGNED_OUT_ACTION, SignedOutRefusals, signedOutRefusals } from "./signed-out";
import { createCaller } from "../api/root";

test("audit flooding: 500 signed-out calls in one minute from one address become one row with a count and no input", async () => {
  const { db, cleanup } = tempDatabase();
  let now = Date.UTC(2026, 10, 27, 10, 0, 5);
  const refusals = new SignedOutRefusals(() => now);
  try {
    for (let i = 0; i < 500; i++) refusals.note(db, "10.0.0.66", "vms.power");
    refusals.note(db, "10.0.0.66", "sign-in (rate limited)");
    refusals.note(db, "10.0.0.67", "vms.delete");
    refusals.flush();
    assert.equal(db.select().from(auditLog).all().length, 0, "a window still open was written");
    now += 60_000;
    refusals.flush();
    const rows = db.select().from(auditLog).all();
    assert.equal(rows.length, 2);
    const flood = rows.find((r) => r.clientIp === "10.0.0.66")!;
    assert.equal(flood.action, SIGNED_OUT_ACTION);
    assert.equal(flood.count, 501);
    assert.equal(flood.input, null);
    assert.equal(flood.error, "not signed in: vms.power ×500, sign-in (rate limited)");
  } finally {
    refusals.flush({ all: true });
    cleanup();
  }
});

test("a signed-out tRPC mutation is refused without its input being read", async () => {
  const { db, cleanup } = tempDatabase();
  try {
    const api = createCaller({ db, user: null, clientIp: "10.0.0.70" });
    let inputRead = false;
    const input = {
      get hostId() {
        inputRead = true;
        return "local";
      },
      uuid: "00000000-0000-0000-0000-000000000000",
      action: "start",
    };
    await assert.rejects(api.vms.power(input as never), /Sign in first/);
    assert.equal(inputRead, false, "the signed-out caller's input was read");
    assert.equal(db.select().from(auditLog).all().length, 0, "a signed-out refusal wrote its own row");
    signedOutRefusals().flush({ all: true });
    assert.equal(db.select().from(auditLog).all()[0]?.count, 1);
  } finally {
    cleanup();
  }
});
