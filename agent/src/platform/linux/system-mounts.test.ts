import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { INIT_MOUNTS, OWN_MOUNTS, chooseMountView } from "./system-mounts";

const links = (init: string, self: string) => (path: string) => {
  if (path === "/proc/1/ns/mnt") return init;
  if (path === "/proc/self/ns/mnt") return self;
  throw new Error(`unexpected ${path}`);
};

describe("chooseMountView", () => {
  it("takes init's mounts, reached through /proc/1/root, when the agent runs in a namespace of its own (a sandboxed unit)", () => {
    const view = chooseMountView(links("mnt:[4026531840]", "mnt:[4026532215]"));
    assert.equal(view, INIT_MOUNTS);
    assert.equal(view.mounts, "/proc/1/mounts");
    assert.equal(view.mountinfo, "/proc/1/mountinfo");
    assert.equal(view.path("/"), "/proc/1/root");
    assert.equal(view.path("/home"), "/proc/1/root/home");
  });

  it("keeps its own when it shares init's namespace, or may not look into init's", () => {
    assert.equal(chooseMountView(links("mnt:[4026531840]", "mnt:[4026531840]")), OWN_MOUNTS);
    const denied = () => {
      throw Object.assign(new Error("EACCES: permission denied, readlink '/proc/1/ns/mnt'"), { code: "EACCES" });
    };
    assert.equal(chooseMountView(denied), OWN_MOUNTS);
    assert.equal(OWN_MOUNTS.path("/home"), "/home");
    assert.equal(OWN_MOUNTS.mounts, "/proc/self/mounts");
  });
});
