import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import type { Db } from "@/server/db/client";
import type { SessionUser } from "@/server/users/service";
import { insertBackup, listBackups } from "./store";

let db: Db;
let cleanup: () => void;
let admin: SessionUser;

const UUID_A = "11111111-2222-3333-4444-555555555555";
const UUID_B = "66666666-7777-8888-9999-000000000000";

function backup(id: string, hostId: string, vmUuid: string, startedAt: number) {
  insertBackup(db, {
    id,
    hostId,
    vmUuid,
    vmName: `vm-${id}`,
    pool: "default",
    dir: `/b/${id}`,
    kind: "full",
    state: "succeeded",
    startedAt: new Date(startedAt),
  });
}

before(async () => {
  ({ db, cleanup } = tempDatabase());
  admin = await addUser(db, "ada", "admin");
  backup("0000000000000001", "local", UUID_A, 1_000);
  backup("0000000000000002", "rack-b", UUID_B, 2_000);
  backup("0000000000000003", "local", UUID_A, 3_000);
});
after(() => cleanup());

const ids = async (filter: Parameters<typeof listBackups>[2]) => (await listBackups(db, admin, filter, () => undefined)).map((b) => b.id);

test("without a host, every host's backups are listed, newest first", async () => {
  assert.deepEqual(await ids({ limit: 10 }), ["0000000000000003", "0000000000000002", "0000000000000001"]);
});

test("a host filter keeps the backups of VMs on that host only, and none for a host without any", async () => {
  assert.deepEqual(await ids({ hostId: "local", limit: 10 }), ["0000000000000003", "0000000000000001"]);
  assert.deepEqual(await ids({ hostId: "rack-b", limit: 10 }), ["0000000000000002"]);
  assert.deepEqual(await ids({ hostId: "rack-c", limit: 10 }), []);
});

test("a VM and a host filter together list that VM's backups only when it is on that host", async () => {
  assert.deepEqual(await ids({ vm: { hostId: "local", uuid: UUID_A }, hostId: "local", limit: 10 }), ["0000000000000003", "0000000000000001"]);
  assert.deepEqual(await ids({ vm: { hostId: "local", uuid: UUID_A }, hostId: "rack-b", limit: 10 }), []);
});
