import * as z from "zod/mini";
import { lazy } from "./lazy";
import { LIST_MAX, TEXT_MAX } from "../bounds";
import { name, token, truncatedFlag } from "./common";

/**
 * A service name as the host may send it to `service_action`: systemd unit-name characters
 * (escaped names keep their `\x2d`), never a leading `-` (it would be read as an option), no `/`
 * (OpenRC would take it as a path). The agent runs the init tool with execFile, never a shell.
 */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9:_.@\\-]{0,246}$/;

export const serviceName = lazy(() =>
  z.string().check(
    z.regex(SERVICE_NAME_PATTERN, {
      message: "must be a unit name: letters, digits and :_.@\\- only, not starting with - (e.g. cron or cron.service)",
    }),
  ),
);

export const serviceActions = ["start", "stop", "restart", "enable", "disable"] as const;
export type ServiceActionName = (typeof serviceActions)[number];

export const serviceEntry = lazy(() =>
  z.object({
    name: name.check(z.describe("systemd: the unit (e.g. cron.service); OpenRC: the init script")),
    description: z.nullable(name).check(z.describe("systemd's Description=; null on OpenRC")),
    active_state: token.check(z.describe("systemd's ActiveState (active, inactive, failed, activating, deactivating); OpenRC's state mapped onto it")),
    sub_state: token.check(z.describe("systemd's SubState (running, exited, dead, …); OpenRC's own word (started, stopped, crashed, …)")),
    enabled_state: z
      .nullable(token)
      .check(
        z.describe("systemd's UnitFileState (enabled, disabled, static, masked, …); OpenRC: enabled when in a runlevel, else disabled; null when unknown"),
      ),
  }),
);
export type ServiceEntry = z.infer<typeof serviceEntry>;

const initSystem = lazy(() => z.enum(["systemd", "openrc"]).check(z.describe("the init system the agent asked")));

export const listServicesParams = lazy(() =>
  z.strictObject({
    limit: z
      .optional(z.int().check(z.minimum(1)).check(z.maximum(LIST_MAX.services)))
      .check(z.describe(`at most this many services, by name (default ${LIST_MAX.services})`)),
  }),
);
export const listServicesResult = lazy(() =>
  z.object({
    init_system: initSystem,
    services: z.array(serviceEntry).check(z.maxLength(LIST_MAX.services)),
    truncated: truncatedFlag,
  }),
);
export type ServiceList = z.infer<typeof listServicesResult>;

export const SERVICE_ACTION_TIMEOUT_MS = { default: 60_000, max: 300_000 } as const;

export const serviceActionParams = lazy(() =>
  z.strictObject({
    name: serviceName.check(
      z.describe("systemd: a service unit, `.service` added when there is no suffix (other unit types are refused); OpenRC: the init script"),
    ),
    action: z.enum(serviceActions),
    timeout_ms: z
      .optional(z.int().check(z.minimum(1000)).check(z.maximum(SERVICE_ACTION_TIMEOUT_MS.max)))
      .check(z.describe(`how long the init system may take (default ${SERVICE_ACTION_TIMEOUT_MS.default})`)),
  }),
);
export const serviceActionResult = lazy(() =>
  z.object({
    init_system: initSystem,
    action: z.enum(serviceActions),
    service: serviceEntry.check(z.describe("the service's state after the action")),
  }),
);
export type ServiceActionResult = z.infer<typeof serviceActionResult>;

export const packageEntry = lazy(() =>
  z.object({
    name,
    version: z.string().check(z.maxLength(TEXT_MAX.name)).check(z.describe("with epoch and release where the manager has them")),
    arch: z.nullable(token).check(z.describe("null where the manager does not say (apk info)")),
  }),
);
export type PackageEntry = z.infer<typeof packageEntry>;

export const listPackagesParams = lazy(() =>
  z.strictObject({
    limit: z
      .optional(z.int().check(z.minimum(1)).check(z.maximum(LIST_MAX.packages)))
      .check(z.describe(`at most this many packages, by name (default ${LIST_MAX.packages})`)),
  }),
);
export const listPackagesResult = lazy(() =>
  z.object({
    manager: z.enum(["dpkg", "rpm", "apk"]).check(z.describe("the package database the agent read")),
    packages: z.array(packageEntry).check(z.maxLength(LIST_MAX.packages)),
    truncated: truncatedFlag,
  }),
);
export type PackageList = z.infer<typeof listPackagesResult>;
