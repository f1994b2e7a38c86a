import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { createCaller } from "@/server/api/root";
import { hosts } from "@/server/db/schema";
import type { VmSummary } from "@/server/domains/service";
import { ensureLocalHost } from "@/server/hosts/service";
import { uuidToString } from "@/server/libvirt";
import { closeAllConnections, getConnection } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { ensureLibvirtd, libvirtUri } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";
import { startDashboard, type DashboardServer } from "../support/dashboard-server";
import { HttpClient } from "../support/http-client";

/**
 * Grants enforced where the product checks them, against the real libvirtd: `resolveVm` (behind
 * every VM procedure), the VM list, and the event stream of a started dashboard over HTTPS.
 * Two idle domains on the local host, kvmm-test-grant-a-<id> and kvmm-test-grant-b-<id> (b tagged
 * grant-<id>), and one on a second host, "lab" (libvirt's test driver, served by the same
 * libvirtd). Three operators: one granted `name:kvmm-test-grant-a*` (covers a), one
 * `tag:grant-<id>` (covers b), one `host:local` (a and b, not lab's). Each lists, opens, powers and
 * snapshots what its grant covers, and for the rest is told "not found" in the words used for a VM
 * that does not exist, which name only the UUID it was given. Exec is checked on the booted test
 * guest in guest-agent.itest.ts, which pays for a guest boot already.
 */
const id = randomBytes(3).toString("hex");
const NAME_GRANT = "kvmm-test-grant-a*";
const TAG = `grant-${id}`;
const LAB = "lab";
const LAB_URI = "test+unix:///default";
const LAB_VM = `kvmm-test-grant-lab-${id}`;
const PASSWORD = "a-long-enough-password-1";

interface Vm {
  hostId: string;
  uuid: string;
  name: string;
}

const { db, cleanup } = tempDatabase();
type Api = ReturnType<typeof createCaller>;
let admin: Api;
let byName: Api;
let byTag: Api;
let byHost: Api;
let domA: IdleDomain;
let domB: IdleDomain;
let vmA: Vm;
let vmB: Vm;
let vmLab: Vm;
let server: DashboardServer;
let web: HttpClient;

const ref = (vm: Pick<Vm, "hostId" | "uuid">) => ({ hostId: vm.hostId, uuid: vm.uuid });

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  db.insert(hosts).values({ id: LAB, name: "Lab (libvirt's test driver)", uri: LAB_URI }).run();
  const as = async (name: string, grants: { kind: "host" | "name" | "tag"; value: string }[]) =>
    createCaller({ db, user: await addUser(db, name, "operator", grants), clientIp: "192.0.2.30" });
  admin = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.30" });
  byName = await as("nora", [{ kind: "name", value: NAME_GRANT }]);
  byTag = await as("tess", [{ kind: "tag", value: TAG }]);
  byHost = await as("hank", [{ kind: "host", value: "local" }]);

  // The dashboard takes a few seconds to serve; the domains are defined meanwhile. What was made
  // is kept for `after` to remove even when something else failed.
  const [dashboard, a, b] = await Promise.allSettled([
    startDashboard(),
    defineIdleDomain(`kvmm-test-grant-a-${id}`),
    defineIdleDomain(`kvmm-test-grant-b-${id}`),
  ]);
  if (dashboard.status === "fulfilled") server = dashboard.value;
  if (a.status === "fulfilled") domA = a.value;
  if (b.status === "fulfilled") domB = b.value;
  for (const made of [dashboard, a, b]) if (made.status === "rejected") throw made.reason;
  vmA = { hostId: "local", uuid: domA.uuid, name: domA.name };
  vmB = { hostId: "local", uuid: domB.uuid, name: domB.name };
  await admin.vms.setTags({ ...ref(vmB), tags: [TAG] });
  // Defined through our own connection: the test driver keeps its domains only while a client holds it open.
  const lab = await getConnection(LAB, LAB_URI).domainDefineXml({
    xml: `<domain type="test"><name>${LAB_VM}</name><uuid>${randomUUID()}</uuid><memory unit="MiB">64</memory><os><type>hvm</type></os></domain>`,
  });
  vmLab = { hostId: LAB, uuid: uuidToString(lab.uuid), name: LAB_VM };

  web = new HttpClient(server);
  assert.equal((await web.signIn("admin", server.adminPassword)).status, 200);
});

after(async () => {
  await server?.stop();
  await Promise.all([domA?.remove(), domB?.remove()]);
  if (vmLab) {
    const conn = getConnection(LAB, LAB_URI);
    await conn
      .domainLookupByName({ name: LAB_VM })
      .then((dom) => conn.domainUndefine({ dom }))
      .catch(() => undefined);
  }
  await closeAllConnections();
  cleanup();
});

async function refusal(what: string, promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TRPCError, `expected a TRPCError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail(`${what} was not refused`);
}

/** What every VM procedure answers for a VM that does not exist: its UUID, never a name. */
const notFound = (vm: Pick<Vm, "hostId" | "uuid">) => ({ code: "NOT_FOUND", message: `VM ${vm.uuid} on host "${vm.hostId}": not found` });

const scopes = [
  {
    who: `an operator granted name:${NAME_GRANT}`,
    api: () => byName,
    covers: () => [vmA],
    refused: () => [vmB, vmLab],
    matches: (vm: VmSummary) => vm.hostId === "local" && vm.name.startsWith("kvmm-test-grant-a"),
  },
  {
    who: "an operator granted tag:grant-<id>",
    api: () => byTag,
    covers: () => [vmB],
    refused: () => [vmA, vmLab],
    matches: (vm: VmSummary) => vm.tags.includes(TAG),
  },
  {
    who: "an operator granted host:local",
    api: () => byHost,
    covers: () => [vmA, vmB],
    refused: () => [vmLab],
    matches: (vm: VmSummary) => vm.hostId === "local",
  },
];

test("the setup is real: the admin lists a, b (tagged) and the lab host's VM", async () => {
  const listed = (await admin.vms.list({})).flatMap((h) => h.vms);
  for (const vm of [vmA, vmB, vmLab])
    assert.ok(
      listed.some((v) => v.uuid === vm.uuid && v.name === vm.name && v.hostId === vm.hostId),
      vm.name,
    );
  assert.deepEqual(listed.find((v) => v.uuid === vmB.uuid)?.tags, [TAG]);
  assert.deepEqual(listed.find((v) => v.uuid === vmA.uuid)?.tags, []);
});

for (const scope of scopes) {
  test(`${scope.who} lists only the VMs the grant covers`, async () => {
    const answer = await scope.api().vms.list({});
    assert.deepEqual(
      answer.map((h) => [h.hostId, h.error]),
      [
        ["local", null],
        [LAB, null],
      ],
    );
    const listed = answer.flatMap((h) => h.vms);
    for (const vm of scope.covers())
      assert.ok(
        listed.some((v) => v.uuid === vm.uuid),
        `${vm.name} is missing`,
      );
    for (const vm of scope.refused()) assert.ok(!listed.some((v) => v.uuid === vm.uuid), `${vm.name} is listed`);
    // Other test runs' VMs come and go on this host; whatever is listed must be covered by the grant.
    const uncovered = listed.filter((v) => !scope.matches(v)).map((v) => `${v.name} on ${v.hostId}`);
    assert.deepEqual(uncovered, [], "VMs the grant does not cover");
  });

  test(`${scope.who} opens the VMs the grant covers; for any other, get, exportXml, snapshots.list and guest.status answer NOT_FOUND naming only the UUID, as for a missing VM`, async () => {
    for (const vm of scope.covers()) {
      assert.equal((await scope.api().vms.get(ref(vm))).name, vm.name);
      assert.deepEqual(await scope.api().snapshots.list(ref(vm)), { current: null, snapshots: [] });
    }
    const missing = { hostId: "local", uuid: randomUUID() };
    for (const vm of [...scope.refused(), missing]) {
      const api = scope.api();
      for (const [procedure, call] of [
        ["vms.get", () => api.vms.get(ref(vm))],
        ["vms.exportXml", () => api.vms.exportXml(ref(vm))],
        ["snapshots.list", () => api.snapshots.list(ref(vm))],
        ["guest.status", () => api.guest.status(ref(vm))],
      ] as const) {
        // Equal to the missing VM's answer, so it names nothing the caller did not already send.
        const what = `${procedure} of ${"name" in vm ? vm.name : "a missing VM"}`;
        assert.deepEqual(await refusal(what, call()), notFound(vm), what);
      }
    }
  });

  test(`${scope.who} powers and snapshots a VM the grant covers, and cannot power or snapshot any other`, async () => {
    const [own] = scope.covers();
    const dom = own!.uuid === domA.uuid ? domA : domB;
    const api = scope.api();
    const snapshot = await api.snapshots.create({ ...ref(own!), name: "kvmm-grant-check" });
    assert.equal(snapshot.name, "kvmm-grant-check");
    assert.deepEqual(await dom.snapshots(), ["kvmm-grant-check"]);
    assert.deepEqual(await api.snapshots.delete({ ...ref(own!), snapshot: "kvmm-grant-check" }), { deleted: ["kvmm-grant-check"] });
    assert.deepEqual(await api.vms.power({ ...ref(own!), action: "start" }), { state: "running" });
    assert.equal(await dom.state(), "running");
    assert.deepEqual(await api.vms.power({ ...ref(own!), action: "forceOff" }), { state: "shutoff" });
    assert.equal(await dom.state(), "shut off");

    try {
      for (const vm of scope.refused()) {
        assert.deepEqual(await refusal(`starting ${vm.name}`, api.vms.power({ ...ref(vm), action: "start" })), notFound(vm));
        assert.deepEqual(await refusal(`a snapshot of ${vm.name}`, api.snapshots.create({ ...ref(vm), name: "kvmm-grant-intruder" })), notFound(vm));
        assert.equal((await admin.vms.get(ref(vm))).state, "shutoff", `${vm.name} was started`);
        assert.deepEqual((await admin.snapshots.list(ref(vm))).snapshots, [], `${vm.name} has a snapshot`);
      }
    } finally {
      // Undo what a refusal that failed did, so the next operator's checks start from the same VMs.
      for (const vm of scope.refused()) {
        await admin.vms.power({ ...ref(vm), action: "forceOff" }).catch(() => undefined);
        await admin.snapshots.delete({ ...ref(vm), snapshot: "kvmm-grant-intruder" }).catch(() => undefined);
      }
    }
  });
}

/** A new operator, created by the admin over HTTPS, and signed in. */
async function signedIn(username: string, grants: { kind: string; value: string }[]): Promise<{ client: HttpClient; userId: number }> {
  const res = await web.trpc("mutation", "users.create", { username, role: "operator", password: PASSWORD, grants });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  const { result } = JSON.parse(body) as { result: { data: { id: number } } };
  const client = new HttpClient(server);
  assert.equal((await client.signIn(username, PASSWORD)).status, 200);
  return { client, userId: result.data.id };
}

test("over HTTPS, the name-granted operator's list and refusals carry nothing of b: not its name, not its tag", async () => {
  const { client: nora } = await signedIn("nora", [{ kind: "name", value: NAME_GRANT }]);
  const list = await nora.trpc("query", "vms.list", {});
  const listText = await list.text();
  assert.equal(list.status, 200, listText);
  assert.ok(listText.includes(vmA.uuid), "a is listed");
  for (const secret of [vmB.name, vmB.uuid, TAG]) assert.ok(!listText.includes(secret), `the list carries ${secret}`);

  for (const [kind, path, input] of [
    ["query", "vms.get", ref(vmB)],
    ["mutation", "vms.power", { ...ref(vmB), action: "start" }],
    ["mutation", "snapshots.create", { ...ref(vmB), name: "kvmm-grant-intruder" }],
    ["mutation", "guest.exec", { ...ref(vmB), command: "true" }],
  ] as const) {
    const res = await nora.trpc(kind, path, input);
    const body = await res.text();
    assert.equal(res.status, 404, `${path}: ${body}`);
    const { error } = JSON.parse(body) as { error: { message: string; data: { code: string } } };
    assert.deepEqual({ code: error.data.code, message: error.message }, notFound(vmB), path);
    assert.ok(!body.includes(vmB.name) && !body.includes(TAG), `${path} answered ${body}`);
  }
});

/** One signed-in browser's /api/events, read as it arrives. */
class EventStream {
  private raw = "";
  ended = false;

  private constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) return void (this.ended = true);
        this.raw += Buffer.from(value).toString();
      }
    })();
  }

  static async open(client: HttpClient): Promise<EventStream> {
    const res = await client.fetch("/api/events");
    assert.equal(res.status, 200);
    const stream = new EventStream(res.body!.getReader());
    await waitFor(() => stream.raw.includes(": connected"), { timeoutMs: 10_000, what: "the event stream to open" });
    return stream;
  }

  /** Every event so far that is about a VM (it carries a uuid), in order. */
  vmEvents(): { type: string; uuid: string; name: string }[] {
    return this.raw
      .split("\n\n")
      .map((block) => /^event: (\S+)\ndata: (.*)$/m.exec(block))
      .filter((m) => m !== null)
      .map((m) => ({ type: m[1]!, ...(JSON.parse(m[2]!) as { uuid?: string; name?: string }) }))
      .filter((e): e is { type: string; uuid: string; name: string } => /^(domain|guest)\./.test(e.type));
  }

  metadataEvents(vm: Vm): number {
    return this.vmEvents().filter((e) => e.type === "domain.metadata" && e.uuid === vm.uuid).length;
  }

  /** Waits until more than `seen` domain.metadata events about `vm` have arrived. */
  async metadataOf(vm: Vm, seen = 0): Promise<void> {
    await waitFor(() => this.metadataEvents(vm) > seen, {
      timeoutMs: 10_000,
      what: `a domain.metadata event about ${vm.name}`,
      describe: () => JSON.stringify(this.vmEvents()),
    });
  }

  text(): string {
    return this.raw;
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

let pings = 0;
/** A metadata event about the VM, through the admin's own API, as the tags editor makes one. */
async function touch(vm: Vm, keepTags: string[] = []): Promise<void> {
  const res = await web.trpc("mutation", "vms.setTags", { ...ref(vm), tags: [...keepTags, `ping-${++pings}`] });
  assert.equal(res.status, 200, await res.text());
}

test("each narrowed operator's event stream carries the VMs its grant covers and no other", async () => {
  const byNameStream = await EventStream.open((await signedIn("nina", [{ kind: "name", value: NAME_GRANT }])).client);
  const byTagStream = await EventStream.open((await signedIn("tina", [{ kind: "tag", value: TAG }])).client);
  try {
    // Each stream checks its events in the order they happened, so an event about the VM the
    // grant covers, made last, arrives only after every earlier event was let through or dropped.
    await touch(vmB, [TAG]);
    await byTagStream.metadataOf(vmB);
    const seenB = byTagStream.metadataEvents(vmB);
    const extra = await defineIdleDomain(`kvmm-test-grant-b-extra-${id}`); // "defined" and "undefined", covered by neither
    await extra.remove();
    await touch(vmA);
    await touch(vmB, [TAG]);
    await byNameStream.metadataOf(vmA);
    await byTagStream.metadataOf(vmB, seenB);

    assert.deepEqual(
      byNameStream.vmEvents().filter((e) => !e.name.startsWith("kvmm-test-grant-a")),
      [],
      "events about VMs the name grant does not cover",
    );
    assert.deepEqual(
      byTagStream.vmEvents().filter((e) => e.uuid !== vmB.uuid),
      [],
      "events about VMs the tag grant does not cover",
    );
    for (const secret of [vmB.uuid, vmB.name, "kvmm-test-grant-b-extra"]) assert.ok(!byNameStream.text().includes(secret), `nina's stream carries ${secret}`);
    for (const secret of [vmA.uuid, vmA.name, "kvmm-test-grant-b-extra"]) assert.ok(!byTagStream.text().includes(secret), `tina's stream carries ${secret}`);
  } finally {
    await Promise.all([byNameStream.close(), byTagStream.close()]);
  }
});

test("narrowing an operator's grant ends their open stream and session with no event about the VM taken away, and their next stream carries only what the new grant covers", async () => {
  const { client, userId } = await signedIn("wendy", [{ kind: "name", value: "kvmm-test-grant-*" }]);
  const first = await EventStream.open(client);
  await touch(vmB, [TAG]);
  await first.metadataOf(vmB); // b is in scope until the grant changes
  const seen = first.vmEvents().length;

  const narrowed = await web.trpc("mutation", "users.update", { userId, grants: [{ kind: "name", value: NAME_GRANT }] });
  assert.equal(narrowed.status, 200, await narrowed.text());
  await touch(vmB, [TAG]);
  await touch(vmA);
  const aboutB = () =>
    first
      .vmEvents()
      .slice(seen)
      .filter((e) => e.uuid === vmB.uuid);
  await waitFor(() => first.ended || aboutB().length > 0, { timeoutMs: 10_000, what: "wendy's stream to end after her grant was narrowed" });
  assert.deepEqual(aboutB(), [], "events about b after the grant stopped covering it");
  assert.equal(first.ended, true, "the stream ended");

  // The session behind the stream ended with it, so a browser's reconnect is refused.
  assert.equal((await client.fetch("/api/events")).status, 401);
  const again = new HttpClient(server);
  assert.equal((await again.signIn("wendy", PASSWORD)).status, 200);
  const second = await EventStream.open(again);
  try {
    await touch(vmB, [TAG]);
    await touch(vmA);
    await second.metadataOf(vmA);
    assert.deepEqual(
      second.vmEvents().filter((e) => e.uuid === vmB.uuid || e.name === vmB.name),
      [],
      "events about b on the stream opened after the grant changed",
    );
  } finally {
    await second.close();
  }
});
