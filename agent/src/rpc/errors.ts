import { ErrorCode, RpcError } from "../../protocol/errors";

const permissionErrnos = new Set(["EACCES", "EPERM", "EROFS"]);

/** Maps whatever a handler threw to the error the host sees; OS errors keep their errno in `data`. */
export function toRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof errno === "string" && /^E[A-Z0-9]+$/.test(errno)) {
    const data = { errno };
    if (errno === "ENOENT") return new RpcError(ErrorCode.NotFound, message, data);
    if (permissionErrnos.has(errno)) return new RpcError(ErrorCode.PermissionDenied, message, data);
    return new RpcError(ErrorCode.IoError, message, data);
  }
  return new RpcError(ErrorCode.InternalError, `internal error: ${message}`);
}
