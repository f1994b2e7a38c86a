import { z } from "zod";
import { procedure, router } from "../trpc";
import { grantSchema, passwordSchema, roleSchema, userIdSchema, usernameSchema } from "../schemas";
import { createUser, listUsers, resetPassword, setDisabled, updateUser } from "../../users/service";

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
      const { username } = updateUser(ctx.db, input.userId, input);
      ctx.audit.target = `user "${username}"`;
      return { ok: true as const };
    }),

  setDisabled: procedure("user.manage")
    .input(z.object({ userId: userIdSchema, disabled: z.boolean() }))
    .mutation(({ ctx, input }) => {
      const { username } = setDisabled(ctx.db, input.userId, input.disabled, ctx.user.id);
      ctx.audit.target = `user "${username}"`;
      return { ok: true as const };
    }),

  resetPassword: procedure("user.manage")
    .input(z.object({ userId: userIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const { username, password } = await resetPassword(ctx.db, input.userId);
      ctx.audit.target = `user "${username}"`;
      return { generatedPassword: password };
    }),
});
