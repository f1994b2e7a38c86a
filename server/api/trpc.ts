import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z, ZodError } from "zod";
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import { roleHas, type Permission } from "../auth/permissions";
import { writeAudit } from "../audit/log";
import { signedOutRefusals } from "../audit/signed-out";
import { ServiceError, type ServiceErrorKind } from "../errors";
import { LibvirtError } from "../libvirt";
import { hostIdSchema, vmRefSchema } from "../identifiers";
import { resolveHost } from "../hosts/connection";
import { assertCoversHost } from "../hosts/scope";
import { resolveVm } from "../domains/lookup";
import { auditTargets } from "../audit/targets";
import { failureKey } from "../domains/failure-explanations";
import { fieldErrors } from "./error-words";
import { englishErrors } from "./english-errors";

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
    /**
     * A refused input answers its issues (`zodIssues`) for forms to put next to their fields
     * (server/api/error-words.ts), and a message in words for everything else; a ServiceError
     * about one input names it (`field`); a failure libvirt or QEMU worded that we know gets an
     * explanation for people (server/domains/failure-explanations.ts): its catalog key
     * (`explanationKey`, errors.explained.*) for pages to word in the reader's language, and the
     * English `explanation` for clients that show text as it comes.
     */
    errorFormatter({ shape, error }) {
      const zodError = error.cause instanceof ZodError ? error.cause : null;
      // Only libvirt's and QEMU's own words are explained: a guest's "No such file" is about the guest.
      const explanationKey = error.cause instanceof ServiceError && error.cause.cause instanceof LibvirtError ? failureKey(shape.message) : null;
      const message = zodError ? (fieldErrors({ message: "", data: { zodIssues: zodError.issues } }, {}, englishErrors).form ?? shape.message) : shape.message;
      return {
        ...shape,
        message,
        data: {
          ...shape.data,
          stack: undefined,
          zodIssues: zodError?.issues ?? null,
          field: error.cause instanceof ServiceError ? (error.cause.field ?? null) : null,
          explanationKey,
          explanation: explanationKey ? englishErrors(`explained.${explanationKey}`) : null,
        },
      };
    },
  });

const SERVICE_TO_TRPC: Record<ServiceErrorKind, TRPC_ERROR_CODE_KEY> = {
  not_found: "NOT_FOUND",
  conflict: "CONFLICT",
  forbidden: "FORBIDDEN",
  invalid: "BAD_REQUEST",
  unavailable: "SERVICE_UNAVAILABLE",
};

function asTrpcError(error: TRPCError): TRPCError {
  const cause = error.cause;
  if (!(cause instanceof ServiceError)) return error;
  return new TRPCError({ code: SERVICE_TO_TRPC[cause.kind], message: cause.message, cause });
}

export interface AuditScope {
  /**
   * What the call acts on, in one of the canonical forms of server/audit/targets.ts: set by
   * vmProcedure/hostProcedure, narrowed by a procedure that acts on a part (a pool, a snapshot).
   */
  target: string | null;
  /**
   * Set by a procedure that acts on many things at once (`vms.batch`): one row per thing, each
   * with its own canonical target and result, written instead of the call's own row when the call
   * answers. A call refused or failed as a whole still writes its one row.
   */
  items: AuditItem[] | null;
}

export interface AuditItem {
  target: string;
  input: unknown;
  result: "ok" | "error" | "invalid";
  error: string | null;
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
  const audit: AuditScope = { target: null, items: null };
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
  if (result.ok && audit.items) {
    for (const item of audit.items) {
      writeAudit(ctx.db, { userId: user.id, username: user.username, action: path, clientIp: ctx.clientIp, ...item });
    }
    return result;
  }
  if (result.ok) {
    record("ok");
    return result;
  }
  const error = asTrpcError(result.error);
  record(error.code === "BAD_REQUEST" ? "invalid" : "error", error.message);
  return { ...result, error };
});

/**
 * A procedure that acts on no host and no VM: the caller's own account (`auth.*`), user accounts,
 * the audit log. Routers built on it set `ctx.audit.target` themselves (`auditTargets.user`).
 */
export function procedure(permission: Permission) {
  return t.procedure.meta({ permission }).use(authorizeAndAudit);
}

/**
 * A procedure on a host's own resources (pools, volumes, networks, host facts, new VMs): the
 * input carries `hostId`; the host is resolved once and put on `ctx.host`, the audit target is
 * the host. Reads are narrowed to the user's grants by the services; a change (a mutation) needs
 * grants that cover the whole host, since these resources serve every VM on it.
 */
export function hostProcedure(permission: Permission) {
  return procedure(permission)
    .input(z.object({ hostId: hostIdSchema }))
    .use(({ ctx, input, type, next }) => {
      ctx.audit.target = auditTargets.host(input.hostId);
      const host = resolveHost(ctx.db, input.hostId);
      if (type === "mutation") assertCoversHost(ctx.user, host.id);
      return next({ ctx: { host } });
    });
}

/**
 * A procedure on one VM: the input carries `hostId` and `uuid`; the VM is looked up once, checked
 * against the user's grants (out of scope answers "not found", like a missing VM) and put on
 * `ctx.vm`; the audit target is the VM (`VM "web-1" on host "local"`).
 */
export function vmProcedure(permission: Permission) {
  return procedure(permission)
    .input(vmRefSchema)
    .use(async ({ ctx, input, next }) => {
      ctx.audit.target = auditTargets.vmById(input.hostId, input.uuid);
      const host = resolveHost(ctx.db, input.hostId);
      const vm = await resolveVm(host, ctx.user, input.uuid);
      ctx.audit.target = vm.context;
      return next({ ctx: { vm } });
    });
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
