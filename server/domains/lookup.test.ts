import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { LibvirtError, uuidFromString, VIR_ERR_NO_DOMAIN, type Connection } from "../libvirt";
import { ServiceError } from "../errors";
import type { SessionUser } from "../users/service";
import { resolveVm } from "./lookup";

const uuid = randomUUID();
const SECRET = "kvmm-secret-project";
const tagGranted: SessionUser = { id: 2, username: "tess", role: "operator", grants: [{ kind: "tag", value: "web" }], locale: null, sessionId: "s" };

/** A connection whose VM is found by UUID and then fails the read of its XML, as libvirt words it. */
function vanishingVm(): Connection {
  const dom = { name: SECRET, uuid: uuidFromString(uuid), id: -1 };
  const gone = new LibvirtError(
    {
      code: VIR_ERR_NO_DOMAIN,
      domain: 10,
      level: 2,
      // libvirt's qemu driver names the domain it was handed.
      message: `Domain not found: no domain with matching uuid '${uuid}' (${SECRET})`,
      dom: null,
      str1: null,
      str2: null,
      str3: null,
      int1: 0,
      int2: 0,
      net: null,
    },
    { procedure: "domainGetXmlDesc", uri: "qemu:///system" },
  );
  return {
    domainLookupByUuid: async () => dom,
    domainGetXmlDesc: async () => {
      throw gone;
    },
  } as unknown as Connection;
}

test("a VM undefined while a tag grant is checked answers like a missing VM, without its name", async () => {
  const host = { id: "local", uri: "qemu:///system", conn: vanishingVm(), context: 'host "local"' };
  const err = await resolveVm(host, tagGranted, uuid).catch((e: unknown) => e);
  assert.ok(err instanceof ServiceError, String(err));
  assert.deepEqual({ kind: err.kind, message: err.message }, { kind: "not_found", message: `VM ${uuid} on host "local": not found` });
});
