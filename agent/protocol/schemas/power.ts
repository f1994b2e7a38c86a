import * as z from "zod/mini";
import { lazy } from "./lazy";
import { token } from "./common";

export const powerParams = lazy(() =>
  z.strictObject({
    force: z.optional(z.boolean()).check(z.describe("skip the orderly shutdown of services")),
  }),
);
export const powerResult = lazy(() =>
  z.object({
    accepted: z.literal(true),
    method: token.check(z.describe("how the agent acts once this answer is sent: systemd, openrc, busybox, sysvinit, windows, or config (power_commands)")),
  }),
);
