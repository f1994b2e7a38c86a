import { z } from "zod";
import { procedure, router, vmProcedure } from "../trpc";
import { auditTargets } from "@/server/audit/targets";
import {
  guestExec,
  guestFacts,
  guestFileAccess,
  guestFileList,
  guestFileRead,
  guestFileRemove,
  guestFileRename,
  guestFileStat,
  guestFileWrite,
  guestMetrics,
  guestPower,
  guestProcesses,
  guestQgaFileRead,
  guestQgaFileWrite,
  guestStatus,
  guestPackages,
  guestServiceAction,
  guestServices,
} from "@/server/guest/service";
import { LIST_MAX, SERVICE_NAME_PATTERN, serviceActions } from "@/agent/protocol";
import { QGA_CHUNK_BYTES } from "@/server/guest/qga";
import { guestSetPassword } from "@/server/guest/admin";
import { linuxUserName, PASSWORD_HASH_MAX_CHARS, PASSWORD_MAX_CHARS } from "@/agent/protocol";
import { vmRefSchema } from "@/server/identifiers";
import { offeredAgentBundle } from "@/server/guest/update";
import { MAX_AGENT_UPDATE_VMS, startAgentUpdates } from "@/server/guest/update-batch";

/** The agent release this manager offers for self-update; null when it has no bundle (or an unreadable one: then there is nothing to offer). */
function offeredAgentVersion(): string | null {
  try {
    return offeredAgentBundle()?.version ?? null;
  } catch {
    return null;
  }
}

/**
 * Inside the VM, through our guest agent (and stock qemu-guest-agent where it helps). Like every
 * VM router: `vmProcedure` validates, authorizes, resolves the VM with the user's grants and audits;
 * each procedure is one service call (exec and file transfers are mutations so that they are audited).
 */

const MiB = 1024 * 1024;
/**
 * One file chunk through tRPC. The agent accepts up to 8 MiB, but a tRPC body is held in memory
 * whole (capped at 2 MiB, server/http/body-limit.ts); bigger transfers belong on a streaming route.
 */
const MAX_CHUNK_BYTES = MiB;

const guestPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith("/"), "an absolute path in the guest")
  .refine((p) => !p.includes("\0"), "no NUL characters");

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "an environment variable name");

const execInput = z.object({
  command: z
    .string()
    .min(1)
    .max(4096)
    .refine((c) => !c.includes("\0"), "no NUL characters"),
  args: z.array(z.string().max(65_536)).max(256).default([]),
  stdin: z.string().max(MiB).optional(),
  encoding: z.enum(["utf8", "base64"]).default("utf8"),
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  env: z
    .record(envName, z.string().max(32_768))
    .refine((env) => Object.keys(env).length <= 64, "at most 64 variables")
    .optional(),
  cwd: guestPath.optional(),
});

const powerInput = z.object({
  force: z.boolean().default(false),
  via: z.enum(["auto", "agent", "qga"]).default("auto"),
});

/** chpasswd (ours) and guest-set-user-password (qemu-ga) both read `user:password` lines. */
export const setPasswordInput = z
  .object({
    user: linuxUserName,
    password: z
      .string()
      .min(1, "a password")
      .max(PASSWORD_MAX_CHARS)
      .refine((p) => !/[:\r\n\0]/.test(p), "must not contain ':', a line break or NUL"),
    crypted: z.boolean().default(false),
  })
  .refine((input) => !input.crypted || (input.password.length <= PASSWORD_HASH_MAX_CHARS && /^\$[A-Za-z0-9]+\$[A-Za-z0-9./$=,+-]+$/.test(input.password)), {
    message: "a crypt(3) hash such as $6$salt$hash",
    path: ["password"],
  });

export const guestRouter = router({
  /** Agent connection state, version, capabilities, last telemetry; whether qemu-ga is connected. */
  status: vmProcedure("guest.read").query(async ({ ctx }) => ({ ...(await guestStatus(ctx.vm)), offeredAgentVersion: offeredAgentVersion() })),

  /** System, network, disk and user facts, each with the source it came from (agent, qga, lease, arp). */
  facts: vmProcedure("guest.read").query(({ ctx }) => guestFacts(ctx.vm)),

  metrics: vmProcedure("guest.read").query(({ ctx }) => guestMetrics(ctx.vm)),

  processes: vmProcedure("guest.read")
    .input(
      z.object({
        sortBy: z.enum(["cpu", "memory", "pid", "name"]).default("cpu"),
        limit: z.number().int().min(1).max(1000).default(100),
      }),
    )
    .query(({ ctx, input }) => guestProcesses(ctx.vm, input)),

  /** Runs a program in the guest without a shell; returns its exit status and (capped) output. */
  exec: vmProcedure("guest.exec")
    .input(execInput)
    .mutation(({ ctx, input }) => guestExec(ctx.vm, input)),

  fileStat: vmProcedure("guest.files")
    .input(z.object({ path: guestPath, sha256: z.boolean().default(false) }))
    .query(({ ctx, input }) => guestFileStat(ctx.vm, input)),

  fileList: vmProcedure("guest.files")
    .input(z.object({ path: guestPath, limit: z.number().int().min(1).max(10_000).default(1000) }))
    .query(({ ctx, input }) => guestFileList(ctx.vm, input)),

  /** One chunk of a guest file, base64. A mutation so that every read of guest data is audited. */
  fileRead: vmProcedure("guest.files")
    .input(
      z.object({
        path: guestPath,
        offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
        length: z.number().int().min(1).max(MAX_CHUNK_BYTES).default(MiB),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, input.path);
      return guestFileRead(ctx.vm, input);
    }),

  /**
   * One chunk of an upload, base64. Without `offset` the file is replaced atomically; with it the
   * chunk is written in place. The audit row keeps the path and offset; the content is cut to a
   * short prefix by the audit summariser.
   */
  fileWrite: vmProcedure("guest.files")
    .input(
      z.object({
        path: guestPath,
        contentBase64: z.base64().max(Math.ceil(MAX_CHUNK_BYTES / 3) * 4),
        offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
        createDirs: z.boolean().default(false),
        mode: z.number().int().min(0).max(0o7777).optional(),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, input.path);
      return guestFileWrite(ctx.vm, input);
    }),

  /** Which way the Files tab reaches the guest's files (our agent, qemu-ga by path, or neither) and where browsing starts. */
  fileAccess: vmProcedure("guest.files").query(({ ctx }) => guestFileAccess(ctx.vm)),

  /** Renames within the agent's allowed paths, replacing a file at `to` in one step (an upload's temporary into place). */
  fileRename: vmProcedure("guest.files")
    .input(z.object({ from: guestPath, to: guestPath }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, input.to);
      return guestFileRename(ctx.vm, input);
    }),

  /** Removes a file or symlink (not directories): a cancelled or failed upload's temporary. */
  fileRemove: vmProcedure("guest.files")
    .input(z.object({ path: guestPath }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, input.path);
      return guestFileRemove(ctx.vm, input);
    }),

  /** One chunk (at most 64 KiB) through stock qemu-guest-agent's guest-file-*, for guests without our agent. */
  qgaFileRead: vmProcedure("guest.files")
    .input(
      z.object({
        path: guestPath,
        offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
        length: z.number().int().min(1).max(QGA_CHUNK_BYTES).default(QGA_CHUNK_BYTES),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, input.path);
      return guestQgaFileRead(ctx.vm, input);
    }),

  /** One upload chunk (at most 64 KiB) through qemu-guest-agent: offset 0 creates or truncates the file. */
  qgaFileWrite: vmProcedure("guest.files")
    .input(
      z.object({
        path: guestPath,
        offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        contentBase64: z.base64().max(Math.ceil(QGA_CHUNK_BYTES / 3) * 4),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, input.path);
      return guestQgaFileWrite(ctx.vm, input);
    }),

  /** Orderly shutdown from inside the guest: our agent, else qemu-guest-agent. */
  shutdown: vmProcedure("vm.power")
    .input(powerInput)
    .mutation(({ ctx, input }) => guestPower(ctx.vm, "shutdown", input)),

  reboot: vmProcedure("vm.power")
    .input(powerInput)
    .mutation(({ ctx, input }) => guestPower(ctx.vm, "reboot", input)),

  /**
   * Sets a guest account's password (issue 15 item 4): our agent hashes it in the guest with
   * chpasswd, else qemu-guest-agent. `guest.exec`: whoever may run commands as root in the guest can
   * set any password there anyway, and nobody who may not should take over its console. The audit
   * row names the VM and the user; `password` is a key the audit summariser always redacts.
   */
  setPassword: vmProcedure("guest.exec")
    .input(setPasswordInput)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `user "${input.user}"`);
      return guestSetPassword(ctx.vm, input);
    }),
  // Services and packages (issue 15).
  /** The guest's services (systemd units or OpenRC scripts) with their active and enabled state, by name. */
  services: vmProcedure("guest.read")
    .input(z.object({ limit: z.number().int().min(1).max(LIST_MAX.services).default(1000) }))
    .query(({ ctx, input }) => guestServices(ctx.vm, input)),

  /**
   * Starts, stops, restarts, enables or disables one service. guest.exec, not guest.read: whoever may
   * run commands in the guest may also stop its services, and nobody with less (stopping ssh or the
   * network locks users out as surely as a command would).
   */
  serviceAction: vmProcedure("guest.exec")
    .input(
      z.object({
        name: z.string().regex(SERVICE_NAME_PATTERN, "a service name: letters, digits and :_.@\\- only, not starting with -"),
        action: z.enum(serviceActions),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `service ${input.name}`);
      return guestServiceAction(ctx.vm, input);
    }),

  /**
   * Updates the agent of each VM to the bundle this manager offers (issue 15 item 5): one task per
   * VM (progress, cancel until the commit, the rollback's reason as its error), AGENT_UPDATE_CONCURRENCY
   * at a time. guest.exec: the agent runs as root, and replacing it is replacing what runs as root —
   * though only with this manager's own signed build, never code the user picks. One audit row per VM.
   */
  agentUpdate: procedure("guest.exec")
    .input(z.object({ vms: z.array(vmRefSchema).min(1).max(MAX_AGENT_UPDATE_VMS) }))
    .mutation(async ({ ctx, input }) => {
      const started = await startAgentUpdates(ctx.db, ctx.user, input.vms);
      ctx.audit.items = started.vms.map((vm) => ({
        target: vm.target,
        input: { hostId: vm.hostId, uuid: vm.uuid, version: started.version, taskId: vm.taskId ?? undefined },
        result: vm.error ? "error" : "ok",
        error: vm.error,
      }));
      return { version: started.version, vms: started.vms.map(({ target: _target, ...vm }) => vm) };
    }),

  /** Installed packages (dpkg, rpm or apk) with version and architecture, by name. */
  packages: vmProcedure("guest.read")
    .input(z.object({ limit: z.number().int().min(1).max(LIST_MAX.packages).default(LIST_MAX.packages) }))
    .query(({ ctx, input }) => guestPackages(ctx.vm, input)),
});
