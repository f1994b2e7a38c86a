import { ErrorCode } from "../../agent/protocol";
import { DomainError, type DomainErrorKind } from "../errors";
import { VIR_ERR_AGENT_UNRESPONSIVE, VIR_ERR_AGENT_UNSYNCED, VIR_ERR_NO_DOMAIN, VIR_ERR_OPERATION_INVALID } from "../libvirt";

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

const GUEST_ERROR_KINDS: Record<GuestErrorCode, DomainErrorKind> = {
  no_channel: "conflict",
  not_connected: "unavailable",
  not_running: "conflict",
  stopped: "unavailable",
};

const RPC_ERROR_KINDS = new Map<number, DomainErrorKind>([
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
 * recognised by their name and fields, not with instanceof.
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

/** libvirt's "no such domain" (by code, so that it works across module copies and with test doubles). */
export function isNoDomainError(err: unknown): boolean {
  return isNamed(err, "LibvirtError") && err.code === VIR_ERR_NO_DOMAIN;
}

function libvirtKind(err: unknown): DomainErrorKind | null {
  if (isNamed(err, "LibvirtConnectionError")) return "unavailable";
  if (!isNamed(err, "LibvirtError") || typeof err.code !== "number") return null;
  switch (err.code) {
    case VIR_ERR_NO_DOMAIN:
      return "not_found";
    case VIR_ERR_AGENT_UNRESPONSIVE:
    case VIR_ERR_AGENT_UNSYNCED:
      return "unavailable";
    case VIR_ERR_OPERATION_INVALID:
      return "conflict";
    default:
      return "invalid";
  }
}

/**
 * Turns a hub, agent or libvirt failure into a DomainError that names the VM:
 * `VM "web-1" on host "local": guest agent: file_read: no such file`.
 */
export function toDomainError(context: string, err: unknown): Error {
  if (err instanceof DomainError || isNamed(err, "DomainError")) return err as Error;
  if (isGuestError(err)) return new DomainError(`${context}: ${err.message}`, GUEST_ERROR_KINDS[err.code], { cause: err });
  if (isAgentRpcError(err)) {
    return new DomainError(`${context}: guest agent: ${err.message}`, RPC_ERROR_KINDS.get(err.code) ?? "invalid", { cause: err });
  }
  const kind = libvirtKind(err);
  if (kind) {
    const detail = typeof (err as { libvirtMessage?: unknown }).libvirtMessage === "string" ? (err as { libvirtMessage: string }).libvirtMessage : (err as Error).message;
    return new DomainError(`${context}: libvirt: ${detail}`, kind, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
