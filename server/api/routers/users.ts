import { z } from "zod";
import { procedure, router } from "../trpc";
import { grantSchema, passwordSchema, roleSchema, userIdSchema, usernameSchema } from "../schemas";
import { createUser, deleteUser, listUsers, resetPassword, setDisabled, updateUser, UserError, usernameOf } from "@/server/users/service";
import { auditTargets } from "@/server/audit/targets";

/** User accounts: host-less (they span every host); the audit row names the account. */
export const usersRouter = router({
  list: procedure("user.manage").query(({ ctx }) => listUsers(ctx.db)),

  create: procedure("user.manage")
    .input(
      z.object({
        username: usernameSchema,
        role: roleSchema,
        password: passwordSchema.optional(),
        grants: z.array(grantSchema).max(50).default([]),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.user(input.username);
      const { id, password } = await createUser(ctx.db, input);
      return { id, generatedPassword: password };
    }),

  update: procedure("user.manage")
    .input(
      z.object({
        userId: userIdSchema,
        role: roleSchema.optional(),
        grants: z.array(grantSchema).max(50).optional(),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.user(usernameOf(ctx.db, input.userId));
      updateUser(ctx.db, input.userId, input);
      return { ok: true as const };
    }),

  setDisabled: procedure("user.manage")
    .input(z.object({ userId: userIdSchema, disabled: z.boolean() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.user(usernameOf(ctx.db, input.userId));
      setDisabled(ctx.db, input.userId, input.disabled, ctx.user.id);
      return { ok: true as const };
    }),

  /** The admin types the account's name back: deleting cannot be undone. */
  delete: procedure("user.manage")
    .input(z.object({ userId: userIdSchema, confirmUsername: z.string().max(64) }))
    .mutation(({ ctx, input }) => {
      const username = usernameOf(ctx.db, input.userId);
      ctx.audit.target = auditTargets.user(username);
      if (input.confirmUsername !== username) throw new UserError(`type the account's name, ${username}, to confirm deleting it`, "invalid");
      deleteUser(ctx.db, input.userId, ctx.user.id);
      return { ok: true as const };
    }),

  resetPassword: procedure("user.manage")
    .input(z.object({ userId: userIdSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.user(usernameOf(ctx.db, input.userId));
      const { password } = await resetPassword(ctx.db, input.userId);
      return { generatedPassword: password };
    }),
});
