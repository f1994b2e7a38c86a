import { ErrorCode } from "@/agent/protocol";
import { ServiceError, translateLibvirtError, type ServiceErrorKind } from "../errors";
import { brandSymbol, hasBrand } from "../process-shared";

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

const GUEST_ERROR = brandSymbol("GuestError");

/**
 * A failure of the hub itself (as opposed to an error the agent answered). Branded: the hub that
 * main.ts started throws it, and the routers in Next's copy of this module catch it.
 */
export class GuestError extends Error {
  override readonly name = "GuestError";
  readonly [GUEST_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, GUEST_ERROR);
  }

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
  [ErrorCode.Unsupported, "invalid"],
  [ErrorCode.Conflict, "conflict"],
  [ErrorCode.PermissionDenied, "forbidden"],
  [ErrorCode.PathNotAllowed, "forbidden"],
  [ErrorCode.NotFound, "not_found"],
  [ErrorCode.Timeout, "unavailable"],
  [ErrorCode.Busy, "unavailable"],
  [ErrorCode.InternalError, "unavailable"],
  [ErrorCode.ParseError, "unavailable"],
]);

export function isGuestError(err: unknown, code?: GuestErrorCode): err is GuestError {
  return err instanceof GuestError && (code === undefined || err.code === code);
}

/**
 * An error the agent answered (or the client made up: timeout, channel closed). Matched by name:
 * RpcError belongs to agent/protocol, which runs in guests too and knows nothing of the server's
 * brands (see server/process-shared.ts for why instanceof is not enough).
 */
export function isAgentRpcError(err: unknown): err is Error & { code: number; data: unknown } {
  return err instanceof Error && err.name === "RpcError" && typeof (err as { code?: unknown }).code === "number";
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
