import { test } from "node:test";
import assert from "node:assert/strict";
import { ServiceError } from "../errors";
import type { SessionUser } from "../users/service";
import { assertCoversHost } from "./scope";

const user = (role: SessionUser["role"], grants: SessionUser["grants"]) => ({ role, grants });

test("changing a host's storage and networks is refused, as forbidden, to users narrowed to some of its VMs", () => {
  assert.throws(
    () => assertCoversHost(user("operator", [{ kind: "name", value: "web-*" }]), "local"),
    (err: unknown) => err instanceof ServiceError && err.kind === "forbidden" && /^host "local": your grants cover only some of its VMs/.test(err.message),
  );
  assert.throws(
    () => assertCoversHost(user("viewer", [{ kind: "host", value: "other" }]), "local"),
    /grants cover only some of its VMs/,
    "a grant for another host",
  );
});

test("admins, users without grants and users granted the host pass", () => {
  for (const u of [user("admin", [{ kind: "tag", value: "x" }]), user("viewer", []), user("operator", [{ kind: "host", value: "local" }])]) {
    assert.doesNotThrow(() => assertCoversHost(u, "local"));
  }
});
