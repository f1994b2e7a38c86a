import { childProcess } from "../../child-process";
import { ErrorCode, RpcError } from "../../../protocol/errors";
import { clip } from "../../../protocol/bounds";
import type { ServiceActionName, ServiceEntry } from "../../../protocol/index";
import type { ServiceManager } from "../platform";
import { gatherInitFacts, which, type InitFacts } from "./power";

/**
 * Services through the guest's init system. The tools are run with execFile (no shell), a fixed
 * PATH and LC_ALL=C; their text output is parsed by the pure functions below, which the unit tests
 * feed with captured samples; platform/fit.ts cuts the answer to the protocol's bounds. Text, not `systemctl --output=json`: list-units and list-unit-files
 * speak JSON only since systemd 246 (RHEL 8 ships 239, Ubuntu 20.04 245), while
 * `--plain --no-legend --full` reads the same on every version: a unit name has no spaces and the
 * description, the only free text, is the last column and cannot hold a newline.
 */

const LIST_TIMEOUT_MS = 30_000;
/** Output cap of one listing tool: 4,096 services at ~200 bytes each, with room. */
const MAX_TOOL_OUTPUT = 4 * 1024 * 1024;

export type InitSystem = "systemd" | "openrc";

export function chooseInitSystem(
  facts: Pick<InitFacts, "systemdRunning" | "openrcRunning" | "pid1">,
  tools: { systemctl: boolean; rcStatus: boolean },
): InitSystem | null {
  if (facts.systemdRunning && tools.systemctl) return "systemd";
  if ((facts.openrcRunning || facts.pid1 === "openrc-init") && tools.rcStatus) return "openrc";
  return null;
}

/** `systemctl list-units --type=service --all --plain --no-legend --full`: UNIT LOAD ACTIVE SUB DESCRIPTION. */
export function parseSystemdUnits(text: string): Map<string, { load: string; active: string; sub: string; description: string | null }> {
  const units = new Map<string, { load: string; active: string; sub: string; description: string | null }>();
  for (const raw of text.split("\n")) {
    // Failed units carry a "●" (or "*" without UTF-8) before the name, even with --plain on some versions.
    const line = raw.replace(/^\s*(?:●|\*)?\s*/, "");
    const match = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!match || !match[1]!.endsWith(".service")) continue;
    const description = match[5]?.trim() || null;
    units.set(match[1]!, { load: match[2]!, active: match[3]!, sub: match[4]!, description });
  }
  return units;
}

/** `systemctl list-unit-files --type=service --plain --no-legend`: UNIT STATE [PRESET] (PRESET since systemd 245). */
export function parseSystemdUnitFiles(text: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^\s*(\S+\.service)\s+(\S+)/.exec(line);
    if (match) files.set(match[1]!, match[2]!);
  }
  return files;
}

/**
 * Loaded units with their unit-file state, and unit files never loaded as inactive/dead.
 * Template units (`getty@.service`) are left out: they cannot run themselves, their instances are listed.
 */
export function mergeSystemdServices(units: ReturnType<typeof parseSystemdUnits>, files: Map<string, string>): ServiceEntry[] {
  const services = new Map<string, ServiceEntry>();
  for (const [name, unit] of units) {
    // A not-found unit is only a name something referred to (Wants=): nothing to show or act on.
    if (unit.load === "not-found") continue;
    services.set(name, {
      name,
      description: unit.description,
      active_state: unit.active,
      sub_state: unit.sub,
      enabled_state: files.get(name) ?? (unit.load === "masked" ? "masked" : null),
    });
  }
  for (const [name, state] of files) {
    if (services.has(name) || name.endsWith("@.service")) continue;
    services.set(name, { name, description: null, active_state: "inactive", sub_state: "dead", enabled_state: state });
  }
  return [...services.values()];
}

/** `systemctl show --property=…`: Key=Value lines. */
export function parseSystemdShow(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) values[line.slice(0, at)] = line.slice(at + 1);
  }
  return values;
}

const OPENRC_ACTIVE: Record<string, string> = {
  started: "active",
  stopped: "inactive",
  crashed: "failed",
  failed: "failed",
  starting: "activating",
  stopping: "deactivating",
  inactive: "inactive",
};

/** `rc-status --servicelist --nocolor`: " name  [ state … ]" (newer OpenRC adds the uptime after the state). */
export function parseOpenrcStatus(text: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^\s*(\S+)\s+\[\s*([A-Za-z]+)[^\]]*\]\s*$/.exec(line);
    if (match) states.set(match[1]!, match[2]!.toLowerCase());
  }
  return states;
}

/** `rc-update show --verbose`: " name | runlevel runlevel" (nothing after the bar: in no runlevel). */
export function parseOpenrcRunlevels(text: string): Map<string, string[]> {
  const runlevels = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const match = /^\s*(\S+)\s*\|(.*)$/.exec(line);
    if (match) runlevels.set(match[1]!, match[2]!.trim().split(/\s+/).filter(Boolean));
  }
  return runlevels;
}

export function mergeOpenrcServices(states: Map<string, string>, runlevels: Map<string, string[]>): ServiceEntry[] {
  const names = new Set([...runlevels.keys(), ...states.keys()]);
  return [...names].map((name) => {
    const state = states.get(name) ?? "stopped";
    const levels = runlevels.get(name);
    return {
      name,
      description: null,
      active_state: OPENRC_ACTIVE[state] ?? state,
      sub_state: state,
      enabled_state: levels === undefined ? null : levels.length > 0 ? "enabled" : "disabled",
    };
  });
}

/** The unit systemctl is given: `.service` added to a bare name; another suffix is not a service (`poweroff.target` must not start). */
export function systemdUnit(name: string): string {
  if (name.endsWith(".service")) return name;
  const suffix = /\.(target|socket|timer|mount|automount|swap|path|slice|scope|device)$/.exec(name);
  if (suffix) throw new RpcError(ErrorCode.InvalidParams, `service_action: "${name}" is a .${suffix[1]} unit, not a service`);
  return `${name}.service`;
}

/** The argv of one action (program names resolved through the fixed PATH by execFile). */
export function actionArgv(init: InitSystem, action: ServiceActionName, name: string): string[] {
  if (init === "systemd") return ["systemctl", action, "--", systemdUnit(name)];
  if (action === "enable") return ["rc-update", "add", name, "default"];
  if (action === "disable") return ["rc-update", "--all", "del", name];
  return ["rc-service", name, action];
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs an init or package tool without a shell; a non-zero exit is a result, a timeout or a missing tool is thrown. */
export type RunTool = (argv: string[], timeoutMs: number) => Promise<ToolResult>;

export function toolRunner(searchPath: string): RunTool {
  return (argv, timeoutMs) =>
    new Promise((resolve, reject) => {
      childProcess().execFile(
        argv[0]!,
        argv.slice(1),
        { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: MAX_TOOL_OUTPUT, env: { ...process.env, PATH: searchPath, LC_ALL: "C", SYSTEMD_COLORS: "0" } },
        (error, stdout, stderr) => {
          if (!error) return resolve({ code: 0, stdout, stderr });
          const failure = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          if (failure.code === "ENOENT") return reject(new RpcError(ErrorCode.NotFound, `${argv[0]} is not installed`));
          if (failure.killed) return reject(new RpcError(ErrorCode.Timeout, `${argv.join(" ")} did not finish within ${timeoutMs} ms`));
          if (failure.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER")
            return reject(new RpcError(ErrorCode.TooLarge, `${argv[0]} wrote more than ${MAX_TOOL_OUTPUT} bytes`));
          if (typeof failure.code === "number") return resolve({ code: failure.code, stdout, stderr });
          reject(new RpcError(ErrorCode.IoError, `${argv[0]}: ${failure.message}`));
        },
      );
    });
}

function failed(argv: string[], result: ToolResult): RpcError {
  const detail = clip((result.stderr || result.stdout).trim(), 1024);
  return new RpcError(ErrorCode.IoError, `${argv.join(" ")} exited with ${result.code}${detail ? `: ${detail}` : ""}`);
}

async function checked(run: RunTool, argv: string[], timeoutMs: number): Promise<string> {
  const result = await run(argv, timeoutMs);
  if (result.code !== 0) throw failed(argv, result);
  return result.stdout;
}

const SHOW_PROPERTIES = "--property=Id,Description,LoadState,ActiveState,SubState,UnitFileState";

export class LinuxServices implements ServiceManager {
  constructor(
    private readonly run: RunTool,
    private readonly detect: () => Promise<InitSystem | null>,
  ) {}

  /** Asked at each call: the agent may start before the init system is fully up. */
  static detectIn(searchPath: string): () => Promise<InitSystem | null> {
    return async () => {
      const [facts, rcStatus] = await Promise.all([gatherInitFacts(searchPath), which("rc-status", searchPath)]);
      return chooseInitSystem(facts, { systemctl: Boolean(facts.commands.systemctl), rcStatus: rcStatus !== null });
    };
  }

  private async init(method: string): Promise<InitSystem> {
    const init = await this.detect();
    if (!init) throw new RpcError(ErrorCode.Unsupported, `${method}: the guest runs neither systemd nor OpenRC`);
    return init;
  }

  async list(): Promise<{ init: InitSystem; services: ServiceEntry[] }> {
    const init = await this.init("list_services");
    if (init === "systemd") {
      const [units, files] = await Promise.all([
        checked(this.run, ["systemctl", "list-units", "--type=service", "--all", "--plain", "--no-legend", "--full", "--no-pager"], LIST_TIMEOUT_MS),
        checked(this.run, ["systemctl", "list-unit-files", "--type=service", "--plain", "--no-legend", "--no-pager"], LIST_TIMEOUT_MS),
      ]);
      return { init, services: mergeSystemdServices(parseSystemdUnits(units), parseSystemdUnitFiles(files)) };
    }
    const [states, runlevels] = await Promise.all([
      checked(this.run, ["rc-status", "--servicelist", "--nocolor"], LIST_TIMEOUT_MS),
      checked(this.run, ["rc-update", "show", "--verbose"], LIST_TIMEOUT_MS),
    ]);
    return { init, services: mergeOpenrcServices(parseOpenrcStatus(states), parseOpenrcRunlevels(runlevels)) };
  }

  async act(name: string, action: ServiceActionName, timeoutMs: number): Promise<{ init: InitSystem; service: ServiceEntry }> {
    const init = await this.init("service_action");
    const argv = actionArgv(init, action, name);
    // Known before acting, so that an unknown name is NotFound rather than the tool's exit status.
    await this.state(init, name, timeoutMs);
    const result = await this.run(argv, timeoutMs);
    if (result.code !== 0) throw failed(argv, result);
    return { init, service: await this.state(init, name, timeoutMs) };
  }

  private async state(init: InitSystem, name: string, timeoutMs: number): Promise<ServiceEntry> {
    if (init === "systemd") {
      const unit = systemdUnit(name);
      const show = parseSystemdShow(await checked(this.run, ["systemctl", "show", SHOW_PROPERTIES, "--", unit], timeoutMs));
      if (!show.LoadState || show.LoadState === "not-found") throw new RpcError(ErrorCode.NotFound, `service ${unit} does not exist`);
      return {
        name: show.Id || unit,
        description: show.Description || null,
        active_state: show.ActiveState ?? "unknown",
        sub_state: show.SubState ?? "unknown",
        enabled_state: show.UnitFileState || null,
      };
    }
    const { services } = await this.list();
    const found = services.find((service) => service.name === name);
    if (!found) throw new RpcError(ErrorCode.NotFound, `service ${name} does not exist`);
    return found;
  }
}
