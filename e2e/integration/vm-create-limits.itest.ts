// A VM the host can never run is refused when it is created, in words, instead of being defined
// and failing at start with QEMU's text. libvirt's test driver plays a small host (2 CPUs, 8 GiB):
// what is checked is the refusal, not QEMU.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { hosts } from "../../server/db/schema";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import { createCaller } from "../../server/api/root";
import { closeAllConnections } from "../../server/libvirt/registry";
import { ensureLibvirtd } from "../fixtures/test-host";
import type { Db } from "../../server/db/client";
import type { SessionUser } from "../../server/users/service";

const HOST = "small";
let db: Db;
let cleanup: () => void;
let admin: SessionUser;
let configDir: string;

before(async () => {
  await ensureLibvirtd();
  ({ db, cleanup } = tempDatabase());
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-create-limits-"));
  const config = path.join(configDir, "node.xml");
  const cpu = "<cpu><mhz>2000</mhz><model>x86_64</model><active>2</active><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>";
  fs.writeFileSync(config, `<node>${cpu}<memory>8388608</memory></node>`);
  db.insert(hosts)
    .values({ id: HOST, name: "a small host", uri: `test+unix://${config}` })
    .run();
  admin = await addUser(db, "ada", "admin");
});

after(async () => {
  await closeAllConnections();
  cleanup();
  fs.rmSync(configDir, { recursive: true, force: true });
});

const spec = (name: string, vcpus: number, memoryMiB: number) => ({
  hostId: HOST,
  name,
  vcpus,
  memoryMiB,
  install: { kind: "none" as const },
  network: { kind: "none" as const },
});

async function refusal(call: Promise<unknown>): Promise<TRPCError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error("the VM was created");
}

test("impossible sizes: more vCPUs or memory than the host has are refused in words, before anything is defined", async () => {
  const api = createCaller({ db, user: admin, clientIp: "192.0.2.5" });
  const cpus = await refusal(api.vms.create(spec("kvmm-test-too-many-cpus", 64, 512)));
  assert.equal(cpus.code, "BAD_REQUEST");
  assert.match(cpus.message, /64 vCPUs is more than this host has; it has 2 CPUs/);
  const memory = await refusal(api.vms.create(spec("kvmm-test-too-much-memory", 1, 1024 * 1024)));
  assert.equal(memory.code, "BAD_REQUEST");
  assert.match(memory.message, /1048576 MiB of memory is more than this host has; it has 8192 MiB/);
  const names = (await api.vms.list({ hostId: HOST }))[0]!.vms.map((vm) => vm.name);
  assert.deepEqual(names, [], "a refused VM was defined anyway");

  // What fits is created: the check does not stand in the way of an ordinary VM.
  const created = await api.vms.create(spec("kvmm-test-fits", 2, 8192));
  assert.equal(created.name, "kvmm-test-fits");
});
