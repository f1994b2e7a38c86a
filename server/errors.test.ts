import { test } from "node:test";
import assert from "node:assert/strict";
import { LIBVIRT_ERROR_KINDS, ServiceError, translateLibvirtError, withLibvirtContext } from "./errors";
import { toServiceError } from "./guest/errors";
import { LibvirtConnectionError, VIR_ERR_AGENT_UNRESPONSIVE, VIR_ERR_INTERNAL_ERROR, VIR_ERR_NO_NETWORK, VIR_ERR_XML_ERROR } from "./libvirt";
import { libvirtError } from "./libvirt/testing/errors";

const ctx = 'VM "web-1" on host "local"';

test("one table: an unresponsive guest agent is 'unavailable' and a missing network 'not found', on every path", async () => {
  for (const [code, kind] of [
    [VIR_ERR_AGENT_UNRESPONSIVE, "unavailable"],
    [VIR_ERR_NO_NETWORK, "not_found"],
  ] as const) {
    const err = libvirtError(code, "libvirt says no");
    const viaServices = await withLibvirtContext(ctx, () => Promise.reject(err)).catch((e: unknown) => e);
    const viaGuest = toServiceError(ctx, err);
    for (const mapped of [viaServices, viaGuest]) {
      assert.ok(mapped instanceof ServiceError);
      assert.equal(mapped.kind, kind);
      assert.equal(mapped.message, `${ctx}: libvirt: libvirt says no`);
    }
  }
});

test("every code in the table maps to its kind; codes not in it are 'invalid'; connection failures 'unavailable'", () => {
  for (const [code, kind] of LIBVIRT_ERROR_KINDS) {
    assert.equal((translateLibvirtError(ctx, libvirtError(code, "x")) as ServiceError).kind, kind, `code ${code}`);
  }
  assert.equal((translateLibvirtError(ctx, libvirtError(VIR_ERR_XML_ERROR, "bad XML")) as ServiceError).kind, "invalid");
  assert.equal((translateLibvirtError(ctx, libvirtError(VIR_ERR_INTERNAL_ERROR, "x")) as ServiceError).kind, "invalid");
  const gone = translateLibvirtError(ctx, new LibvirtConnectionError("unavailable", "libvirtd at qemu:///system is not reachable"));
  assert.equal((gone as ServiceError).kind, "unavailable");
  const plain = new Error("not libvirt");
  assert.equal(translateLibvirtError(ctx, plain), plain, "other errors pass through unchanged");
});
