import { z } from "zod";
import { procedure, router } from "../trpc";
import type { Db } from "@/server/db/client";
import { hosts } from "@/server/db/schema";
import { auditTargets } from "@/server/audit/targets";
import { ServiceError } from "@/server/errors";
import { hostIdSchema, TAG_PATTERN } from "@/server/identifiers";
import type { SessionUser } from "@/server/users/service";
import { vmVisibleTo } from "@/server/events/visibility";
import { coversHost } from "@/server/auth/permissions";
import { publish } from "@/server/events/bus";
import { ALERT_SEVERITIES, ALERT_STATES } from "@/server/alerts/kinds";
import { ruleInputSchema, scopeSchema } from "@/server/alerts/rules";
import { listVms } from "@/server/domains/service";
import { alertView } from "@/server/alerts/view";
import {
  acknowledgeAlert,
  createRule,
  createSilence,
  deleteRule,
  endSilence,
  getAlert,
  getRule,
  getSilence,
  listAlerts,
  listRules,
  listSilences,
  setRuleEnabled,
  silenceActiveAlerts,
  updateRule,
  type AlertRow,
  type SilenceInput,
} from "@/server/alerts/store";
import { resolveHost } from "@/server/hosts/connection";
import { tagsOf } from "@/server/domains/tags";
import { uuidFromString } from "@/server/libvirt";

const idSchema = z.number().int().positive();

/** What a silence covers: one rule's alerts, one VM's, or those of every VM with a tag. */
const silenceTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("rule"), ruleId: idSchema }),
  z.object({ kind: z.literal("vm"), hostId: hostIdSchema, uuid: z.uuid() }),
  z.object({ kind: z.literal("tag"), tag: z.string().regex(TAG_PATTERN, "a tag is 1–32 letters, digits, . _ -") }),
]);

const MAX_SILENCE_MS = 90 * 24 * 3600_000;

function hostUri(db: Db) {
  const uris = new Map(
    db
      .select({ id: hosts.id, uri: hosts.uri })
      .from(hosts)
      .all()
      .map((h) => [h.id, h.uri]),
  );
  return (hostId: string) => uris.get(hostId);
}

/** Users see the alerts of the VMs they may see, and host alerts of the hosts their grants cover. */
async function maySee(db: Db, user: SessionUser, row: Pick<AlertRow, "hostId" | "uuid" | "vmName">, uriOf = hostUri(db)): Promise<boolean> {
  if (row.uuid === null || row.vmName === null) return coversHost(user.role, user.grants, row.hostId);
  return vmVisibleTo(user, { hostId: row.hostId, uuid: row.uuid, name: row.vmName }, uriOf);
}

/** A user narrowed by grants acts only on what lies wholly inside them: a rule or a tag spans VMs they may not see. */
function assertUnrestricted(user: SessionUser, what: string) {
  if (user.role !== "admin" && user.grants.length > 0) {
    throw new ServiceError(`Your grants cover only some VMs, so you cannot ${what}; silence a single VM instead.`, "forbidden");
  }
}

/** A VM's tags for a tag silence, from libvirt metadata (cached); none when its host or the VM is gone. */
function alertVmTags(db: Db, row: AlertRow): Promise<readonly string[]> {
  if (row.uuid === null || row.vmName === null) return Promise.resolve([]);
  try {
    const { conn } = resolveHost(db, row.hostId);
    return tagsOf(row.hostId, conn, { name: row.vmName, uuid: uuidFromString(row.uuid), id: -1 }, row.uuid).catch(() => []);
  } catch {
    return Promise.resolve([]);
  }
}

/**
 * A new silence, which also covers the alerts already active that it matches: silencing an alert
 * from /alerts takes it out of the firing count at once, not only the ones that fire later.
 */
async function silenceNow(db: Db, input: SilenceInput, username: string) {
  const silence = createSilence(db, input, username);
  await silenceActiveAlerts(db, silence, (row) => alertVmTags(db, row));
  return silence;
}

function describe(row: AlertRow): string {
  const about = row.uuid ? auditTargets.vm(row.hostId, row.vmName ?? row.uuid) : auditTargets.host(row.hostId);
  return `rule "${row.ruleName}" on ${about}`;
}

/**
 * Alert rules, alerts and silences. Reading needs alert.read (every role); acknowledging and
 * silencing alert.ack (operators and admins); editing rules alert.manage (admins).
 */
export const alertsRouter = router({
  rules: procedure("alert.read").query(({ ctx }) => listRules(ctx.db)),

  createRule: procedure("alert.manage")
    .input(ruleInputSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.alertRule(input.name);
      return createRule(ctx.db, input);
    }),

  updateRule: procedure("alert.manage")
    .input(z.object({ id: idSchema, rule: ruleInputSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.alertRuleById(input.id);
      ctx.audit.target = auditTargets.alertRule(getRule(ctx.db, input.id).name);
      return updateRule(ctx.db, input.id, input.rule);
    }),

  enableRule: procedure("alert.manage")
    .input(z.object({ id: idSchema, enabled: z.boolean() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.alertRuleById(input.id);
      ctx.audit.target = auditTargets.alertRule(getRule(ctx.db, input.id).name);
      return setRuleEnabled(ctx.db, input.id, input.enabled);
    }),

  /**
   * The VMs a rule's scope matches now, for the rule editor (as the evaluator matches them: tags
   * from libvirt metadata), narrowed to what the caller may see; a host that does not answer is named.
   */
  previewScope: procedure("alert.manage")
    .input(scopeSchema)
    .query(async ({ ctx, input }) => {
      const lists = await listVms(ctx.db, ctx.user, input.kind === "host" || input.kind === "vm" ? input.hostId : undefined);
      const vms = lists
        .flatMap((list) => list.vms)
        .filter((vm) => input.kind !== "tag" || vm.tags.includes(input.tag))
        .filter((vm) => input.kind !== "vm" || vm.uuid === input.uuid)
        .map((vm) => ({ hostId: vm.hostId, uuid: vm.uuid, name: vm.name }));
      return { vms, unreachable: lists.filter((list) => list.error !== null).map((list) => list.hostId) };
    }),

  /** The rule goes; its alerts stay in the history under its name, and its active ones resolve on the next tick. */
  deleteRule: procedure("alert.manage")
    .input(z.object({ id: idSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.alertRuleById(input.id);
      ctx.audit.target = auditTargets.alertRule(getRule(ctx.db, input.id).name);
      deleteRule(ctx.db, input.id);
    }),

  /** Newest first, narrowed to what the caller may see (so a page can hold fewer than `limit`). */
  list: procedure("alert.read")
    .input(
      z
        .object({
          severity: z.enum(ALERT_SEVERITIES).optional(),
          state: z.enum(ALERT_STATES).optional(),
          hostId: hostIdSchema.optional(),
          uuid: z.uuid().optional(),
          before: idSchema.optional(),
          limit: z.number().int().min(1).max(500).default(100),
        })
        .default({ limit: 100 }),
    )
    .query(async ({ ctx, input }) => {
      const rows = listAlerts(ctx.db, input);
      const uriOf = hostUri(ctx.db);
      const visible = await Promise.all(rows.map((row) => maySee(ctx.db, ctx.user, row, uriOf)));
      return rows.filter((_, i) => visible[i]).map(alertView);
    }),

  acknowledge: procedure("alert.ack")
    .input(z.object({ id: idSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.alert(input.id);
      const alert = getAlert(ctx.db, input.id);
      // An alert the caller may not see answers as one that does not exist.
      if (!(await maySee(ctx.db, ctx.user, alert))) throw new ServiceError(`Alert ${input.id} does not exist.`, "not_found");
      ctx.audit.target = auditTargets.alert(input.id, describe(alert));
      const row = acknowledgeAlert(ctx.db, input.id, ctx.user.username);
      if (!row.silenced) publish({ type: "alert", hostId: row.hostId, uuid: row.uuid, name: row.vmName, alert: alertView(row) });
      return alertView(row);
    }),

  silences: procedure("alert.read")
    .input(z.object({ includeEnded: z.boolean().default(false) }).default({ includeEnded: false }))
    .query(({ ctx, input }) => listSilences(ctx.db, Date.now(), input.includeEnded)),

  silence: procedure("alert.ack")
    .input(
      z.object({
        target: silenceTargetSchema,
        endsAt: z.number().int().positive(),
        reason: z.string().trim().min(1).max(500),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { target } = input;
      if (input.endsAt > Date.now() + MAX_SILENCE_MS) throw new ServiceError("A silence lasts at most 90 days.", "invalid", { field: "endsAt" });
      if (target.kind === "rule") {
        ctx.audit.target = auditTargets.alertRuleById(target.ruleId);
        ctx.audit.target = auditTargets.alertRule(getRule(ctx.db, target.ruleId).name);
        assertUnrestricted(ctx.user, "silence a whole rule");
        return silenceNow(ctx.db, { kind: "rule", value: String(target.ruleId), endsAt: input.endsAt, reason: input.reason }, ctx.user.username);
      }
      if (target.kind === "tag") {
        ctx.audit.target = auditTargets.tag(target.tag);
        assertUnrestricted(ctx.user, "silence every VM with a tag");
        return silenceNow(ctx.db, { kind: "tag", value: target.tag, endsAt: input.endsAt, reason: input.reason }, ctx.user.username);
      }
      ctx.audit.target = auditTargets.vmById(target.hostId, target.uuid);
      // The VM may be gone (its alerts stay in the history): a user with grants needs its name to
      // check them, taken from its alerts; a user without grants may silence any VM.
      const known = listAlerts(ctx.db, { hostId: target.hostId, uuid: target.uuid, limit: 1 })[0];
      const visible = known ? await maySee(ctx.db, ctx.user, known) : ctx.user.role === "admin" || ctx.user.grants.length === 0;
      if (!visible) throw new ServiceError(`${auditTargets.vmById(target.hostId, target.uuid)} has no alerts you may see.`, "not_found");
      if (known?.vmName) ctx.audit.target = auditTargets.vm(target.hostId, known.vmName);
      return silenceNow(ctx.db, { kind: "vm", value: `${target.hostId}/${target.uuid}`, endsAt: input.endsAt, reason: input.reason }, ctx.user.username);
    }),

  endSilence: procedure("alert.ack")
    .input(z.object({ id: idSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.silence(input.id);
      if (getSilence(ctx.db, input.id).createdBy !== ctx.user.username) assertUnrestricted(ctx.user, "end a silence someone else set");
      return endSilence(ctx.db, input.id);
    }),
});
