import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../../protocol/errors";
import {
  LinuxServices,
  actionArgv,
  chooseInitSystem,
  mergeOpenrcServices,
  mergeSystemdServices,
  parseOpenrcRunlevels,
  parseOpenrcStatus,
  parseSystemdShow,
  parseSystemdUnitFiles,
  parseSystemdUnits,
  type RunTool,
  type ToolResult,
} from "./services";

// Debian 12 (systemd 252): `systemctl list-units --type=service --all --plain --no-legend --full --no-pager`.
const SYSTEMD_UNITS = `cron.service                           loaded    active   running Regular background program processing daemon
e2scrub_reap.service                   loaded    inactive dead    Remove Stale Online ext4 Metadata Check Snapshots
● ifup@eth0.service                    loaded    failed   failed  ifup for eth0
kvmmanager-agent.service               loaded    active   running KVM Manager guest agent
plymouth-start.service                 not-found inactive dead    plymouth-start.service
systemd-journald.service               loaded    active   running Journal Service
systemd-journald.socket                loaded    active   running Journal Socket
`;

// `systemctl list-unit-files --type=service --plain --no-legend --no-pager` (captured on Debian 12).
const SYSTEMD_UNIT_FILES = `apt-daily-upgrade.service              static   -
autovt@.service                        alias    -
cron.service                           enabled  enabled
e2scrub_reap.service                   enabled  enabled
getty@.service                         enabled  enabled
kvmmanager-agent.service               disabled enabled
ssh.service                            masked   enabled
systemd-journald.service               static   -
`;

// Alpine 3.20 (OpenRC 0.54): `rc-status --servicelist --nocolor` and `rc-update show --verbose`.
const OPENRC_STATUS = ` sshd                                                     [  started 00:03:12 (0) ]
 crond                                                    [  stopped  ]
 networking                                               [  started  ]
 qemu-guest-agent                                         [  crashed  ]
`;
const OPENRC_RUNLEVELS = `             crond |
        networking | boot
  qemu-guest-agent |      default
              sshd |      default
            syslog |
`;

describe("systemd services", () => {
  it("joins loaded units with their unit-file state, adds never-loaded unit files as inactive, and drops not-found units and templates", () => {
    const services = mergeSystemdServices(parseSystemdUnits(SYSTEMD_UNITS), parseSystemdUnitFiles(SYSTEMD_UNIT_FILES));
    const byName = new Map(services.map((s) => [s.name, s]));
    assert.deepEqual(byName.get("cron.service"), {
      name: "cron.service",
      description: "Regular background program processing daemon",
      active_state: "active",
      sub_state: "running",
      enabled_state: "enabled",
    });
    assert.deepEqual(byName.get("ifup@eth0.service"), {
      name: "ifup@eth0.service",
      description: "ifup for eth0",
      active_state: "failed",
      sub_state: "failed",
      enabled_state: null,
    });
    assert.equal(byName.get("kvmmanager-agent.service")?.enabled_state, "disabled");
    assert.deepEqual(byName.get("ssh.service"), {
      name: "ssh.service",
      description: null,
      active_state: "inactive",
      sub_state: "dead",
      enabled_state: "masked",
    });
    assert.equal(byName.has("plymouth-start.service"), false);
    assert.equal(byName.has("getty@.service"), false);
    assert.equal(byName.has("systemd-journald.socket"), false);
    assert.equal(services.length, 7);
  });

  it("reads systemctl show's Key=Value lines, keeping '=' inside values", () => {
    assert.deepEqual(parseSystemdShow("Id=cron.service\nDescription=a=b\nActiveState=inactive\n"), {
      Id: "cron.service",
      Description: "a=b",
      ActiveState: "inactive",
    });
  });
});

describe("OpenRC services", () => {
  it("maps rc-status states onto systemd's active states and the runlevels onto enabled/disabled", () => {
    const services = mergeOpenrcServices(parseOpenrcStatus(OPENRC_STATUS), parseOpenrcRunlevels(OPENRC_RUNLEVELS));
    const byName = new Map(services.map((s) => [s.name, s]));
    assert.deepEqual(byName.get("sshd"), { name: "sshd", description: null, active_state: "active", sub_state: "started", enabled_state: "enabled" });
    assert.deepEqual(byName.get("crond"), { name: "crond", description: null, active_state: "inactive", sub_state: "stopped", enabled_state: "disabled" });
    assert.equal(byName.get("qemu-guest-agent")?.active_state, "failed");
    assert.equal(byName.get("networking")?.enabled_state, "enabled");
    assert.deepEqual(byName.get("syslog"), { name: "syslog", description: null, active_state: "inactive", sub_state: "stopped", enabled_state: "disabled" });
  });
});

describe("which init system and which command", () => {
  it("prefers a running systemd, then OpenRC, else none", () => {
    assert.equal(chooseInitSystem({ systemdRunning: true, openrcRunning: false, pid1: "systemd" }, { systemctl: true, rcStatus: false }), "systemd");
    assert.equal(chooseInitSystem({ systemdRunning: false, openrcRunning: true, pid1: "init" }, { systemctl: true, rcStatus: true }), "openrc");
    assert.equal(chooseInitSystem({ systemdRunning: false, openrcRunning: false, pid1: "init" }, { systemctl: true, rcStatus: false }), null);
  });

  it("gives systemctl a service unit after --, and refuses other unit types (poweroff.target must not start)", () => {
    assert.deepEqual(actionArgv("systemd", "stop", "cron"), ["systemctl", "stop", "--", "cron.service"]);
    assert.deepEqual(actionArgv("systemd", "enable", "getty@tty1.service"), ["systemctl", "enable", "--", "getty@tty1.service"]);
    assert.throws(
      () => actionArgv("systemd", "start", "poweroff.target"),
      (error: RpcError) => error.code === ErrorCode.InvalidParams && /is a \.target unit, not a service/.test(error.message),
    );
    assert.deepEqual(actionArgv("openrc", "restart", "sshd"), ["rc-service", "sshd", "restart"]);
    assert.deepEqual(actionArgv("openrc", "enable", "sshd"), ["rc-update", "add", "sshd", "default"]);
    assert.deepEqual(actionArgv("openrc", "disable", "sshd"), ["rc-update", "--all", "del", "sshd"]);
  });
});

function scripted(answers: Record<string, ToolResult>): { run: RunTool; calls: string[][] } {
  const calls: string[][] = [];
  const run: RunTool = async (argv) => {
    calls.push(argv);
    const answer = answers[argv.join(" ")];
    if (!answer) throw new Error(`unexpected ${argv.join(" ")}`);
    return answer;
  };
  return { run, calls };
}

const SHOW = "systemctl show --property=Id,Description,LoadState,ActiveState,SubState,UnitFileState -- cron.service";

describe("LinuxServices.act", () => {
  it("checks the unit exists, runs the action, and answers the state systemctl shows afterwards", async () => {
    let stopped = false;
    const calls: string[][] = [];
    const run: RunTool = async (argv) => {
      calls.push(argv);
      if (argv.join(" ") === "systemctl stop -- cron.service") {
        stopped = true;
        return { code: 0, stdout: "", stderr: "" };
      }
      assert.equal(argv.join(" "), SHOW);
      const state = stopped ? "ActiveState=inactive\nSubState=dead" : "ActiveState=active\nSubState=running";
      return {
        code: 0,
        stdout: `Id=cron.service\nDescription=Regular background program processing daemon\nLoadState=loaded\n${state}\nUnitFileState=enabled\n`,
        stderr: "",
      };
    };
    const result = await new LinuxServices(run, async () => "systemd").act("cron", "stop", 5000);
    assert.deepEqual(result, {
      init: "systemd",
      service: {
        name: "cron.service",
        description: "Regular background program processing daemon",
        active_state: "inactive",
        sub_state: "dead",
        enabled_state: "enabled",
      },
    });
    assert.deepEqual(
      calls.map((c) => c[1]),
      ["show", "stop", "show"],
    );
  });

  it("answers NotFound for a unit systemd does not know, without running the action", async () => {
    const { run, calls } = scripted({ [SHOW]: { code: 0, stdout: "Id=cron.service\nLoadState=not-found\nActiveState=inactive\n", stderr: "" } });
    await assert.rejects(new LinuxServices(run, async () => "systemd").act("cron", "start", 5000), (error: RpcError) => error.code === ErrorCode.NotFound);
    assert.equal(calls.length, 1);
  });

  it("answers IoError with the tool's message when the action fails", async () => {
    const { run } = scripted({
      [SHOW]: { code: 0, stdout: "Id=cron.service\nLoadState=loaded\nActiveState=inactive\n", stderr: "" },
      "systemctl start -- cron.service": { code: 1, stdout: "", stderr: "Job for cron.service failed because the control process exited with error code." },
    });
    await assert.rejects(
      new LinuxServices(run, async () => "systemd").act("cron", "start", 5000),
      (error: RpcError) => error.code === ErrorCode.IoError && /exited with 1: Job for cron.service failed/.test(error.message),
    );
  });

  it("answers Unsupported when the guest runs neither systemd nor OpenRC", async () => {
    const { run } = scripted({});
    await assert.rejects(
      new LinuxServices(run, async () => null).list(),
      (error: RpcError) => error.code === ErrorCode.Unsupported && /neither systemd nor OpenRC/.test(error.message),
    );
  });
});
