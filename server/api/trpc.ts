import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z, ZodError } from "zod";
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import { roleHas, type Permission } from "../auth/permissions";
import { writeAudit } from "../audit/log";
import { signedOutRefusals } from "../audit/signed-out";
import { ServiceError, type ServiceErrorKind } from "../errors";

export interface Context {
  db: Db;
  user: SessionUser | null;
  clientIp: string;
}

/** Every procedure names the permission it needs; there is no procedure without one. */
export interface Meta {
  permission: Permission;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    errorFormatter({ shape, error }) {
      const zodError = error.cause instanceof ZodError ? error.cause : null;
      return {
        ...shape,
        message: zodError ? z.prettifyError(zodError) : shape.message,
        data: { ...shape.data, stack: undefined, zodIssues: zodError?.issues ?? null },
      };
    },
  });

const DOMAIN_TO_TRPC: Record<ServiceErrorKind, TRPC_ERROR_CODE_KEY> = {
  not_found: "NOT_FOUND",
  conflict: "CONFLICT",
  forbidden: "FORBIDDEN",
  invalid: "BAD_REQUEST",
  unavailable: "SERVICE_UNAVAILABLE",
};

function asTrpcError(error: TRPCError): TRPCError {
  const cause = error.cause;
  if (!(cause instanceof ServiceError)) return error;
  return new TRPCError({ code: DOMAIN_TO_TRPC[cause.kind], message: cause.message, cause });
}

/** Names the thing a call acts on, for the audit row, from the usual input fields. */
function defaultTarget(input: unknown): string | null {
  if (typeof input !== "object" || input === null) return null;
  const o = input as Record<string, unknown>;
  if (typeof o.hostId === "string" && typeof o.uuid === "string") return `vm ${o.hostId}/${o.uuid}`;
  if (typeof o.username === "string") return `user "${o.username}"`;
  if (typeof o.userId === "number") return `user #${o.userId}`;
  if (typeof o.hostId === "string") return `host ${o.hostId}`;
  return null;
}

export interface AuditScope {
  /** Set by a procedure when it knows a better name for its target than the input gives. */
  target: string | null;
}

const authorizeAndAudit = t.middleware(async ({ ctx, meta, path, type, getRawInput, next }) => {
  const permission = meta?.permission;
  if (!permission) {
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `procedure "${path}" declares no permission` });
  }
  if (!ctx.user) {
    // Nothing of a signed-out caller's input is read, parsed or stored.
    if (type === "mutation") signedOutRefusals().note(ctx.db, ctx.clientIp, path);
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  }
  const rawInput = await getRawInput().catch(() => undefined);
  const audit: AuditScope = { target: defaultTarget(rawInput) };
  const user = ctx.user;
  const record = (result: "ok" | "error" | "denied" | "invalid", error?: string) => {
    if (type !== "mutation") return;
    writeAudit(ctx.db, {
      userId: user.id,
      username: user.username,
      action: path,
      target: audit.target,
      input: rawInput,
      result,
      error,
      clientIp: ctx.clientIp,
    });
  };
  if (!roleHas(ctx.user.role, permission)) {
    record("denied", `role ${ctx.user.role} lacks ${permission}`);
    throw new TRPCError({ code: "FORBIDDEN", message: `Your role (${ctx.user.role}) may not do this: it needs ${permission}.` });
  }
  const result = await next({ ctx: { user: ctx.user, audit } });
  if (result.ok) {
    record("ok");
    return result;
  }
  const error = asTrpcError(result.error);
  record(error.code === "BAD_REQUEST" ? "invalid" : "error", error.message);
  return { ...result, error };
});

export function procedure(permission: Permission) {
  return t.procedure.meta({ permission }).use(authorizeAndAudit);
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
