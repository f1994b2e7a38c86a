import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { createCaller } from "../../server/api/root";
import { ensureLocalHost } from "../../server/hosts/service";
import { closeAllConnections, getConnection } from "../../server/libvirt/registry";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import { defineWithoutPassthrough } from "../../server/domains/importer";
import { ServiceError } from "../../server/errors";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";

/**
 * Importing domain XML against the real libvirtd. Each spelling of QEMU passthrough (the usual
 * prefix, another prefix, the default namespace, the namespace URI written with character
 * references) is refused by the import and leaves no VM defined. The check libvirt's own
 * definition gets after the define is proven on its own too: the same documents handed straight to
 * it (our pre-check skipped) are defined by libvirt, read back with libvirt's `qemu:` prefix, and
 * undefined again. Every domain is named kvmm-test-import-* and removed in `after`.
 */
const id = randomBytes(3).toString("hex");
const QEMU = "http://libvirt.org/schemas/domain/qemu/1.0";
const created: string[] = [];
const { db, cleanup } = tempDatabase();
let admin: ReturnType<typeof createCaller>;

function domainXml(name: string, extra = "", rootAttrs = ""): string {
  return `<domain type='qemu'${rootAttrs}><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>${extra}</domain>`;
}

/** Spellings libvirt reads as `<qemu:commandline>` or another QEMU passthrough element. */
const VARIANTS: Record<string, (name: string) => string> = {
  prefix: (name) => domainXml(name, `<qemu:commandline><qemu:arg value='-no-user-config'/></qemu:commandline>`, ` xmlns:qemu='${QEMU}'`),
  "other-prefix": (name) => domainXml(name, `<q:commandline xmlns:q='${QEMU}'><q:arg value='-no-user-config'/></q:commandline>`),
  "default-ns": (name) => domainXml(name, `<commandline xmlns='${QEMU}'><arg value='-no-user-config'/></commandline>`),
  "char-refs": (name) =>
    domainXml(name, `<q:commandline xmlns:q='http&#58;//libvirt.org/schemas/domain/qemu&#x2F;1.0'><q:arg value='-no-user-config'/></q:commandline>`),
  "default-ns-refs": (name) =>
    domainXml(name, `<commandline xmlns='&#104;ttp://libvirt.org/schemas/domain/qemu/1.0'><arg value='-no-user-config'/></commandline>`),
  capabilities: (name) => domainXml(name, `<capabilities xmlns='${QEMU}'><del capability='sandbox'/></capabilities>`),
};

const nameFor = (variant: string, path: string) => `kvmm-test-import-${path}-${variant}-${id}`;

async function defined(name: string): Promise<string | null> {
  return virsh(["dumpxml", "--inactive", name]).catch(() => null);
}

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  admin = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.30" });
});

after(async () => {
  for (const name of created) await virsh(["undefine", "--keep-nvram", name]).catch(() => undefined);
  await closeAllConnections();
  cleanup();
});

for (const [variant, xmlOf] of Object.entries(VARIANTS)) {
  test(`import refuses QEMU passthrough spelled as "${variant}" and defines nothing`, async () => {
    const name = nameFor(variant, "api");
    created.push(name);
    const refused = await admin.vms.importXml({ hostId: "local", xml: xmlOf(name) }).then(
      () => null,
      (err: unknown) => err,
    );
    const left = await defined(name);
    assert.equal(left, null, `libvirt holds the imported VM:\n${left}`);
    assert.ok(refused instanceof TRPCError && refused.code === "BAD_REQUEST", `not refused: ${String(refused)}`);
    assert.match(refused.message, /QEMU passthrough .* is not allowed/);
  });

  test(`the check after the define, on its own, catches "${variant}" as libvirt read it and undefines the VM`, async () => {
    const name = nameFor(variant, "post");
    created.push(name);
    const context = `VM "${name}" on host "local"`;
    await assert.rejects(defineWithoutPassthrough(getConnection("local", libvirtUri()), context, xmlOf(name)), (err: unknown) => {
      assert.ok(err instanceof ServiceError && err.kind === "invalid", String(err));
      // libvirt wrote the element back under its own qemu prefix: proof it read the spelling as passthrough.
      assert.match(
        err.message,
        new RegExp(`^VM "${name}" on host "local": QEMU passthrough .*: <domain> binds prefix qemu to it; libvirt had defined it, and it was undefined again$`),
      );
      return true;
    });
    assert.equal(await defined(name), null, "the VM is gone again");
  });
}

test("plain domain XML, with our tags in <metadata>, imports and keeps its metadata", async () => {
  const name = `kvmm-test-import-plain-${id}`;
  created.push(name);
  const metadata = `<metadata><kvmm:vm xmlns:kvmm='https://kvm-manager.dev/xmlns/vm/1'><kvmm:tags><kvmm:tag>imported</kvmm:tag></kvmm:tags></kvmm:vm></metadata>`;
  const { uuid } = await admin.vms.importXml({ hostId: "local", xml: domainXml(name, metadata) });
  const vm = await admin.vms.get({ hostId: "local", uuid });
  assert.equal(vm.name, name);
  assert.deepEqual(vm.tags, ["imported"]);
  assert.doesNotMatch((await defined(name)) ?? "", /libvirt\.org\/schemas\/domain\/qemu/);
  const again = await admin.vms.importXml({ hostId: "local", xml: domainXml(name) }).catch((err: unknown) => err);
  assert.ok(again instanceof TRPCError && again.code === "CONFLICT", String(again));
});
