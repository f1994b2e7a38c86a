import { access, constants, realpath, stat } from "../../fs-async";
import path from "node:path";
import { ErrorCode, RpcError } from "../../../protocol/errors";
import type { PowerAction, PowerCommand } from "../platform";
import { readText } from "./read";

/** What the guest's init system looks like; gathered once per request, decided on by a pure function. */
export interface InitFacts {
  systemdRunning: boolean;
  pid1: string;
  openrcRunning: boolean;
  /** Absolute path of each command found in PATH. */
  commands: Partial<Record<"systemctl" | "openrc-shutdown" | "poweroff" | "reboot", string>>;
  /** Where poweroff/reboot really point (busybox applets are symlinks to busybox). */
  poweroffTarget: string | null;
}

export function choosePowerCommand(action: PowerAction, force: boolean, facts: InitFacts): PowerCommand {
  const { commands } = facts;
  if (facts.systemdRunning && commands.systemctl) {
    const verb = action === "shutdown" ? "poweroff" : "reboot";
    return { method: "systemd", argv: [commands.systemctl, ...(force ? ["--force"] : []), verb] };
  }
  if (facts.pid1 === "openrc-init" && commands["openrc-shutdown"]) {
    const flag = action === "shutdown" ? "--poweroff" : "--reboot";
    return { method: "openrc", argv: [commands["openrc-shutdown"], flag, "now"] };
  }
  const program = action === "shutdown" ? commands.poweroff : commands.reboot;
  if (program) {
    const method = facts.openrcRunning ? "openrc" : facts.poweroffTarget?.endsWith("busybox") ? "busybox" : "sysvinit";
    return { method, argv: [program, ...(force ? ["-f"] : [])] };
  }
  throw new RpcError(ErrorCode.NotFound, `${action}: found neither systemctl, openrc-shutdown nor ${action === "shutdown" ? "poweroff" : "reboot"}`);
}

export async function gatherInitFacts(searchPath: string): Promise<InitFacts> {
  const [systemdRunning, openrcRunning, pid1, systemctl, openrcShutdown, poweroff, reboot] = await Promise.all([
    isDirectory("/run/systemd/system"),
    isDirectory("/run/openrc"),
    readText("/proc/1/comm"),
    which("systemctl", searchPath),
    which("openrc-shutdown", searchPath),
    which("poweroff", searchPath),
    which("reboot", searchPath),
  ]);
  const commands: InitFacts["commands"] = {};
  if (systemctl) commands.systemctl = systemctl;
  if (openrcShutdown) commands["openrc-shutdown"] = openrcShutdown;
  if (poweroff) commands.poweroff = poweroff;
  if (reboot) commands.reboot = reboot;
  return {
    systemdRunning,
    openrcRunning,
    pid1: pid1?.trim() ?? "",
    commands,
    poweroffTarget: poweroff ? await realpath(poweroff).catch(() => null) : null,
  };
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() ?? false;
}

/** The absolute path of `command` in `searchPath`, or null. */
export async function which(command: string, searchPath: string): Promise<string | null> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return null;
}
