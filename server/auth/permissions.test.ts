import { test } from "node:test";
import assert from "node:assert/strict";
import { globToRegExp, roleHas, vmInScope, PERMISSIONS } from "./permissions";

test("admin holds every permission; viewer holds only reads and its own account", () => {
  for (const p of PERMISSIONS) assert.ok(roleHas("admin", p), p);
  const viewer = PERMISSIONS.filter((p) => roleHas("viewer", p));
  assert.ok(viewer.every((p) => p === "self" || p.endsWith(".read")), viewer.join(","));
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
  assert.ok(!vmInScope("operator", [{ kind: "host", value: "other" }, { kind: "tag", value: "dev" }], vm));
  assert.ok(vmInScope("admin", [{ kind: "host", value: "other" }], vm));
});
