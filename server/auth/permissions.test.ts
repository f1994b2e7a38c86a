import { test } from "node:test";
import assert from "node:assert/strict";
import { coversHost, globToRegExp, roleHas, vmInScope, PERMISSIONS } from "./permissions";

test("admin holds every permission; viewer holds only reads and its own account", () => {
  for (const p of PERMISSIONS) assert.ok(roleHas("admin", p), p);
  const viewer = PERMISSIONS.filter((p) => roleHas("viewer", p));
  assert.ok(
    viewer.every((p) => p === "self" || p.endsWith(".read")),
    viewer.join(","),
  );
});

test("operator may drive VMs and guests but not users, hosts or deletion", () => {
  for (const p of ["vm.power", "vm.console", "vm.snapshot", "guest.exec", "guest.files"] as const) assert.ok(roleHas("operator", p), p);
  for (const p of ["user.manage", "host.manage", "vm.delete", "audit.read"] as const) assert.ok(!roleHas("operator", p), p);
});

test("globs match whole names, with * and ? only; regex characters are literal", () => {
  assert.ok(globToRegExp("web-*").test("web-1"));
  assert.ok(!globToRegExp("web-*").test("my-web-1"));
  assert.ok(globToRegExp("db?").test("db1"));
  assert.ok(!globToRegExp("db?").test("db10"));
  assert.ok(!globToRegExp("a.b").test("axb"));
  assert.ok(globToRegExp("(x)+").test("(x)+"));
});

test("grants narrow non-admins to matching VMs; no grants means all VMs", () => {
  const vm = { hostId: "local", name: "web-1", tags: ["prod"] };
  assert.ok(vmInScope("viewer", [], vm));
  assert.ok(vmInScope("viewer", [{ kind: "name", value: "web-*" }], vm));
  assert.ok(vmInScope("operator", [{ kind: "tag", value: "prod" }], vm));
  assert.ok(vmInScope("operator", [{ kind: "host", value: "local" }], vm));
  assert.ok(
    !vmInScope(
      "operator",
      [
        { kind: "host", value: "other" },
        { kind: "tag", value: "dev" },
      ],
      vm,
    ),
  );
  assert.ok(vmInScope("admin", [{ kind: "host", value: "other" }], vm));
});

test("only admins, users without grants and users granted the host itself cover a whole host", () => {
  assert.ok(coversHost("admin", [{ kind: "name", value: "web-*" }], "local"));
  assert.ok(coversHost("viewer", [], "local"));
  assert.ok(
    coversHost(
      "operator",
      [
        { kind: "name", value: "web-*" },
        { kind: "host", value: "local" },
      ],
      "local",
    ),
  );
  assert.ok(!coversHost("operator", [{ kind: "host", value: "other" }], "local"), "a grant for another host");
  assert.ok(!coversHost("operator", [{ kind: "name", value: "*" }], "local"), "a name glob, even one matching every VM, is not the host");
  assert.ok(!coversHost("viewer", [{ kind: "tag", value: "local" }], "local"), "a tag that happens to spell the host id");
  assert.ok(!coversHost("viewer", [{ kind: "host", value: "loc*" }], "local"), "host grants are exact ids, not globs");
});

test("a user who covers a host has every VM of it in scope", () => {
  const grants = [{ kind: "host", value: "local" }] as const;
  for (const vm of [
    { hostId: "local", name: "a", tags: [] },
    { hostId: "local", name: "zz-9", tags: ["x"] },
  ]) {
    assert.ok(coversHost("operator", grants, vm.hostId) && vmInScope("operator", grants, vm));
  }
});
