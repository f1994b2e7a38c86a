import assert from "node:assert/strict";
import type { createCaller } from "@/server/api/root";
import type { GuestHub } from "@/server/guest";
import type { GuestShell } from "../../fixtures/debian-guest";
import { waitFor } from "../../fixtures/wait";

/**
 * Issue 15 item 4 in a real Debian 12 guest (systemd 252, dpkg): the agent's list_services,
 * service_action and list_packages through the product's tRPC API, each answer compared with what
 * systemctl and dpkg-query say inside the guest over qemu-guest-agent. The actions run on a unit
 * this check installs (a sleeper): stopping a real service of the test guest could break the
 * checks after it. The guest's agent config is changed to allow service_action and the agent
 * restarted, as an administrator would.
 */
export interface ServicesCheck {
  api: ReturnType<typeof createCaller>;
  hub: GuestHub;
  hostId: string;
  uuid: string;
  shell: GuestShell;
  /** The version of our .deb in the image. */
  agentVersion: string;
  figures: Record<string, number>;
}

const UNIT = "kvmm-sleeper.service";
const UNIT_FILE = `[Unit]
Description=KVM Manager test: sleeps until stopped
[Service]
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
`;
// The packaged config with service_action switched on.
const AGENT_CONFIG = JSON.stringify({
  allowed_paths: ["/tmp", "/var/tmp"],
  exec_enabled: false,
  service_action_enabled: true,
  telemetry_interval_s: 10,
});

export async function checkServices({ api, hub, hostId, uuid, shell, agentVersion, figures }: ServicesCheck): Promise<void> {
  const vm = { hostId, uuid };
  const systemctl = async (...args: string[]) => (await shell.exec("/usr/bin/systemctl", args)).stdout.trim();

  // The list: our agent's unit, journald, and a masked unit's file state from list-unit-files.
  let started = Date.now();
  const listed = await api.guest.services({ ...vm, limit: 4096 });
  figures.listServicesMs = Date.now() - started;
  assert.equal(listed.init_system, "systemd");
  const byName = new Map(listed.services.map((s) => [s.name, s]));
  assert.deepEqual(byName.get("kvmmanager-agent.service"), {
    name: "kvmmanager-agent.service",
    description: "KVM Manager guest agent",
    active_state: "active",
    sub_state: "running",
    enabled_state: "disabled",
  });
  assert.equal(byName.get("systemd-journald.service")?.active_state, "active");
  assert.equal(byName.get("e2scrub_reap.service")?.enabled_state, await systemctl("is-enabled", "e2scrub_reap.service"));
  assert.equal(byName.get("e2scrub_reap.service")?.enabled_state, "masked");

  // The packages: ours with the image's version, and as many as dpkg-query counts installed.
  started = Date.now();
  const packages = await api.guest.packages({ ...vm, limit: 20_000 });
  figures.listPackagesMs = Date.now() - started;
  assert.equal(packages.manager, "dpkg");
  assert.deepEqual(
    packages.packages.find((p) => p.name === "kvmmanager-agent"),
    { name: "kvmmanager-agent", version: agentVersion, arch: "all" },
  );
  const statuses = (await shell.exec("/usr/bin/dpkg-query", ["-W", "-f=${db:Status-Status}\\n"])).stdout.split("\n");
  assert.equal(packages.packages.length, statuses.filter((s) => s === "installed").length);

  // Off by default: the agent refuses before anything runs.
  await assert.rejects(api.guest.serviceAction({ ...vm, name: "kvmm-sleeper", action: "start" }), /service_action_enabled is false/);

  const install = await shell.exec("/bin/sh", [
    "-c",
    'printf "%s" "$1" > /etc/systemd/system/kvmm-sleeper.service && printf "%s" "$2" > /etc/kvmmanager-agent/config.json && systemctl daemon-reload && systemctl restart kvmmanager-agent.service',
    "sh",
    UNIT_FILE,
    AGENT_CONFIG,
  ]);
  assert.equal(install.exitCode, 0, `installing the test unit and config: ${install.stderr}`);
  started = Date.now();
  await waitFor(
    () => {
      const s = hub.status(hostId, uuid);
      return s?.agent.state === "connected" && s.agent.info?.capabilities.includes("services.manage");
    },
    { timeoutMs: 60_000, intervalMs: 250, what: "the restarted agent to announce services.manage" },
  );
  figures.agentRestartToServicesManageMs = Date.now() - started;

  const act = async (action: "start" | "stop" | "restart" | "enable" | "disable") => {
    const begun = Date.now();
    const answer = await api.guest.serviceAction({ ...vm, name: "kvmm-sleeper", action });
    figures[`service${action[0]!.toUpperCase()}${action.slice(1)}Ms`] = Date.now() - begun;
    assert.equal(answer.service.name, UNIT);
    return answer.service;
  };

  const running = await act("start");
  assert.deepEqual([running.active_state, running.sub_state], ["active", "running"]);
  assert.equal(await systemctl("is-active", UNIT), "active");
  const pid = await systemctl("show", "--property=MainPID", "--value", UNIT);

  const restarted = await act("restart");
  assert.equal(restarted.active_state, "active");
  const newPid = await systemctl("show", "--property=MainPID", "--value", UNIT);
  assert.notEqual(newPid, pid, "restart ran a new process");
  assert.notEqual(newPid, "0");

  const stopped = await act("stop");
  assert.deepEqual([stopped.active_state, stopped.sub_state], ["inactive", "dead"]);
  assert.equal(await systemctl("is-active", UNIT), "inactive", "systemctl in the guest reports the unit stopped");

  assert.equal((await act("enable")).enabled_state, "enabled");
  assert.equal(await systemctl("is-enabled", UNIT), "enabled");
  assert.equal((await act("disable")).enabled_state, "disabled");
  assert.equal(await systemctl("is-enabled", UNIT), "disabled");

  await assert.rejects(api.guest.serviceAction({ ...vm, name: "kvmm-no-such-unit", action: "start" }), /kvmm-no-such-unit\.service does not exist/);
  await assert.rejects(api.guest.serviceAction({ ...vm, name: "poweroff.target", action: "start" }), /not a service/);
  assert.equal((await hub.call(hostId, uuid, "ping", {})).pong, true, "the agent answers after the refusals");
}
