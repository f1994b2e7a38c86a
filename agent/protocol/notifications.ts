import type * as z from "zod/mini";
import { agentInfoResult } from "./schemas/core";
import { telemetryParams } from "./schemas/system";
import { exampleAgentInfo, exampleTelemetry } from "./examples";

export interface NotificationSpec<P extends z.ZodMiniType = z.ZodMiniType> {
  params: P;
  summary: string;
  example: z.output<P>;
}

/** Notifications the agent sends on its own; the host never answers them. */
export const notifications = {
  "agent.ready": {
    params: agentInfoResult,
    summary:
      "Sent when the agent starts and whenever its channel (re)connects. A host that sees it while waiting for `sync` should send a fresh `sync` at once; a host that sees it after the handshake knows the agent restarted, that requests in flight are lost, and that the agent answers nothing but `sync` until it syncs again.",
    example: exampleAgentInfo,
  },
  telemetry: {
    params: telemetryParams,
    summary:
      "The content of `get_metrics` and, with the `telemetry.filesystems` capability, the use of the guest's writable filesystems, every `telemetry_interval_s` seconds (off when 0).",
    example: exampleTelemetry,
  },
} as const satisfies Record<string, NotificationSpec>;

export type NotificationName = keyof typeof notifications;
export type NotificationParams<N extends NotificationName> = z.output<(typeof notifications)[N]["params"]>;

export function isNotificationName(name: string): name is NotificationName {
  return Object.hasOwn(notifications, name);
}
