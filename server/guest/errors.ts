import { ErrorCode } from "@/agent/protocol";
import { ServiceError, translateLibvirtError, type ServiceErrorKind } from "../errors";

/** Why the hub could not serve a guest request, independent of any one agent answer. */
export type GuestErrorCode =
  /** The VM has no org.kvmmanager.agent.0 channel (or no org.qemu.guest_agent.0, for QGA requests). */
  | "no_channel"
  /** The channel exists but no agent answers on it (not installed, not started, guest booting). */
  | "not_connected"
  /** The VM is not running. */
  | "not_running"
  /** The hub was stopped. */
  | "stopped";

/** A failure of the hub itself (as opposed to an error the agent answered). */
export class GuestError extends Error {
  override readonly name = "GuestError";
  constructor(
    readonly code: GuestErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const GUEST_ERROR_KINDS: Record<GuestErrorCode, ServiceErrorKind> = {
  no_channel: "conflict",
  not_connected: "unavailable",
  not_running: "conflict",
  stopped: "unavailable",
};

const RPC_ERROR_KINDS = new Map<number, ServiceErrorKind>([
  [ErrorCode.InvalidParams, "invalid"],
  [ErrorCode.InvalidRequest, "invalid"],
  [ErrorCode.MethodNotFound, "invalid"],
  [ErrorCode.TooLarge, "invalid"],
  [ErrorCode.IoError, "invalid"],
  [ErrorCode.PermissionDenied, "forbidden"],
  [ErrorCode.PathNotAllowed, "forbidden"],
  [ErrorCode.NotFound, "not_found"],
  [ErrorCode.Timeout, "unavailable"],
  [ErrorCode.Busy, "unavailable"],
  [ErrorCode.InternalError, "unavailable"],
  [ErrorCode.ParseError, "unavailable"],
]);

/*
 * Next.js bundles the router separately from the module graph server/main.ts loads, so the hub
 * that main.ts started and the router may hold different copies of these classes: errors are
 * recognised by their name and fields, not with instanceof (libvirt's errors carry a brand).
 */
function isNamed(err: unknown, name: string): err is Error & Record<string, unknown> {
  return err instanceof Error && err.name === name;
}

export function isGuestError(err: unknown, code?: GuestErrorCode): err is GuestError {
  return isNamed(err, "GuestError") && typeof err.code === "string" && (code === undefined || err.code === code);
}

/** An error the agent answered (or the client made up: timeout, channel closed). */
export function isAgentRpcError(err: unknown): err is Error & { code: number; data: unknown } {
  return isNamed(err, "RpcError") && typeof err.code === "number";
}

/**
 * Turns a hub, agent or libvirt failure into a ServiceError that names the VM (libvirt's through
 * the one table in server/errors.ts):
 * `VM "web-1" on host "local": guest agent: file_read: no such file`.
 */
export function toServiceError(context: string, err: unknown): Error {
  if (err instanceof ServiceError) return err;
  if (isGuestError(err)) return new ServiceError(`${context}: ${err.message}`, GUEST_ERROR_KINDS[err.code], { cause: err });
  if (isAgentRpcError(err)) {
    return new ServiceError(`${context}: guest agent: ${err.message}`, RPC_ERROR_KINDS.get(err.code) ?? "invalid", { cause: err });
  }
  const translated = translateLibvirtError(context, err);
  return translated instanceof Error ? translated : new Error(String(translated));
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
