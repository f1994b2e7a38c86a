import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LIST_MAX } from "./bounds";
import { methods } from "./methods";

// The host checks every answer with these result schemas (client.ts) before it is stored or shown.
const entry = { name: "cron.service", description: "cron", active_state: "active", sub_state: "running", enabled_state: "enabled" };

describe("services and packages: what the host accepts from a guest", () => {
  it("refuses a service list longer than the bound, a description over 256 code units, a state over 64", () => {
    const list = (services: unknown[]) => methods.list_services.result.safeParse({ init_system: "systemd", services }).success;
    assert.equal(list([entry]), true);
    assert.equal(list(Array.from({ length: LIST_MAX.services + 1 }, () => entry)), false);
    assert.equal(list([{ ...entry, description: "d".repeat(257) }]), false);
    assert.equal(list([{ ...entry, active_state: "a".repeat(65) }]), false);
    assert.equal(methods.list_services.result.safeParse({ init_system: "upstart", services: [] }).success, false);
  });

  it("refuses a package list longer than the bound and versions over 256 code units", () => {
    const list = (packages: unknown[]) => methods.list_packages.result.safeParse({ manager: "dpkg", packages }).success;
    const pkg = { name: "cron", version: "3.0pl1-162", arch: "amd64" };
    assert.equal(list([pkg]), true);
    assert.equal(list(Array.from({ length: LIST_MAX.packages + 1 }, () => pkg)), false);
    assert.equal(list([{ ...pkg, version: "1".repeat(257) }]), false);
  });

  it("service_action params: unit names only, never an option, a path or shell text", () => {
    const ok = (name: string) => methods.service_action.params.safeParse({ name, action: "stop" }).success;
    for (const name of ["cron", "cron.service", "getty@tty1.service", "dev-virtio\\x2dports.device", "systemd-journald"]) assert.equal(ok(name), true, name);
    for (const name of ["-H", "--now", "a/b", "..", "cron service", "cron;reboot", "$(id)", "", "x".repeat(248)]) assert.equal(ok(name), false, name);
    assert.equal(methods.service_action.params.safeParse({ name: "cron", action: "mask" }).success, false);
  });
});
