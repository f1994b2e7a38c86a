import { z } from "zod";
import { router, vmProcedure } from "../trpc";
import { addVncGraphics, checkConsole } from "@/server/console/service";
import { consoleTickets } from "@/server/console/tickets";

/**
 * Consoles of a VM. A console is a WebSocket (`/api/console?ticket=…`, server/console/upgrade.ts);
 * this router hands out its ticket — audited, like every mutation, which makes the audit row the
 * record of who opened which console when — after checking the console can be opened at all.
 */
export const consolesRouter = router({
  ticket: vmProcedure("vm.console")
    .input(z.object({ kind: z.enum(["vnc", "serial"]), force: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      await checkConsole(ctx.vm, input.kind);
      const { ticket, expiresAt } = consoleTickets().issue({
        sessionId: ctx.user.sessionId,
        userId: ctx.user.id,
        hostId: ctx.vm.hostId,
        uuid: input.uuid,
        kind: input.kind,
        force: input.kind === "serial" && input.force,
      });
      return { ticket, expiresAt, path: `/api/console?ticket=${ticket}` };
    }),
  /** The wizard's VNC device, added to the persistent definition: QEMU gets it at the VM's next start. */
  addVnc: vmProcedure("vm.edit").mutation(({ ctx }) => addVncGraphics(ctx.vm)),
});
