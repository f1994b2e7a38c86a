import { ErrorCode, RpcError } from "../../protocol/errors";
import type { AgentInfo } from "../../protocol/index";
import type { Capability, MethodName } from "../../protocol/methods";
import type { AgentConfig } from "../config";
import { envAllowList } from "../exec/env";
import { resolveCommand } from "../exec/resolve";
import { runCommand } from "../exec/run";
import type { Freezer } from "../freeze/freezer";
import { fileList, fileRead, fileRemove, fileRename, fileStat, fileWrite, type FileLimits } from "../files/operations";
import type { Logger, LogFields } from "../log";
import {
  fitDiskUsage,
  fitMetrics,
  fitNetworkInfo,
  fitPackageList,
  fitProcessList,
  fitServiceEntry,
  fitServiceList,
  fitSystemInfo,
  fitUsers,
} from "../platform/fit";
import type { Platform, PowerAction } from "../platform/platform";
import { startPowerCommand } from "../power/act";
import { readEtcPasswd, setUserPassword, type PasswordDeps } from "../account/password";
import { runSystemCommand } from "../account/run";
import { syncTime, type ClockDeps } from "../clock/sync-time";
import { LIST_MAX } from "../../protocol/bounds";
import { SERVICE_ACTION_TIMEOUT_MS } from "../../protocol/schemas/services";
import type { Uploads } from "../update/upload";
import type { Handlers, RequestContext } from "./dispatcher";

export interface HandlerDeps {
  config: AgentConfig;
  platform: Platform;
  log: Logger;
  agentInfo(): AgentInfo;
  /** Null where freezing is not supported (Windows: it would need VSS). */
  freezer: Freezer | null;
  /** chpasswd/getent and date; the real programs by default (tests inject fakes). */
  account?: PasswordDeps;
  clock?: ClockDeps;
  /** Self-update (issue 15 item 5): absent when the bundle was not started by its launcher. */
  update?: { uploads: Uploads; restart(): void };
}

/** How long after answering agent_update_commit the agent exits, so the answer leaves first. */
export const UPDATE_RESTART_IN_MS = 200;

const switches: Partial<Record<Capability, keyof AgentConfig>> = {
  exec: "exec_enabled",
  "file.read": "file_read_enabled",
  "file.write": "file_write_enabled",
  "file.manage": "file_write_enabled",
  power: "power_enabled",
  // Password and clock (issue 15 item 4).
  "user.password": "set_user_password_enabled",
  "time.sync": "sync_time_enabled",
  // Services and packages (issue 15).
  services: "services_enabled",
  "services.manage": "service_action_enabled",
  packages: "packages_enabled",
  // Self-update (issue 15 item 5).
  update: "self_update_enabled",
  "hotplug.online": "online_hotplugged_enabled",
};

export function disabledReason(config: AgentConfig, capability: Capability): string | null {
  const key = switches[capability];
  return key && config[key] === false ? `${key} is false in the agent config` : null;
}

export function buildHandlers(deps: HandlerDeps): Handlers {
  const { config, platform, log } = deps;
  const files: FileLimits = { roots: config.allowed_paths, maxChunkBytes: config.max_file_chunk_bytes };
  const audited = auditor(log);
  const power = (action: PowerAction) => (params: { force?: boolean | undefined }, context: RequestContext) =>
    audited(context, { force: params.force ?? false }, async () => {
      const override = config.power_commands?.[action];
      const command = override ? { method: "config", argv: override } : await platform.powerCommand(action, params.force ?? false);
      context.afterResponse(() => startPowerCommand(command.argv, context.id, log));
      return { accepted: true as const, method: command.method };
    });

  const freezer = (method: string): Freezer => {
    if (deps.freezer) return deps.freezer;
    throw new RpcError(ErrorCode.Unsupported, `${method}: freezing filesystems is not supported on ${platform.os} guests (it would need VSS)`);
  };

  const linuxOnly = (method: string): void => {
    if (platform.os !== "linux") throw new RpcError(ErrorCode.Unsupported, `${method}: not supported on ${platform.os} guests`);
  };
  const update = (method: string) => {
    if (deps.update) return deps.update;
    throw new RpcError(ErrorCode.Unsupported, `${method}: this agent was started without its launcher (kvmm-launcher.cjs), which self-update needs`);
  };
  const services = (method: string) => {
    if (platform.services) return platform.services;
    throw new RpcError(ErrorCode.Unsupported, `${method}: not supported on ${platform.os} guests`);
  };

  return {
    ping: () => ({ pong: true, time: new Date().toISOString() }),
    sync: (params) => ({ id: params.id }),
    get_agent_info: () => deps.agentInfo(),
    // Cut to the protocol's bounds: the host refuses longer lists and strings (platform/fit.ts).
    get_system_info: async () => fitSystemInfo(await platform.systemInfo()),
    get_network_info: async () => fitNetworkInfo(await platform.networkInfo()),
    get_disk_usage: async (params) => fitDiskUsage(await platform.diskUsage(params.include_pseudo ?? false)),
    get_metrics: async () => fitMetrics(await platform.metrics()),
    list_processes: async (params) => fitProcessList(await platform.processes({ sortBy: params.sort_by ?? "cpu", limit: params.limit ?? 100 })),
    get_users: async () => fitUsers(await platform.users()),
    exec_command: (params, context) =>
      audited(context, { command: params.command, args: params.args, cwd: params.cwd }, async () => {
        const executable = await resolveCommand(params.command, {
          allowed: config.allowed_commands,
          searchPath: process.env.PATH ?? "",
          extensions: platform.os === "windows" ? (process.env.PATHEXT ?? ".EXE").split(";") : [],
        });
        const result = await runCommand(executable, params, {
          outputCap: config.exec_output_max_bytes,
          defaultTimeoutMs: config.exec_default_timeout_ms,
          maxTimeoutMs: config.exec_max_timeout_ms,
          killTree: platform.killProcessTree,
          roots: config.allowed_paths,
          allowedEnv: envAllowList(config.allowed_env, config.allowed_commands),
        });
        return Object.assign(result, { [auditDetail]: { exit_code: result.exit_code, timed_out: result.timed_out, pid: result.pid } });
      }),
    file_stat: (params, context) => audited(context, { path: params.path }, () => fileStat(params, files)),
    file_list: (params, context) => audited(context, { path: params.path }, () => fileList(params, files)),
    file_read: (params, context) => audited(context, { path: params.path, offset: params.offset, length: params.length }, () => fileRead(params, files)),
    file_write: (params, context) =>
      audited(context, { path: params.path, offset: params.offset }, async () => {
        const result = await fileWrite(params, files);
        return Object.assign(result, { [auditDetail]: { bytes: result.bytes_written } });
      }),
    file_rename: (params, context) => audited(context, { from: params.from, to: params.to }, () => fileRename(params, files)),
    file_remove: (params, context) => audited(context, { path: params.path }, () => fileRemove(params, files)),
    fs_freeze: (params, context) =>
      audited(context, { timeout_s: params.timeout_s }, async () => {
        const result = await freezer("fs_freeze").freeze(params.timeout_s);
        return Object.assign(result, { [auditDetail]: { frozen: result.frozen } });
      }),
    fs_thaw: (_params, context) =>
      audited(context, {}, async () => {
        const result = await freezer("fs_thaw").thaw();
        return Object.assign(result, { [auditDetail]: { thawed: result.thawed, failed: result.failed.map((f) => f.mount) } });
      }),
    fs_freeze_status: () => freezer("fs_freeze_status").status(),
    shutdown: power("shutdown"),
    reboot: power("reboot"),
    // Password and clock (issue 15 item 4). The audit record names the user, never the password.
    set_user_password: (params, context) =>
      audited(context, { username: params.username, crypted: params.crypted ?? false }, async () => {
        linuxOnly("set_user_password");
        return setUserPassword(
          params,
          deps.account ?? { run: runSystemCommand, readPasswd: readEtcPasswd, outsideSandbox: process.env.KVMM_AGENT_SANDBOXED === "1" },
        );
      }),
    sync_time: (params, context) =>
      audited(context, {}, async () => {
        linuxOnly("sync_time");
        const result = await syncTime(params.time_ms, deps.clock ?? { run: runSystemCommand, now: Date.now, monotonic: () => performance.now() });
        return Object.assign(result, { [auditDetail]: { offset_ms: result.offset_ms } });
      }),
    // Services and packages (issue 15): sorted by name, cut to `limit` and to the protocol's bounds (platform/fit.ts).
    list_services: async (params) => {
      const { init, services: list } = await services("list_services").list();
      return fitServiceList(init, list, params.limit ?? LIST_MAX.services);
    },
    service_action: (params, context) =>
      audited(context, { name: params.name, action: params.action }, async () => {
        const { init, service } = await services("service_action").act(params.name, params.action, params.timeout_ms ?? SERVICE_ACTION_TIMEOUT_MS.default);
        const result = { init_system: init, action: params.action, service: fitServiceEntry(service) };
        return Object.assign(result, { [auditDetail]: { active_state: result.service.active_state, enabled_state: result.service.enabled_state } });
      }),
    online_hotplugged: (_params, context) =>
      audited(context, {}, async () => {
        if (!platform.onlineHotplugged) throw new RpcError(ErrorCode.Unsupported, `online_hotplugged: not supported on ${platform.os} guests`);
        const result = await platform.onlineHotplugged();
        return Object.assign(result, {
          [auditDetail]: { cpus_onlined: result.cpus_onlined, memory_onlined: result.memory_onlined, failed: result.failed.map((f) => f.device) },
        });
      }),
    list_packages: async (params) => {
      if (!platform.packages) throw new RpcError(ErrorCode.Unsupported, `list_packages: not supported on ${platform.os} guests`);
      const { manager, packages } = await platform.packages();
      return fitPackageList(manager, packages, params.limit ?? LIST_MAX.packages);
    },
    // Self-update (issue 15 item 5): chunks are not audited one by one; begin, commit and abort are.
    agent_update_begin: (params, context) =>
      audited(context, { version: params.version, size: params.size, sha256: params.sha256 }, () => update("agent_update_begin").uploads.begin(params)),
    agent_update_chunk: (params) => update("agent_update_chunk").uploads.chunk(params),
    agent_update_commit: (params, context) =>
      audited(context, { update_id: params.update_id }, async () => {
        const { uploads, restart } = update("agent_update_commit");
        const result = await uploads.commit(params);
        context.afterResponse(() => setTimeout(restart, UPDATE_RESTART_IN_MS));
        return Object.assign(
          { ...result, restart_in_ms: UPDATE_RESTART_IN_MS },
          { [auditDetail]: { version: result.version, previous_version: result.previous_version } },
        );
      }),
    agent_update_abort: (params, context) => audited(context, { update_id: params.update_id }, () => update("agent_update_abort").uploads.abort(params)),
  };
}

/** Extra facts a handler wants in its audit record; a symbol key never reaches the wire. */
const auditDetail = Symbol("auditDetail");

function auditor(log: Logger) {
  return async <T extends object>(context: RequestContext, fields: LogFields, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const base = { id: context.id ?? null, method: context.method as MethodName, ...fields };
    try {
      const result = await work();
      const detail = (result as { [auditDetail]?: LogFields })[auditDetail];
      log.audit({ ...base, outcome: "ok", ...detail, ms: Math.round(performance.now() - started) });
      return result;
    } catch (error) {
      const code = error instanceof RpcError ? error.code : ErrorCode.InternalError;
      log.audit({ ...base, outcome: "error", code, error: (error as Error).message, ms: Math.round(performance.now() - started) });
      throw error;
    }
  };
}
