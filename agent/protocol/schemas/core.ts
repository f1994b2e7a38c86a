import * as z from "zod/mini";
import { lazy } from "./lazy";
import { LIST_MAX } from "../bounds";
import { count, hostname, noParams, resultPath, timestamp, token } from "./common";
import { agentUpdateStatus } from "./update";

export const pingParams = noParams;
export const pingResult = lazy(() =>
  z.object({
    pong: z.literal(true),
    time: timestamp.check(z.describe("the guest's clock, for skew checks")),
  }),
);

export const syncParams = lazy(() =>
  z.strictObject({
    id: z.union([z.string().check(z.minLength(1)), z.number()]).check(z.describe("a fresh random value chosen by the host")),
  }),
);
export const syncResult = lazy(() => z.object({ id: z.union([token, z.number()]).check(z.describe("the same value")) }));

export const agentInfoParams = noParams;
export const agentInfoResult = lazy(() =>
  z.object({
    name: z.literal("kvmmanager-agent"),
    version: token.check(z.describe("agent release")),
    protocol_version: z.int().check(z.positive()),
    capabilities: z.array(token).check(z.maxLength(LIST_MAX.capabilities)).check(z.describe("features enabled by this agent and its config")),
    platform: z.object({
      os: z.enum(["linux", "windows"]),
      arch: token,
      hostname,
      node_version: token,
    }),
    limits: z.object({
      max_request_bytes: count,
      max_file_chunk_bytes: count,
      exec_output_max_bytes: count.check(z.describe("per stream")),
      exec_max_timeout_ms: count,
    }),
    allowed_paths: z
      .optional(z.array(resultPath).check(z.maxLength(LIST_MAX.allowedPaths)))
      .check(z.describe("the roots the file methods and exec's cwd are confined to, as configured; older agents leave it out")),
    pid: count,
    started_at: timestamp,
    update: z.optional(agentUpdateStatus).check(z.describe("self-update state (issue 15); agents before self-update leave it out")),
  }),
);
export type AgentInfo = z.infer<typeof agentInfoResult>;
