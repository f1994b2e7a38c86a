import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { eq } from "drizzle-orm";
import { hosts } from "../db/schema";
import { tempDatabase } from "../testing/test-db";
import { ensureLocalHost, getHost, LOCAL_HOST_ID } from "./service";

test("the local host is named after the machine, and follows the libvirt URI on every start", () => {
  const { db, cleanup } = tempDatabase();
  try {
    ensureLocalHost(db, "qemu:///system");
    ensureLocalHost(db, "test:///default");
    assert.deepEqual(
      { ...getHost(db, LOCAL_HOST_ID), createdAt: null },
      { id: LOCAL_HOST_ID, name: hostname(), uri: "test:///default", enabled: true, hostKey: null, createdAt: null },
    );
  } finally {
    cleanup();
  }
});

test("an old install's English placeholder name becomes the machine's name; a name someone chose is kept", () => {
  const { db, cleanup } = tempDatabase();
  try {
    ensureLocalHost(db, "qemu:///system");
    db.update(hosts).set({ name: "This host" }).where(eq(hosts.id, LOCAL_HOST_ID)).run();
    ensureLocalHost(db, "qemu:///system");
    assert.equal(getHost(db, LOCAL_HOST_ID).name, hostname());
    db.update(hosts).set({ name: "rack 3, left" }).where(eq(hosts.id, LOCAL_HOST_ID)).run();
    ensureLocalHost(db, "qemu:///system");
    assert.equal(getHost(db, LOCAL_HOST_ID).name, "rack 3, left");
  } finally {
    cleanup();
  }
});
