import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServiceEntry } from "@/agent/protocol/schemas/services";
import { actionProblem, cutsAccess, filterPackages, filterServices, listProblem, needsConfirmation, problemOfError, serviceActionsFor } from "./services-view";

const svc = (name: string, active_state: string, enabled_state: string | null, description: string | null = null): ServiceEntry => ({
  name,
  description,
  active_state,
  sub_state: active_state === "active" ? "running" : "dead",
  enabled_state,
});

const services = [
  svc("cron.service", "active", "enabled", "Regular background program processing daemon"),
  svc("ssh.service", "inactive", "disabled", "OpenBSD Secure Shell server"),
  svc("broken.service", "failed", "enabled"),
  svc("boot.service", "activating", "static"),
];

describe("filterServices", () => {
  it("matches the name or the description, in any case, and keeps the guest's order", () => {
    assert.deepEqual(
      filterServices(services, "SECURE", "all").map((s) => s.name),
      ["ssh.service"],
    );
    assert.deepEqual(
      filterServices(services, " s", "all").map((s) => s.name),
      ["cron.service", "ssh.service", "broken.service", "boot.service"],
    );
    assert.deepEqual(
      filterServices(services, "cron", "all").map((s) => s.name),
      ["cron.service"],
    );
  });

  it("groups states: activating counts as active, failed only as failed", () => {
    assert.deepEqual(
      filterServices(services, "", "active").map((s) => s.name),
      ["cron.service", "boot.service"],
    );
    assert.deepEqual(
      filterServices(services, "", "inactive").map((s) => s.name),
      ["ssh.service"],
    );
    assert.deepEqual(
      filterServices(services, "", "failed").map((s) => s.name),
      ["broken.service"],
    );
    assert.deepEqual(filterServices(services, "cron", "failed"), []);
  });
});

describe("serviceActionsFor", () => {
  it("offers stop and restart to a running service, start to the others, and enable or disable by its boot state", () => {
    assert.deepEqual(serviceActionsFor(services[0]!), ["stop", "restart", "disable"]);
    assert.deepEqual(serviceActionsFor(services[1]!), ["start", "enable"]);
    assert.deepEqual(serviceActionsFor(services[2]!), ["start", "disable"]);
    assert.deepEqual(serviceActionsFor(services[3]!), ["stop", "restart"], "a static unit has no boot state to change");
    assert.deepEqual(serviceActionsFor(svc("x.service", "inactive", "masked")), ["start"]);
    assert.deepEqual(serviceActionsFor(svc("x", "inactive", null)), ["start"]);
  });
});

describe("confirmations", () => {
  it("asks before stop and disable only", () => {
    assert.deepEqual((["start", "stop", "restart", "enable", "disable"] as const).filter(needsConfirmation), ["stop", "disable"]);
  });

  it("knows the services that cut off remote access", () => {
    for (const name of ["ssh.service", "sshd", "networking.service", "NetworkManager.service", "systemd-networkd.service", "dropbear"])
      assert.ok(cutsAccess(name), name);
    for (const name of ["cron.service", "sshguard.service", "network-online.target"]) assert.ok(!cutsAccess(name), name);
  });
});

describe("problems", () => {
  const view = { running: true, agentState: "connected" as const, capabilities: ["services", "services.manage"] };

  it("says before asking why nothing can be listed", () => {
    assert.equal(listProblem(view), null);
    assert.equal(listProblem({ ...view, running: false }), "notRunning");
    assert.equal(listProblem({ ...view, agentState: "connecting" }), "noAgent");
    assert.equal(listProblem({ ...view, agentState: "absent" }), "noAgent");
    assert.equal(listProblem({ ...view, capabilities: [] }), "listingOff");
  });

  it("says why the buttons are off: the user's permission first, then the agent's switch", () => {
    assert.equal(actionProblem(view, true), null);
    assert.equal(actionProblem(view, false), "noPermission");
    assert.equal(actionProblem({ ...view, capabilities: ["services"] }, true), "actionsOff");
    assert.equal(actionProblem({ ...view, capabilities: ["services"] }, false), "noPermission");
  });

  it("words the agent's and the hub's refusals it knows, and leaves the rest to the server's words", () => {
    const vm = 'VM "web-1" on host "local": ';
    assert.equal(problemOfError(`${vm}guest agent: list_services: the guest runs neither systemd nor OpenRC`), "noInitSystem");
    assert.equal(problemOfError(`${vm}guest agent: service_action is disabled: service_action_enabled is false in the agent config`), "actionsOff");
    assert.equal(problemOfError(`${vm}guest agent: list_services is disabled: services_enabled is false in the agent config`), "listingOff");
    assert.equal(problemOfError(`${vm}the guest agent of 1234 did not connect within 5000 ms (timeout)`), "noAgent");
    assert.equal(problemOfError(`${vm}the VM has no org.kvmmanager.agent.0 channel for the KVM Manager agent`), "noAgent");
    assert.equal(problemOfError(`${vm}the VM is not running`), "notRunning");
    assert.equal(problemOfError(`${vm}guest agent: service_action: Unit kvmm-no-such-unit.service does not exist`), null);
  });
});

describe("filterPackages", () => {
  it("matches names in any case and keeps the guest's order", () => {
    const packages = [{ name: "libc6" }, { name: "openssh-server" }, { name: "LibSSL3" }];
    assert.deepEqual(
      filterPackages(packages, "libs").map((p) => p.name),
      ["LibSSL3"],
    );
    assert.deepEqual(
      filterPackages(packages, " SSH ").map((p) => p.name),
      ["openssh-server"],
    );
    assert.equal(filterPackages(packages, "").length, 3);
  });
});
