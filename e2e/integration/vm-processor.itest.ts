import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { createCaller } from "@/server/api/root";
import { ServiceError } from "@/server/errors";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";

/**
 * The create form's accelerator and CPU choices against the real libvirtd: what the host's
 * capabilities offer is what the form lists, each choice lands in the domain XML libvirt keeps,
 * and a pair the host cannot run is refused at creation, in words, naming the field. Nothing is
 * started (nested KVM hangs here). VMs are named kvmm-test-cpu-<id>-* and undefined in `after`.
 */
process.env.KVMM_DOMAIN_TYPE = "qemu";
const id = randomBytes(3).toString("hex");
const { db, cleanup } = tempDatabase();
const made: string[] = [];
let api: ReturnType<typeof createCaller>;

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  api = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.40" });
});

after(async () => {
  for (const name of made) await virsh(["undefine", name, "--nvram"]).catch(() => virsh(["undefine", name]).catch(() => undefined));
  await closeAllConnections();
  cleanup();
});

const base = (name: string) => ({
  hostId: "local",
  name,
  vcpus: 1,
  memoryMiB: 64,
  network: { kind: "none" as const },
  graphics: "none" as const,
});

async function create(suffix: string, choice: Partial<Parameters<typeof api.vms.create>[0]>): Promise<string> {
  const name = `kvmm-test-cpu-${id}-${suffix}`;
  made.push(name);
  await api.vms.create({ ...base(name), ...choice });
  return virsh(["dumpxml", "--inactive", name]);
}

async function refusal(call: Promise<unknown>): Promise<{ message: string; field: string | undefined }> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof TRPCError, String(err));
    assert.equal(err.code, "BAD_REQUEST");
    return { message: err.message, field: err.cause instanceof ServiceError ? err.cause.field : undefined };
  }
  assert.fail("the VM was created");
}

test("the host's offer: emulation always, without host-passthrough; KVMM_DOMAIN_TYPE=qemu makes emulation the default", async () => {
  const options = await api.vms.processorOptions({ hostId: "local" });
  assert.equal(options.defaultAccelerator, "qemu");
  const tcg = options.accelerators.find((a) => a.accelerator === "qemu");
  assert.ok(tcg, JSON.stringify(options));
  assert.equal(tcg.cpus.hostPassthrough, false, "TCG cannot pass a CPU through");
  assert.ok(tcg.cpus.models.includes("qemu64"), tcg.cpus.models.join(","));
  assert.deepEqual(tcg.defaultCpu, { mode: "custom", model: "qemu64" });
  const kvmListed = (await virsh(["capabilities"])).includes("<domain type='kvm'/>");
  assert.equal(
    options.accelerators.some((a) => a.accelerator === "kvm"),
    kvmListed,
  );
});

test("emulation with a named model, with host-model, and with the defaults each land in the domain XML", async () => {
  const options = await api.vms.processorOptions({ hostId: "local" });
  const models = options.accelerators.find((a) => a.accelerator === "qemu")!.cpus.models;
  const named = models.find((m) => m !== "qemu64") ?? "qemu64";
  const custom = await create("named", { accelerator: "qemu", cpu: { mode: "custom", model: named } });
  assert.match(custom, /<domain type='qemu'/);
  assert.match(custom, new RegExp(`<cpu mode='custom' match='exact' check='[a-z]+'>\\s*<model fallback='forbid'>${named}</model>`));
  const hostModel = await create("host-model", { accelerator: "qemu", cpu: { mode: "host-model" } });
  assert.match(hostModel, /<domain type='qemu'/);
  assert.match(hostModel, /<cpu mode='host-model' check='partial'/);
  const defaults = await create("defaults", {});
  assert.match(defaults, /<domain type='qemu'/);
  assert.match(defaults, /<model fallback='forbid'>qemu64<\/model>/);
});

// Machines differ (CI's offers /dev/kvm, some do not): each gets the half of the contract it can prove.
test("KVM: offered, the host's CPU passed through lands in the XML; not offered, asking for it is refused naming the accelerator", async () => {
  const options = await api.vms.processorOptions({ hostId: "local" });
  const kvm = options.accelerators.find((a) => a.accelerator === "kvm");
  if (!kvm) {
    const refused = await refusal(create("no-kvm", { accelerator: "kvm", cpu: { mode: "host-passthrough" } }));
    assert.match(refused.message, /does not offer KVM acceleration; choose emulation \(TCG\)/);
    assert.equal(refused.field, "accelerator");
    return;
  }
  assert.deepEqual(kvm.defaultCpu, { mode: "host-passthrough" });
  const xml = await create("kvm", { accelerator: "kvm", cpu: { mode: "host-passthrough" } });
  assert.match(xml, /<domain type='kvm'/);
  assert.match(xml, /<cpu mode='host-passthrough'/);
});

test("a CPU the host cannot provide with the chosen accelerator is refused, naming the CPU field, and nothing is defined", async () => {
  const passthrough = await refusal(create("refused-passthrough", { accelerator: "qemu", cpu: { mode: "host-passthrough" } }));
  assert.match(passthrough.message, /cannot pass its own CPU through to a VM with emulation \(TCG\); choose host-model or a named model/);
  assert.equal(passthrough.field, "cpuMode");
  const unknown = await refusal(create("refused-model", { accelerator: "qemu", cpu: { mode: "custom", model: "kvmm-no-such-cpu" } }));
  assert.match(unknown.message, /cannot provide CPU model "kvmm-no-such-cpu" with emulation \(TCG\)/);
  assert.equal(unknown.field, "cpuModel");
  const listed = await virsh(["list", "--all", "--name"]);
  assert.ok(!listed.includes(`kvmm-test-cpu-${id}-refused`), listed);
});
