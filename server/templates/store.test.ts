import { test, after } from "node:test";
import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import { templates } from "../db/schema";
import { ServiceError } from "../errors";
import { addUser, tempDatabase } from "../testing/test-db";
import {
  deleteTemplateRow,
  failLeftoverTemplates,
  INTERRUPTED_TEMPLATE_MESSAGE,
  insertTemplate,
  listTemplateRows,
  templateById,
  templateInfo,
  updateTemplate,
  visibleTemplateRow,
  type NewTemplate,
} from "./store";

const dbs: (() => void)[] = [];
after(() => dbs.forEach((c) => c()));
function fresh() {
  const t = tempDatabase();
  dbs.push(t.cleanup);
  return t.db;
}

const row = (over: Partial<NewTemplate> = {}): NewTemplate => ({
  id: "0123456789abcdef",
  hostId: "local",
  name: "base",
  description: "",
  sourceVm: "src",
  pool: "templates",
  vcpus: 2,
  memoryMiB: 512,
  domainXml: "<domain/>",
  createdByUserId: 1,
  createdBy: "root",
  ...over,
});

test("a new row is creating; its disks and definition are written when ready; the wire form has no definition", async () => {
  const db = fresh();
  const root = await addUser(db, "root", "admin");
  insertTemplate(db, row({ createdByUserId: root.id }));
  assert.equal(templateById(db, "0123456789abcdef")?.state, "creating");
  const disk = { target: "vda", volume: "base-vda.qcow2", path: "/t/base-vda.qcow2", format: "qcow2", capacityBytes: 1, allocationBytes: 1 };
  updateTemplate(db, "0123456789abcdef", { state: "ready", disks: [disk], domainXml: "<domain><name>base</name></domain>" });
  const t = templateById(db, "0123456789abcdef")!;
  assert.equal(t.state, "ready");
  assert.deepEqual(t.disks, [disk]);
  assert.equal("domainXml" in templateInfo(t), false);
  assert.equal(templateInfo(t).createdBy, "root");
  deleteTemplateRow(db, t.id);
  assert.equal(templateById(db, t.id), null);
});

test("a name is unique per host: a second one is a conflict on the name field; another host may use it", async () => {
  const db = fresh();
  const root = await addUser(db, "root", "admin");
  insertTemplate(db, row({ createdByUserId: root.id }));
  assert.throws(
    () => insertTemplate(db, row({ id: "1111111111111111", createdByUserId: root.id })),
    (err: unknown) => err instanceof ServiceError && err.kind === "conflict" && err.field === "name" && /template "base" on host "local"/.test(err.message),
  );
  insertTemplate(db, row({ id: "2222222222222222", hostId: "other", createdByUserId: root.id }));
});

test("a creating row left by an earlier process becomes failed at the first use of a database; later ones are left alone", async () => {
  const db = fresh();
  const root = await addUser(db, "root", "admin");
  // As an earlier process left it: written straight to the table, before this process used the store.
  db.insert(templates)
    .values({ ...row({ createdByUserId: root.id }), state: "creating" })
    .run();
  assert.equal(failLeftoverTemplates(db), 1);
  const t = db.select().from(templates).where(eq(templates.id, "0123456789abcdef")).get()!;
  assert.deepEqual([t.state, t.error], ["failed", INTERRUPTED_TEMPLATE_MESSAGE]);
  insertTemplate(db, row({ id: "3333333333333333", name: "now", createdByUserId: root.id }));
  assert.equal(failLeftoverTemplates(db), 0);
  assert.equal(templateById(db, "3333333333333333")?.state, "creating", "this process's own copy is not failed");
});

test("lists and lookups are narrowed to the hosts the user's grants cover; an unseen template answers as missing", async () => {
  const db = fresh();
  const root = await addUser(db, "root", "admin");
  const narrow = await addUser(db, "nina", "operator", [{ kind: "host", value: "other" }]);
  const byName = await addUser(db, "vic", "viewer", [{ kind: "name", value: "web-*" }]);
  insertTemplate(db, row({ createdByUserId: root.id }));
  insertTemplate(db, row({ id: "4444444444444444", hostId: "other", createdByUserId: root.id }));
  assert.deepEqual(
    listTemplateRows(db, root)
      .map((t) => t.hostId)
      .sort(),
    ["local", "other"],
  );
  assert.deepEqual(
    listTemplateRows(db, narrow).map((t) => t.id),
    ["4444444444444444"],
  );
  assert.deepEqual(listTemplateRows(db, byName), [], "grants on some VMs cover no host");
  assert.throws(
    () => visibleTemplateRow(db, narrow, "0123456789abcdef"),
    (err: unknown) => err instanceof ServiceError && err.kind === "not_found",
  );
  assert.equal(visibleTemplateRow(db, narrow, "4444444444444444").hostId, "other");
});
