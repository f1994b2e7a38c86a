import { z } from "zod";
import { procedure, router } from "../trpc";
import { passwordSchema } from "../schemas";
import { changeOwnPassword } from "../../users/service";
import { ROLE_PERMISSIONS } from "../../auth/permissions";

export const authRouter = router({
  me: procedure("self").query(({ ctx }) => ({
    id: ctx.user.id,
    username: ctx.user.username,
    role: ctx.user.role,
    grants: ctx.user.grants,
    permissions: [...ROLE_PERMISSIONS[ctx.user.role]],
  })),

  changePassword: procedure("self")
    .input(z.object({ currentPassword: z.string().min(1).max(1024), newPassword: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = `user "${ctx.user.username}"`;
      await changeOwnPassword(ctx.db, ctx.user.id, input.currentPassword, input.newPassword);
      return { ok: true as const };
    }),
});
