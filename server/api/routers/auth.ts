import { z } from "zod";
import { procedure, router } from "../trpc";
import { passwordSchema } from "../schemas";
import { changeOwnPassword, setOwnLocale } from "@/server/users/service";
import { LOCALES } from "@/server/i18n/locales";
import { ROLE_PERMISSIONS } from "@/server/auth/permissions";
import { listLiveSessions, revokeSession, revokeUserSessions } from "@/server/auth/sessions";
import { auditTargets } from "@/server/audit/targets";

const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "a session id");

/** The signed-in user's own account: host-less; the audit row names the account. */
export const authRouter = router({
  me: procedure("self").query(({ ctx }) => ({
    id: ctx.user.id,
    username: ctx.user.username,
    role: ctx.user.role,
    grants: ctx.user.grants,
    permissions: [...ROLE_PERMISSIONS[ctx.user.role]],
    locale: ctx.user.locale,
  })),

  /** The dashboard's language for this user on every device; null follows each browser's language. */
  setLocale: procedure("self")
    .input(z.object({ locale: z.enum(LOCALES).nullable() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.user(ctx.user.username);
      setOwnLocale(ctx.db, ctx.user.id, input.locale);
      return { locale: input.locale };
    }),

  changePassword: procedure("self")
    .input(z.object({ currentPassword: z.string().min(1).max(1024), newPassword: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.user(ctx.user.username);
      await changeOwnPassword(ctx.db, ctx.user, input.currentPassword, input.newPassword);
      return { ok: true as const };
    }),

  /** The signed-in user's own sessions (browsers and devices), the current one marked. */
  sessions: procedure("self").query(({ ctx }) => listLiveSessions(ctx.db, ctx.user.id).map((s) => ({ ...s, current: s.id === ctx.user.sessionId }))),

  /** Ends one of the user's own sessions; an id that is not theirs changes nothing. */
  endSession: procedure("self")
    .input(z.object({ sessionId: sessionIdSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.user(ctx.user.username);
      const own = listLiveSessions(ctx.db, ctx.user.id).some((s) => s.id === input.sessionId);
      if (own) revokeSession(ctx.db, input.sessionId, "ended from Settings");
      return { ended: own };
    }),

  /** Ends every session of the user, this one included (a lost phone, a shared computer). */
  signOutEverywhere: procedure("self").mutation(({ ctx }) => {
    ctx.audit.target = auditTargets.user(ctx.user.username);
    return { ended: revokeUserSessions(ctx.db, ctx.user.id, "signed out everywhere") };
  }),
});
