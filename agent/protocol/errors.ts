/**
 * Error codes of the agent protocol. The five standard codes are JSON-RPC 2.0's;
 * the application codes live in the range the specification reserves for
 * implementation-defined server errors (-32000..-32099).
 */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  PermissionDenied: -32000,
  PathNotAllowed: -32001,
  NotFound: -32002,
  Timeout: -32003,
  TooLarge: -32004,
  Busy: -32005,
  IoError: -32006,
  Unsupported: -32007,
  Conflict: -32008,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

/** One line per code; PROTOCOL.md's error table is generated from this. */
export const errorCodeMeanings: Record<ErrorCodeName, string> = {
  ParseError: "The line is not valid JSON (the response id is null).",
  InvalidRequest: "The JSON is not a valid JSON-RPC 2.0 request, or a batch is empty.",
  MethodNotFound: "The method does not exist (or is unknown to this agent version).",
  InvalidParams: "The params do not match the method's schema; `data.issues` lists the problems.",
  InternalError: "The agent failed unexpectedly while handling the request.",
  PermissionDenied:
    "The feature is disabled in the agent config (exec, file read/write, power, services, service actions, packages, set_user_password, sync_time, self_update), the command is not in `allowed_commands`, an `exec_command` env name is refused (loader, shell and interpreter variables always; with `allowed_commands` set, any name not in `allowed_env`), the OS refused access (EACCES/EPERM), or (`agent_update_begin`) the bundle's signature does not verify with the packaged update key.",
  PathNotAllowed:
    "The path (a file path, or `exec_command`'s `cwd`) is not absolute, or leads outside `allowed_paths`: through `..` above a root, or through a symlink whose target leaves them.",
  NotFound: "The file, directory or command does not exist, or (`set_user_password`) the account.",
  Timeout: "An operation the agent waited for did not finish in time.",
  TooLarge: "A request line, file chunk or response exceeds a configured size limit.",
  Busy: "The agent is already handling its maximum number of concurrent requests.",
  IoError:
    "The operating system reported an I/O error; `data.errno` names it (e.g. ENOSPC, EISDIR). `fs_freeze`: a mount could not be frozen; `data.failed` lists it, `data.thawed_again` what was thawed again.",
  Unsupported:
    "The method exists but this guest's operating system cannot do it (e.g. `fs_freeze` on Windows), or (`agent_update_*`) the package installed no update key or the agent was started without its launcher.",
  Conflict:
    "The request conflicts with the agent's state (e.g. `fs_freeze` while the filesystems are already frozen, a second `agent_update_begin` while an upload is open, an `agent_update_chunk` at the wrong offset).",
};

/** An error that travels on the wire as a JSON-RPC error object. */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.data = data;
  }

  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}
