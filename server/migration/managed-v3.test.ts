import { test } from "node:test";
import assert from "node:assert/strict";
import {
  VIR_MIGRATE_CHANGE_PROTECTION,
  VIR_MIGRATE_LIVE,
  VIR_MIGRATE_OFFLINE,
  VIR_MIGRATE_PARAM_DEST_XML,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PERSIST_DEST,
  flagsOf,
  type Connection,
  type protocol,
  type VirDomainMigrateFlags,
} from "@/server/libvirt";
import { decodeTypedParams } from "@/server/libvirt/typed-params";
import { MigrationCancelled, migrateManaged, type ManagedMigration } from "./managed-v3";

const dom: protocol.NonnullDomain = { name: "web-1", uuid: Buffer.alloc(16, 1), id: 3 };
const cookie = (s: string) => Buffer.from(s);

/** One call as the fake hosts saw it: which step, its cancelled flag, the cookie it got and its params. */
interface Call {
  step: string;
  cancelled?: number;
  cookieIn?: string;
  flags: number;
  params: Record<string, unknown>;
}

function hosts(fail: Partial<Record<"prepare" | "perform" | "finish", Error>> = {}) {
  const calls: Call[] = [];
  const record = (step: string, a: { params: protocol.TypedParam[]; flags: number; cookieIn?: Buffer; cancelled?: number }) =>
    calls.push({ step, flags: a.flags, cancelled: a.cancelled, cookieIn: a.cookieIn?.toString(), params: decodeTypedParams(a.params) });
  const source = {
    domainMigrateBegin3Params: async (a: never) => (record("begin", a), { cookieOut: cookie("begin"), xml: "<domain/>" }),
    domainMigratePerform3Params: async (a: never) => {
      record("perform", a);
      if (fail.perform) throw fail.perform;
      return cookie("perform");
    },
    domainMigrateConfirm3Params: async (a: never) => void record("confirm", a),
  } as unknown as Connection;
  const dest = {
    domainMigratePrepare3Params: async (a: never) => {
      record("prepare", a);
      if (fail.prepare) throw fail.prepare;
      return { cookieOut: cookie("prepare"), uriOut: "tcp://10.77.0.2:49152" };
    },
    domainMigrateFinish3Params: async (a: { cancelled: number }) => {
      record("finish", a as never);
      if (fail.finish || a.cancelled) throw fail.finish ?? new Error("migration cancelled");
      return { dom: { ...dom, id: 7 }, cookieOut: cookie("finish") };
    },
  } as unknown as Connection;
  return { calls, source, dest };
}

function migration(h: ReturnType<typeof hosts>, flags: VirDomainMigrateFlags, over: Partial<ManagedMigration> = {}): ManagedMigration {
  return {
    source: h.source,
    dest: h.dest,
    dom,
    flags,
    params: { [VIR_MIGRATE_PARAM_URI]: "tcp://10.77.0.2", destination_name: "web-1" },
    onPhase: () => {},
    perform: (run) => run(),
    onCleanupError: () => {},
    ...over,
  };
}

const LIVE = flagsOf(VIR_MIGRATE_LIVE, VIR_MIGRATE_PERSIST_DEST);
const steps = (calls: Call[]) => calls.map((c) => (c.cancelled === undefined ? c.step : `${c.step}(${c.cancelled})`));

test("the five steps in libvirt's order, each handing its cookie to the next; Prepare gets Begin's XML, Perform and Finish the port Prepare chose", async () => {
  const h = hosts();
  const phases: string[] = [];
  const moved = await migrateManaged(migration(h, LIVE, { onPhase: (p, c) => phases.push(c ? `${p}!` : p) }));
  assert.equal(moved.id, 7);
  assert.deepEqual(steps(h.calls), ["begin", "prepare", "perform", "finish(0)", "confirm(0)"]);
  assert.deepEqual(phases, ["begin", "prepare", "perform", "finish", "confirm"]);
  assert.deepEqual(
    h.calls.map((c) => c.cookieIn),
    [undefined, "begin", "prepare", "perform", "finish"],
  );
  assert.equal(h.calls[1]!.params[VIR_MIGRATE_PARAM_DEST_XML], "<domain/>");
  assert.equal(h.calls[2]!.params[VIR_MIGRATE_PARAM_URI], "tcp://10.77.0.2:49152");
  assert.equal(h.calls[3]!.params.destination_name, "web-1");
  // CHANGE_PROTECTION on the source's steps only.
  assert.deepEqual(
    h.calls.map((c) => (c.flags & VIR_MIGRATE_CHANGE_PROTECTION) !== 0),
    [true, false, true, false, true],
  );
});

test("Prepare fails: Confirm(cancelled) ends the source's job, and Prepare's error is what the caller gets", async () => {
  const h = hosts({ prepare: new Error("no room on b") });
  await assert.rejects(migrateManaged(migration(h, LIVE)), /no room on b/);
  assert.deepEqual(steps(h.calls), ["begin", "prepare", "confirm(1)"]);
});

test("Perform fails: Finish(cancelled) drops the destination's copy; no Confirm (the source already resumed the VM); Perform's error stays", async () => {
  const h = hosts({ perform: new Error("operation aborted: migration out job: canceled by client") });
  await assert.rejects(migrateManaged(migration(h, LIVE)), /canceled by client/);
  assert.deepEqual(steps(h.calls), ["begin", "prepare", "perform", "finish(1)"]);
  assert.equal(h.calls[3]!.cookieIn, "");
});

test("a cancel before Perform: Finish(cancelled) and Confirm(cancelled), and the migration ends as cancelled", async () => {
  const h = hosts();
  await assert.rejects(migrateManaged(migration(h, LIVE, { perform: async () => "cancelled" })), MigrationCancelled);
  assert.deepEqual(steps(h.calls), ["begin", "prepare", "finish(1)", "confirm(1)"]);
});

test("Finish fails: Confirm(cancelled) resumes the VM on the source, and Finish's error is thrown", async () => {
  const h = hosts({ finish: new Error("b could not start the VM") });
  await assert.rejects(migrateManaged(migration(h, LIVE)), /could not start/);
  assert.deepEqual(steps(h.calls), ["begin", "prepare", "perform", "finish(0)", "confirm(1)"]);
});

test("offline: no Perform; Finish gets no cookie", async () => {
  const h = hosts();
  await migrateManaged(migration(h, flagsOf(VIR_MIGRATE_OFFLINE, VIR_MIGRATE_PERSIST_DEST)));
  assert.deepEqual(steps(h.calls), ["begin", "prepare", "finish(0)", "confirm(0)"]);
  assert.equal(h.calls[2]!.cookieIn, "");
});
