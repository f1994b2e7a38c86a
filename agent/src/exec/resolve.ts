import { access, constants } from "../fs-async";
import path from "node:path";
import { ErrorCode, RpcError } from "../../protocol/errors";

export interface CommandPolicy {
  /** When set, only these exact strings may be requested (bare names or absolute paths). */
  allowed: string[] | undefined;
  /** The agent's own PATH: a request's `env.PATH` must not change what an allow-listed name runs. */
  searchPath: string;
  /** Windows executable extensions (PATHEXT); empty elsewhere. */
  extensions: string[];
}

/**
 * Turns the requested command into the absolute path that will be executed.
 * Matching the allow-list on the requested string, not on realpath, matters:
 * busybox applets all resolve to one binary, and allowing `ls` must not allow `sh`.
 */
export async function resolveCommand(command: string, policy: CommandPolicy): Promise<string> {
  if (policy.allowed && !policy.allowed.includes(command)) {
    throw new RpcError(ErrorCode.PermissionDenied, `exec_command: ${command} is not in allowed_commands`);
  }
  if (path.isAbsolute(command)) {
    if (await isExecutable(command)) return command;
    throw new RpcError(ErrorCode.NotFound, `exec_command: ${command} does not exist or is not executable`);
  }
  if (command.includes("/") || command.includes(path.sep)) {
    throw new RpcError(ErrorCode.InvalidParams, `exec_command: ${command}: give a bare name or an absolute path`);
  }
  for (const dir of policy.searchPath.split(path.delimiter).filter(Boolean)) {
    for (const extension of ["", ...policy.extensions]) {
      const candidate = path.join(dir, command + extension);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  throw new RpcError(ErrorCode.NotFound, `exec_command: ${command} not found in PATH`);
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}
