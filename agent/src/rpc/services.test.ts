import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { ErrorCode } from "../../protocol/errors";
import { encodeLine } from "../../protocol/framing";
import { methods } from "../../protocol/methods";
import type { ServiceEntry } from "../../protocol/index";
import { Agent } from "../agent";
import { parseConfig } from "../config";
import { Logger, type LogSink } from "../log";
import type { Platform, ServiceManager } from "../platform/platform";
import type { Transport, TransportEvents } from "../transport/transport";
import { Dispatcher } from "./dispatcher";
import { buildHandlers, disabledReason } from "./handlers";

const audit: string[] = [];
const sink: LogSink = { write: (_severity, line) => void audit.push(line) };
const log = new Logger("info", sink);

function service(name: string, active = "active"): ServiceEntry {
  return { name, description: `${name} daemon`, active_state: active, sub_state: active === "active" ? "running" : "dead", enabled_state: "enabled" };
}

class FakeServices implements ServiceManager {
  readonly acted: Array<[string, string, number]> = [];
  constructor(private readonly services: ServiceEntry[]) {}
  async list() {
    return { init: "systemd" as const, services: this.services };
  }
  async act(name: string, action: "start" | "stop" | "restart" | "enable" | "disable", timeoutMs: number) {
    this.acted.push([name, action, timeoutMs]);
    return { init: "systemd" as const, service: service(`${name}.service`, action === "stop" ? "inactive" : "active") };
  }
}

function platform(os: "linux" | "windows", services?: ServiceManager): Platform {
  const unused = () => Promise.reject(new Error("not used by this test"));
  return {
    os,
    devicePath: () => "/dev/null",
    defaultConfigPath: "/dev/null",
    defaultAllowedPaths: ["/tmp"],
    systemInfo: unused,
    networkInfo: unused,
    diskUsage: unused,
    metrics: unused,
    telemetry: unused,
    processes: unused,
    users: unused,
    powerCommand: unused,
    killProcessTree: () => {},
    ...(services
      ? {
          services,
          onlineHotplugged: async () => ({
            cpus_onlined: [2],
            memory_onlined: [],
            failed: [],
            cpus_online: 3,
            memory_blocks_online: 8,
            memory_block_bytes: 134217728,
          }),
          packages: async () => ({
            manager: "dpkg" as const,
            packages: [
              { name: "zsh", version: "5.9-4", arch: "amd64" },
              { name: "a".repeat(400), version: "1", arch: null },
              { name: "cron", version: "3.0pl1-162", arch: "amd64" },
            ],
          }),
        }
      : {}),
  };
}

class IdleTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly kind = "unix-socket" as const;
  start(): void {}
  async write(): Promise<void> {}
  async stop(): Promise<void> {}
}

function setup(configJson: Record<string, unknown>, os: "linux" | "windows" = "linux") {
  const config = parseConfig(JSON.stringify({ telemetry_interval_s: 0, ...configJson }), "test", ["/tmp"]);
  const services = new FakeServices([service("ssh.service"), service("cron.service", "inactive"), service("d".repeat(300) + ".service")]);
  const p = platform(os, os === "linux" ? services : undefined);
  const agent = new Agent({ config, platform: p, transport: new IdleTransport(), log });
  const dispatcher = new Dispatcher({
    handlers: buildHandlers({ config, platform: p, log, agentInfo: () => agent.info(), freezer: null }),
    disabledReason: (capability) => disabledReason(config, capability),
    maxConcurrent: 8,
    maxLineBytes: config.max_request_bytes,
    log,
  });
  const call = async (method: string, params: unknown) => {
    const outcome = await dispatcher.dispatch(encodeLine({ jsonrpc: "2.0", id: 1, method, params }).subarray(0, -1));
    return JSON.parse(outcome.line!.toString()) as { result?: unknown; error?: { code: number; message: string } };
  };
  return { agent, services, call };
}

describe("services and packages through the dispatcher", () => {
  it("lists services and packages by default, sorted by name, cut to limit and the protocol's bounds, valid by the host's schemas", async () => {
    const { agent, call } = setup({});
    assert.ok(agent.info().capabilities.includes("services") && agent.info().capabilities.includes("packages"));
    const listed = await call("list_services", { limit: 2 });
    const services = methods.list_services.result.parse(listed.result);
    assert.deepEqual(
      services.services.map((s) => s.name),
      ["cron.service", "d".repeat(256)],
    );
    assert.equal(services.truncated, true);
    const packages = methods.list_packages.result.parse((await call("list_packages", {})).result);
    assert.deepEqual(
      packages.packages.map((p) => p.name.length),
      [256, 4, 3],
    );
    assert.equal(packages.truncated, true, "a name was cut");
  });

  it("refuses service_action by default (PermissionDenied, not announced), and runs it once service_action_enabled is true, audited", async () => {
    const off = setup({});
    assert.equal(off.agent.info().capabilities.includes("services.manage"), false);
    const refused = await off.call("service_action", { name: "cron", action: "stop" });
    assert.equal(refused.error?.code, ErrorCode.PermissionDenied);
    assert.match(refused.error!.message, /service_action_enabled is false/);
    assert.deepEqual(off.services.acted, []);

    const on = setup({ service_action_enabled: true });
    assert.ok(on.agent.info().capabilities.includes("services.manage"));
    audit.length = 0;
    const answer = methods.service_action.result.parse((await on.call("service_action", { name: "cron", action: "stop" })).result);
    assert.deepEqual(answer.service, service("cron.service", "inactive"));
    assert.deepEqual(on.services.acted, [["cron", "stop", 60_000]]);
    assert.ok(
      audit.some((line) => /^audit .*method=service_action name=cron action=stop outcome=ok active_state=inactive/.test(line)),
      audit.join("\n"),
    );
  });

  it("refuses names that could be options, paths or shell text, and unknown actions, before anything runs", async () => {
    const { call, services } = setup({ service_action_enabled: true });
    for (const name of ["-H", "--root=/", "../etc/passwd", "a/b", "cron; reboot", "$(reboot)", "", "x".repeat(300)]) {
      assert.equal((await call("service_action", { name, action: "stop" })).error?.code, ErrorCode.InvalidParams, name);
    }
    assert.equal((await call("service_action", { name: "cron", action: "mask" })).error?.code, ErrorCode.InvalidParams);
    assert.deepEqual(services.acted, []);
  });

  it("switching services_enabled or packages_enabled off refuses the lists and drops their capabilities", async () => {
    const { agent, call } = setup({ services_enabled: false, packages_enabled: false });
    assert.equal((await call("list_services", {})).error?.code, ErrorCode.PermissionDenied);
    assert.equal((await call("list_packages", {})).error?.code, ErrorCode.PermissionDenied);
    assert.deepEqual(
      agent.info().capabilities.filter((c) => c.startsWith("services") || c === "packages"),
      [],
    );
  });

  it("answers Unsupported on Windows and announces none of the three", async () => {
    const { agent, call } = setup({ service_action_enabled: true }, "windows");
    assert.equal((await call("list_services", {})).error?.code, ErrorCode.Unsupported);
    assert.equal((await call("list_packages", {})).error?.code, ErrorCode.Unsupported);
    assert.equal((await call("service_action", { name: "cron", action: "start" })).error?.code, ErrorCode.Unsupported);
    assert.deepEqual(
      agent.info().capabilities.filter((c) => c.startsWith("services") || c === "packages"),
      [],
    );
  });

  it("online_hotplugged: announced and audited on Linux by default; online_hotplugged_enabled false refuses it; Windows has none", async () => {
    const on = setup({});
    assert.ok(on.agent.info().capabilities.includes("hotplug.online"));
    audit.length = 0;
    const answer = methods.online_hotplugged.result.parse((await on.call("online_hotplugged", {})).result);
    assert.deepEqual(answer.cpus_onlined, [2]);
    assert.ok(
      audit.some((line) => /^audit id=1 method=online_hotplugged outcome=ok cpus_onlined="\[2\]" memory_onlined="\[\]" failed="\[\]"/.test(line)),
      audit.join("\n"),
    );
    const off = setup({ online_hotplugged_enabled: false });
    assert.equal(off.agent.info().capabilities.includes("hotplug.online"), false);
    assert.equal((await off.call("online_hotplugged", {})).error?.code, ErrorCode.PermissionDenied);
    const windows = setup({}, "windows");
    assert.equal(windows.agent.info().capabilities.includes("hotplug.online"), false);
    assert.equal((await windows.call("online_hotplugged", {})).error?.code, ErrorCode.Unsupported);
  });
});
