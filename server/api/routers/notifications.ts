import { z } from "zod";
import { inArray } from "drizzle-orm";
import { procedure, router } from "../trpc";
import type { Db } from "@/server/db/client";
import { alerts, hosts } from "@/server/db/schema";
import { auditTargets } from "@/server/audit/targets";
import { coversHost } from "@/server/auth/permissions";
import { vmVisibleTo } from "@/server/events/visibility";
import type { SessionUser } from "@/server/users/service";
import { emailInputSchema, smtpInputSchema, webhookInputSchema, webhookUpdateSchema } from "@/server/notifications/schemas";
import {
  SMTP_KEY,
  createEmailList,
  createWebhook,
  deleteChannel,
  getChannel,
  listChannels,
  readSmtp,
  ruleChannels,
  setRuleChannels,
  smtpFromInput,
  smtpView,
  updateEmailList,
  updateWebhook,
  writeSmtp,
} from "@/server/notifications/store";
import { deliveriesOf } from "@/server/notifications/queue";
import { sendMail } from "@/server/notifications/email";
import { getRule } from "@/server/alerts/store";

const idSchema = z.number().int().positive();

/** The alerts among `ids` the user may see: VM alerts by the VM's grants, host alerts by the host's. */
async function visibleAlertIds(db: Db, user: SessionUser, ids: readonly number[]): Promise<number[]> {
  const rows = db
    .select({ id: alerts.id, hostId: alerts.hostId, uuid: alerts.uuid, vmName: alerts.vmName })
    .from(alerts)
    .where(inArray(alerts.id, [...ids]))
    .all();
  const uris = new Map(
    db
      .select({ id: hosts.id, uri: hosts.uri })
      .from(hosts)
      .all()
      .map((h) => [h.id, h.uri]),
  );
  const visible = await Promise.all(
    rows.map((row) =>
      row.uuid === null || row.vmName === null
        ? coversHost(user.role, user.grants, row.hostId)
        : vmVisibleTo(user, { hostId: row.hostId, uuid: row.uuid, name: row.vmName }, (hostId) => uris.get(hostId)),
    ),
  );
  return rows.filter((_, i) => visible[i]).map((row) => row.id);
}

/**
 * Where alerts are told besides the app: webhook endpoints, e-mail lists, the SMTP server, and
 * which rules notify which channel. Configuring them is alert.manage (admins), like the rules:
 * together they decide who hears of what. The delivery log of an alert is read with alert.read.
 * Secrets (webhook secret, SMTP password) are write-only.
 */
export const notificationsRouter = router({
  channels: procedure("alert.manage").query(({ ctx }) => ({ channels: listChannels(ctx.db), rules: ruleChannels(ctx.db) })),

  createWebhook: procedure("alert.manage")
    .input(webhookInputSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.notificationChannel(input.name);
      return createWebhook(ctx.db, input);
    }),

  updateWebhook: procedure("alert.manage")
    .input(z.object({ id: idSchema, webhook: webhookUpdateSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.notificationChannelById(input.id);
      ctx.audit.target = auditTargets.notificationChannel(getChannel(ctx.db, input.id).name);
      return updateWebhook(ctx.db, input.id, input.webhook);
    }),

  createEmailList: procedure("alert.manage")
    .input(emailInputSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.notificationChannel(input.name);
      return createEmailList(ctx.db, input);
    }),

  updateEmailList: procedure("alert.manage")
    .input(z.object({ id: idSchema, list: emailInputSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.notificationChannelById(input.id);
      ctx.audit.target = auditTargets.notificationChannel(getChannel(ctx.db, input.id).name);
      return updateEmailList(ctx.db, input.id, input.list);
    }),

  /** Rules stop notifying it; its past deliveries stay in the log under its name. */
  deleteChannel: procedure("alert.manage")
    .input(z.object({ id: idSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.notificationChannelById(input.id);
      ctx.audit.target = auditTargets.notificationChannel(getChannel(ctx.db, input.id).name);
      deleteChannel(ctx.db, input.id);
      return { ok: true as const };
    }),

  setRuleChannels: procedure("alert.manage")
    .input(z.object({ ruleId: idSchema, channelIds: z.array(idSchema).max(100) }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.alertRuleById(input.ruleId);
      ctx.audit.target = auditTargets.alertRule(getRule(ctx.db, input.ruleId).name);
      return setRuleChannels(ctx.db, input.ruleId, input.channelIds);
    }),

  /** Null until saved; never the password, only whether one is set. */
  smtp: procedure("alert.manage").query(({ ctx }) => smtpView(readSmtp(ctx.db))),

  setSmtp: procedure("alert.manage")
    .input(smtpInputSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.setting(SMTP_KEY);
      return writeSmtp(ctx.db, input);
    }),

  /**
   * Sends one e-mail with the settings in the form (saved or not; a password left out is the
   * stored one). Answers whether the server took it, or its refusal in words, for the form to show.
   */
  testEmail: procedure("alert.manage")
    .input(z.object({ smtp: smtpInputSchema, to: z.email("an e-mail address") }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.setting(SMTP_KEY);
      const smtp = smtpFromInput(ctx.db, input.smtp);
      const result = await sendMail(smtp, {
        to: [input.to],
        subject: "KVM Manager: test e-mail",
        text: `This is a test e-mail from KVM Manager, sent by ${ctx.user.username} from Settings → Notifications.\nAlert e-mails will come from this address.\n`,
      });
      return result.outcome === "delivered"
        ? { ok: true as const, reply: result.reply }
        : { ok: false as const, error: result.error ?? "the e-mail was not accepted" };
    }),

  /** How each alert's webhooks and e-mails went, for the alerts the caller may see. */
  deliveries: procedure("alert.read")
    .input(z.object({ alertIds: z.array(idSchema).max(500) }))
    .query(async ({ ctx, input }) => deliveriesOf(ctx.db, await visibleAlertIds(ctx.db, ctx.user, input.alertIds))),
});
