import { test } from "node:test";
import assert from "node:assert/strict";
import {
  VIR_MIGRATE_AUTO_CONVERGE,
  VIR_MIGRATE_CHANGE_PROTECTION,
  VIR_MIGRATE_LIVE,
  VIR_MIGRATE_NON_SHARED_DISK,
  VIR_MIGRATE_NON_SHARED_INC,
  VIR_MIGRATE_OFFLINE,
  VIR_MIGRATE_PARAM_BANDWIDTH,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PAUSED,
  VIR_MIGRATE_PEER2PEER,
  VIR_MIGRATE_PERSIST_DEST,
  VIR_MIGRATE_POSTCOPY,
  VIR_MIGRATE_UNDEFINE_SOURCE,
  VIR_TYPED_PARAM_ULLONG,
} from "@/server/libvirt";
import { migrationOptionsSchema } from "./contract";
import { describeFlags, destinationFlags, migrationFlags, migrationParams, sourceFlags } from "./params";

const defaults = migrationOptionsSchema.parse({ destHostId: "b" });

test("a running VM moves with LIVE | PERSIST_DEST | UNDEFINE_SOURCE by default, nothing else", () => {
  assert.equal(migrationFlags(defaults, "running"), VIR_MIGRATE_LIVE | VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE);
  assert.equal(describeFlags(migrationFlags(defaults, "running")), "live, persist on destination, undefine source");
});

test("a paused VM stays paused; a shut-off one moves OFFLINE, never LIVE, and drops the live-only options", () => {
  assert.equal(migrationFlags(defaults, "paused"), VIR_MIGRATE_LIVE | VIR_MIGRATE_PAUSED | VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE);
  const all = migrationOptionsSchema.parse({ destHostId: "b", autoConverge: true, postCopy: true });
  assert.equal(migrationFlags(all, "shutoff"), VIR_MIGRATE_OFFLINE | VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE);
});

test("each option sets its own flag", () => {
  const flags = (o: object) => migrationFlags(migrationOptionsSchema.parse({ destHostId: "b", persistDest: false, undefineSource: false, ...o }), "running");
  assert.equal(flags({}), VIR_MIGRATE_LIVE);
  assert.equal(flags({ mode: "p2p" }), VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER);
  assert.equal(flags({ copyStorage: "full" }), VIR_MIGRATE_LIVE | VIR_MIGRATE_NON_SHARED_DISK);
  assert.equal(flags({ copyStorage: "incremental" }), VIR_MIGRATE_LIVE | VIR_MIGRATE_NON_SHARED_INC);
  assert.equal(flags({ autoConverge: true }), VIR_MIGRATE_LIVE | VIR_MIGRATE_AUTO_CONVERGE);
  assert.equal(flags({ postCopy: true }), VIR_MIGRATE_LIVE | VIR_MIGRATE_POSTCOPY);
});

test("the source's steps add CHANGE_PROTECTION; the destination's drop what only the source acts on, as libvirt does", () => {
  const flags = migrationFlags(migrationOptionsSchema.parse({ destHostId: "b", autoConverge: true }), "running");
  assert.equal(sourceFlags(flags), flags | VIR_MIGRATE_CHANGE_PROTECTION);
  assert.equal(destinationFlags(sourceFlags(flags)), VIR_MIGRATE_LIVE | VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE);
});

test("params: the migration URI and the VM's name always; the bandwidth in MiB/s as an unsigned long long only when limited", () => {
  assert.deepEqual(migrationParams({ name: "web-1", migrateUri: "tcp://10.0.0.2", bandwidthMiBps: null }), {
    [VIR_MIGRATE_PARAM_URI]: "tcp://10.0.0.2",
    [VIR_MIGRATE_PARAM_DEST_NAME]: "web-1",
  });
  const limited = migrationParams({ name: "web-1", migrateUri: "tcp://10.0.0.2", bandwidthMiBps: 50 });
  assert.deepEqual(limited[VIR_MIGRATE_PARAM_BANDWIDTH], { type: VIR_TYPED_PARAM_ULLONG, ul: 50n });
});
