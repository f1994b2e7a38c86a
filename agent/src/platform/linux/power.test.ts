import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RpcError } from "../../../protocol/errors";
import { choosePowerCommand, type InitFacts } from "./power";

const none: InitFacts = { systemdRunning: false, openrcRunning: false, pid1: "init", commands: {}, poweroffTarget: null };

describe("choosePowerCommand", () => {
  it("uses systemctl when systemd is running", () => {
    const facts = { ...none, systemdRunning: true, pid1: "systemd", commands: { systemctl: "/usr/bin/systemctl", poweroff: "/usr/sbin/poweroff" } };
    assert.deepEqual(choosePowerCommand("shutdown", false, facts), { method: "systemd", argv: ["/usr/bin/systemctl", "poweroff"] });
    assert.deepEqual(choosePowerCommand("reboot", true, facts), { method: "systemd", argv: ["/usr/bin/systemctl", "--force", "reboot"] });
  });

  it("uses openrc-shutdown under openrc-init, and busybox poweroff on Alpine", () => {
    const openrcInit = { ...none, pid1: "openrc-init", openrcRunning: true, commands: { "openrc-shutdown": "/sbin/openrc-shutdown" } };
    assert.deepEqual(choosePowerCommand("reboot", false, openrcInit), { method: "openrc", argv: ["/sbin/openrc-shutdown", "--reboot", "now"] });
    const alpine = { ...none, openrcRunning: true, commands: { poweroff: "/sbin/poweroff" }, poweroffTarget: "/bin/busybox" };
    assert.deepEqual(choosePowerCommand("shutdown", true, alpine), { method: "openrc", argv: ["/sbin/poweroff", "-f"] });
    const busybox = { ...alpine, openrcRunning: false };
    assert.equal(choosePowerCommand("shutdown", false, busybox).method, "busybox");
  });

  it("says what is missing when nothing can power off", () => {
    assert.throws(
      () => choosePowerCommand("shutdown", false, none),
      (error: RpcError) => /poweroff/.test(error.message),
    );
  });
});
