import assert from "node:assert/strict";
import { test } from "node:test";
import { parseApiDocs } from "./api-docs";

const SOURCE = `
/**
 * virDomainReboot:
 * @domain: a domain object
 * @flags: bitwise-OR of virDomainRebootFlagValues
 *
 * Reboot a domain. See @flags for how.
 * @notaparameter: after the blank line, this is prose
 *
 * Returns 0 in case of success and -1 in case of failure.
 */
int
virDomainReboot(virDomainPtr domain, unsigned int flags)
{
    /* a comment inside a function is not documentation */
}

/*
 * virNodeGetSEVInfo:
 *
 * @conn: pointer to the hypervisor connection
 * @flags: extra flags; not used yet, so
 *         callers should always pass 0
 */
`;

test("reads each documented function and its parameters, continuation lines joined", () => {
  const docs = parseApiDocs([{ file: "libvirt-domain.c", text: SOURCE }]);
  assert.deepEqual([...docs.keys()], ["virDomainReboot", "virNodeGetSEVInfo"]);
  assert.deepEqual(Object.fromEntries(docs.get("virDomainReboot")!), {
    domain: "a domain object",
    flags: "bitwise-OR of virDomainRebootFlagValues",
  });
  // A few doc comments open with /* instead of /**, or have a blank line after the name.
  assert.equal(docs.get("virNodeGetSEVInfo")!.get("flags"), "extra flags; not used yet, so callers should always pass 0");
});
